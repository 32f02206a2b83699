"""The models and the migrations describe the same schema: `flask db migrate` would find nothing to write."""
import pytest
import sqlalchemy as sa

ATTEMPT_TABLES = ("case_attempts", "scenario_attempts", "quiz_attempts")


def test_autogenerate_finds_no_difference_between_models_and_migrations(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        # The options `flask db migrate` runs with (compare_type, batch mode), from Flask-Migrate itself.
        context = MigrationContext.configure(conn, opts=dict(app.extensions["migrate"].configure_args))
        assert compare_metadata(context, db.metadata) == []


def _names(items) -> set[str]:
    return {item["name"] for item in items}


@pytest.mark.parametrize("table", ATTEMPT_TABLES)
def test_attempt_tables_keep_their_constraint_and_index_names(app, table):
    """Autogenerate on SQLite does not see a renamed constraint; a batch migration drops constraints by name,
    so the names the models build (app/models/attempts.py) must be the ones in the database."""
    from app.extensions import db

    model = db.metadata.tables[table]
    with app.app_context():
        found = sa.inspect(db.engine)
        # PostgreSQL also lists the index behind each unique constraint: that one is the constraint's
        assert _names(i for i in found.get_indexes(table) if not i.get("duplicates_constraint")) == {
            i.name for i in model.indexes}
        assert _names(found.get_unique_constraints(table)) == {
            c.name for c in model.constraints if isinstance(c, sa.UniqueConstraint)}
        assert _names(found.get_foreign_keys(table)) == {
            c.name for c in model.constraints if isinstance(c, sa.ForeignKeyConstraint)}
        assert {c["name"] for c in found.get_columns(table)} == set(model.columns.keys())

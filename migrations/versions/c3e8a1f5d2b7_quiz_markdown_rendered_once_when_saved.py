"""quiz Markdown rendered once, when saved

Revision ID: c3e8a1f5d2b7
Revises: b7d41c2e9a10
Create Date: 2026-12-03 19:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.content.markdown import render_markdown


# revision identifiers, used by Alembic.
revision = 'c3e8a1f5d2b7'
down_revision = "b7d41c2e9a10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instructions_html', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('questions_html', sa.JSON(), nullable=True))

    # Existing versions, frozen ones included, get the HTML their pages showed until now (rendered on
    # every view by the same function).
    versions = sa.table('quiz_versions', sa.column('id', sa.Integer), sa.column('instructions', sa.Text),
                        sa.column('questions', sa.JSON), sa.column('instructions_html', sa.Text),
                        sa.column('questions_html', sa.JSON))
    bind = op.get_bind()
    for row in bind.execute(sa.select(versions.c.id, versions.c.instructions, versions.c.questions)).all():
        questions_html = [{"prompt": render_markdown(q.get("prompt") or ""),
                           "feedback": render_markdown(q.get("feedback") or "")} for q in row.questions or []]
        bind.execute(versions.update().where(versions.c.id == row.id).values(
            instructions_html=render_markdown(row.instructions or ""), questions_html=questions_html))

    with op.batch_alter_table('quiz_versions', schema=None) as batch_op:
        batch_op.alter_column('questions_html', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('quiz_versions', schema=None) as batch_op:
        batch_op.drop_column('questions_html')
        batch_op.drop_column('instructions_html')

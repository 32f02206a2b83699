"""The columns and constraints every graded attempt table shares (cases, scenarios, quizzes)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.clock import utcnow


class AttemptMixin:
    """Who made the attempt, with which form token, its score, the assignment it was made for, whether it
    came late, and when; with the unique (user, token) that ``store_once`` relies on.

    A table sets ``attempt_of`` (the kind: its link column is ``<kind>_id``). The constraint and index
    names are built from it so they stay exactly the names the migrations created: changing one here
    shows as a diff in ``tests/integration/test_schema.py``.
    """

    #: the kind of work attempted ("case"): names the item column (``case_id``) and the constraints
    attempt_of: str

    id: so.Mapped[int] = so.mapped_column(primary_key=True, sort_order=-1)  # first, as the tables have it
    submission_token: so.Mapped[str] = so.mapped_column(sa.String(64))
    score: so.Mapped[float]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    late: so.Mapped[bool] = so.mapped_column(default=False)

    @so.declared_attr
    def user_id(cls) -> so.Mapped[int]:
        return so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))

    @so.declared_attr
    def assignment_id(cls) -> so.Mapped[int | None]:
        """Set when the attempt was made for a class assignment (late when after its due date)."""
        return so.mapped_column(sa.ForeignKey("assignments.id", ondelete="SET NULL"), default=None)

    @so.declared_attr.directive
    def __table_args__(cls) -> tuple:
        table, kind = cls.__tablename__, cls.attempt_of
        return (
            # The form carries a one-time token: a double-clicked submit stores one attempt.
            sa.UniqueConstraint("user_id", "submission_token", name=f"uq_{kind}_attempt_user_token"),
            sa.Index(f"ix_{table}_user_{kind}", "user_id", f"{kind}_id"),
            # Covers the gradebook's GROUP BY (assignment, student) with best score and late flag, so
            # 50,000 attempts are grouped by walking the index instead of sorting the table.
            sa.Index(f"ix_{table}_assignment_user", "assignment_id", "user_id", "score", "late"),
        )

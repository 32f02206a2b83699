"""Claim scenarios and practice payers imported from content/, and students' scored attempts."""
from __future__ import annotations

import datetime as dt
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.clock import utcnow


class ClaimPayer(db.Model):
    """A practice payer profile (content/payers/<slug>.yml) as plain data for ``payer_from_dict``."""

    __tablename__ = "claim_payers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True, index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: the whole profile, dates as ISO strings and amounts as strings (fee schedule, rules, roster)
    data: so.Mapped[dict] = so.mapped_column(sa.JSON)
    source_path: so.Mapped[str] = so.mapped_column(sa.String(300))
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))


class ClaimScenario(db.Model):
    """One claim scenario. ``expected``, ``resolutions``, ``not_accepted`` and ``rationale`` are the
    answer: they never reach a browser before the student submits."""

    __tablename__ = "claim_scenarios"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True, index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    payer_slug: so.Mapped[str] = so.mapped_column(sa.String(60))
    #: the day the payer adjudicates (filing limits count to it)
    today: so.Mapped[dt.date]
    difficulty: so.Mapped[int]
    encounter: so.Mapped[str] = so.mapped_column(sa.Text)
    #: the claim as first submitted (``Claim.from_dict`` shape)
    claim: so.Mapped[dict] = so.mapped_column(sa.JSON)
    #: the payer's eligibility record for this patient, added to the payer's roster (or None)
    member: so.Mapped[dict | None] = so.mapped_column(sa.JSON, default=None)
    #: claims the payer already processed (for the duplicate edit)
    history: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    #: {status, carcs, causes, paid}
    expected: so.Mapped[dict] = so.mapped_column(sa.JSON)
    #: [{action, rationale, changes: [{path, value, remove}], evidence, payer, member, today}]
    resolutions: so.Mapped[list] = so.mapped_column(sa.JSON)
    #: [{action, why, changes?}]: tempting wrong answers and why they are wrong
    not_accepted: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    rationale: so.Mapped[str] = so.mapped_column(sa.Text)
    #: hash of the answer: attempts record the version they were scored against
    key_version: so.Mapped[str] = so.mapped_column(sa.String(64))
    source_path: so.Mapped[str] = so.mapped_column(sa.String(300))
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: a scenario whose file was removed stays (its attempts keep their meaning) but is not listed
    active: so.Mapped[bool] = so.mapped_column(default=True)


class ScenarioAttempt(db.Model):
    """A student's answer to a scenario: causes, action, the claim sent back, and its score."""

    __tablename__ = "scenario_attempts"
    __table_args__ = (
        # The form carries a one-time token: a double-clicked submit stores one attempt.
        sa.UniqueConstraint("user_id", "submission_token", name="uq_scenario_attempt_user_token"),
        sa.Index("ix_scenario_attempts_user_scenario", "user_id", "scenario_id"),
        # Covers the gradebook's GROUP BY (assignment, student) with best score and late flag.
        sa.Index("ix_scenario_attempts_assignment_user", "assignment_id", "user_id", "score", "late"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    scenario_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("claim_scenarios.id", ondelete="CASCADE"),
                                                   index=True)
    submission_token: so.Mapped[str] = so.mapped_column(sa.String(64))
    key_version: so.Mapped[str] = so.mapped_column(sa.String(64))
    causes: so.Mapped[list] = so.mapped_column(sa.JSON)
    action: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: extra answers that go with the action: other payer, proof-of-filing date
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    #: the claim the student sent back (None when the action sends no claim)
    claim: so.Mapped[dict | None] = so.mapped_column(sa.JSON, default=None)
    #: the payer's answer to that claim (``Remittance.to_dict``), or None
    remittance: so.Mapped[dict | None] = so.mapped_column(sa.JSON, default=None)
    score: so.Mapped[float]
    cause_score: so.Mapped[float]
    action_score: so.Mapped[float]
    claim_score: so.Mapped[float]
    #: [{part, credit, reason}]: why each part earned what it did
    feedback: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    #: set when the attempt was made for a class assignment; late when made after its due date
    assignment_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("assignments.id", ondelete="SET NULL"), default=None)
    late: so.Mapped[bool] = so.mapped_column(default=False)

    scenario: so.Mapped[ClaimScenario] = so.relationship()

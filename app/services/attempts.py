"""Storing a graded attempt exactly once per submitted form, whatever kind of work it is, and only when
the assignment it was made for lets it in."""
from __future__ import annotations

from typing import Callable, TypeVar

import sqlalchemy as sa

from app.extensions import db
from app.models import Assignment, Enrollment
from app import clock

A = TypeVar("A")


class AssignmentClosed(Exception):
    """The submission was refused for its assignment (not the student's, another item, not open yet)."""


def assignment_for_student(assignment_id: int, student_id: int) -> Assignment | None:
    """The assignment, only if the student is enrolled in its class."""
    return db.session.scalar(sa.select(Assignment).join(Enrollment, Enrollment.class_id == Assignment.class_id)
                             .where(Assignment.id == assignment_id, Enrollment.student_id == student_id))


def check_submission(assignment_id: int | None, student_id: int, kind: str, ref: str) -> tuple[Assignment | None, bool]:
    """For a submission made for an assignment: (assignment, late). Refuses (AssignmentClosed) when the
    student is not in the class, the assignment is for another item, or it has not opened yet."""
    if not assignment_id:
        return None, False
    assignment = assignment_for_student(assignment_id, student_id)
    if assignment is None or assignment.kind != kind or assignment.ref != ref:
        raise AssignmentClosed("This work is not assigned to you.")
    now = clock.utcnow()
    if not assignment.is_open(now):
        raise AssignmentClosed(f"This assignment opens on {assignment.opens_at:%d %B %Y at %H:%M} UTC.")
    return assignment, assignment.is_late(now)


def store_once(model: type[A], user_id: int, token: str, make: Callable[[], A],
               assignment_id: int | None = None, ref: str = "") -> A:
    """Store the attempt made with this form token once; a repeated token returns the stored attempt.

    Made for an assignment (``assignment_id``, and ``ref`` the item's reference as assignments name it),
    the attempt is first checked against it, here and not in the views, so no door stores one it should
    refuse: AssignmentClosed is raised before anything is graded; otherwise the row is marked with the
    assignment and whether it came late.

    Every answer form carries a one-time token and the attempt tables hold a unique (user, token)
    constraint, so a double click, a resend after a lost answer or two racing requests store one
    attempt: the insert of the second one fails, rolls back and returns the first one's row. The
    common case (a new token) costs one INSERT and no lookup; ``make`` grades and builds the row
    (for a repeated token it grades again, well under a millisecond, and the result is dropped).
    """
    assignment, late = check_submission(assignment_id, user_id, model.attempt_of, ref)
    attempt = make()
    attempt.assignment_id, attempt.late = (assignment.id if assignment else None), late
    db.session.add(attempt)
    session = db.session()
    expire = session.expire_on_commit
    # What was just written is what the page shows next: don't expire it (and the case or scenario
    # it came from) on commit, which would cost a reload query per object on the busiest write path.
    session.expire_on_commit = False
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        twin = by_token(model, user_id, token)  # the same form was stored before (or just now)
        if twin is None:
            raise  # not the token: some other constraint, a real error
        return twin
    finally:
        session.expire_on_commit = expire
    return attempt


def by_token(model: type[A], user_id: int, token: str) -> A | None:
    return db.session.scalar(sa.select(model).where(model.user_id == user_id, model.submission_token == token))

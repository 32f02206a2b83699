"""Practice exams: starting an attempt on a drawn form, saving answers against the server's clock,
closing and grading (by the student, lazily at the deadline, or by `flask exams close-expired`)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from app.examforms.blueprints import BlueprintSpec, Plan, plan, score_form
from app import clock
from app.extensions import db
from app.services import review
from app.models import ExamAnswer, ExamAttempt, ExamBlueprint, ExamQuestion

#: answers that arrive this long after the deadline still count (a save in flight when time ran out)
GRACE = timedelta(seconds=30)


class ExamClosed(Exception):
    """The attempt no longer takes answers: submitted, or past its deadline and grace."""


# --------------------------------------------------------------------------- blueprints and the bank


def blueprints() -> list[ExamBlueprint]:
    return list(db.session.scalars(sa.select(ExamBlueprint).where(ExamBlueprint.active.is_(True))
                                   .order_by(ExamBlueprint.position)))


def get_blueprint(slug: str) -> ExamBlueprint | None:
    return db.session.scalar(sa.select(ExamBlueprint).where(ExamBlueprint.slug == slug, ExamBlueprint.active.is_(True)))


def pool_for(exam: str) -> dict[str, list[str]]:
    """Active bank items a blueprint for ``exam`` may draw, by domain."""
    pool: dict[str, list[str]] = {}
    for qid, domain, exams in db.session.execute(
            sa.select(ExamQuestion.qid, ExamQuestion.domain, ExamQuestion.exams).where(ExamQuestion.active.is_(True))):
        if exam in exams:
            pool.setdefault(domain, []).append(qid)
    return pool


def domain_titles() -> dict[str, str]:
    return dict(db.session.execute(sa.select(ExamQuestion.domain, ExamQuestion.domain_title).distinct()).all())


def plan_for(row: ExamBlueprint) -> Plan:
    bp = BlueprintSpec.from_data(row.data)
    return plan(bp, pool_for(bp.exam))


# --------------------------------------------------------------------------- attempts


def start_attempt(user_id: int, row: ExamBlueprint, token: str) -> ExamAttempt:
    """Open an attempt with a freshly drawn form and a server deadline. The same start token twice
    (a double click) opens one attempt. The form is drawn from a seed made of the attempt id and a
    random part, and the student's previous form of this blueprint is drawn last, so a retake differs."""
    existing = _by_token(user_id, token)
    if existing is not None:
        return existing
    from app.examforms.blueprints import draw_form

    bp = BlueprintSpec.from_data(row.data)
    started = clock.utcnow()
    attempt = ExamAttempt(user_id=user_id, blueprint_slug=bp.slug, blueprint=bp.as_data(), start_token=token,
                          started_at=started, deadline=started + timedelta(minutes=bp.minutes), items=[])
    db.session.add(attempt)
    try:
        db.session.flush()  # the id is part of the seed
    except sa.exc.IntegrityError:
        db.session.rollback()
        return _by_token(user_id, token)
    previous = db.session.scalar(
        sa.select(ExamAttempt).where(ExamAttempt.user_id == user_id, ExamAttempt.blueprint_slug == bp.slug,
                                     ExamAttempt.id != attempt.id).order_by(ExamAttempt.id.desc()).limit(1))
    avoid = {item["q"] for item in previous.items} if previous else set()
    attempt.seed = f"{attempt.id}:{secrets.token_hex(8)}"
    attempt.items = [{"q": i.qid, "domain": i.domain, "unscored": i.unscored}
                     for i in draw_form(bp, pool_for(bp.exam), attempt.seed, avoid)]
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return _by_token(user_id, token)
    return attempt


def _by_token(user_id: int, token: str) -> ExamAttempt | None:
    return db.session.scalar(sa.select(ExamAttempt).where(ExamAttempt.user_id == user_id,
                                                          ExamAttempt.start_token == token))


def new_token() -> str:
    return secrets.token_urlsafe(16)


def get_own_attempt(attempt_id: int, user_id: int) -> ExamAttempt | None:
    """An attempt, only for the student who made it; past its deadline it is closed and graded first."""
    attempt = db.session.scalar(sa.select(ExamAttempt).where(ExamAttempt.id == attempt_id,
                                                             ExamAttempt.user_id == user_id))
    if attempt is not None and not attempt.finished and expired(attempt):
        close(attempt, "timer")
    return attempt


def attempts_for(user_id: int, limit: int = 30) -> list[ExamAttempt]:
    close_expired(user_id)
    return list(db.session.scalars(sa.select(ExamAttempt).where(ExamAttempt.user_id == user_id)
                                   .order_by(ExamAttempt.id.desc()).limit(limit)))


def remaining_seconds(attempt: ExamAttempt) -> int:
    return max(0, int((attempt.deadline - clock.utcnow()).total_seconds()))


def expired(attempt: ExamAttempt) -> bool:
    """Past the deadline and the grace: no more answers, and the attempt is due to be closed."""
    return clock.utcnow() > attempt.deadline + GRACE


def answers_of(attempt: ExamAttempt) -> dict[int, ExamAnswer]:
    return {a.position: a for a in db.session.scalars(
        sa.select(ExamAnswer).where(ExamAnswer.attempt_id == attempt.id))}


def save_answer(attempt: ExamAttempt, position: int, choice: int | None, flagged: bool | None = None) -> ExamAnswer:
    """Store one item's answer (and flag). Refused once the attempt is submitted, or after the
    deadline plus grace; an attempt found past its deadline is closed and graded on the spot."""
    if attempt.finished:
        if attempt.closed_by == "timer":
            raise ExamClosed("Time is up: the exam closed at its deadline and has been graded. "
                             "This answer arrived too late to count.")
        raise ExamClosed("This exam has been submitted; answers can no longer change.")
    if expired(attempt):
        close(attempt, "timer")
        raise ExamClosed("Time is up: the exam closed at its deadline and has been graded. "
                         "This answer arrived too late to count.")
    if not 0 <= position < len(attempt.items):
        raise ValueError("no such item")
    if choice is not None and not 0 <= choice < 4:
        raise ValueError("no such choice")
    for _ in range(2):  # a concurrent first save of the same item can win the insert: then update
        row = db.session.scalar(sa.select(ExamAnswer).where(ExamAnswer.attempt_id == attempt.id,
                                                            ExamAnswer.position == position))
        if row is None:
            row = ExamAnswer(attempt_id=attempt.id, position=position)
            db.session.add(row)
        row.choice = choice
        if flagged is not None:
            row.flagged = flagged
        row.saved_at = clock.utcnow()
        try:
            db.session.commit()
            return row
        except sa.exc.IntegrityError:
            db.session.rollback()
    raise RuntimeError("could not save the answer")


# --------------------------------------------------------------------------- closing and grading


def close(attempt: ExamAttempt, closed_by: str = "student") -> ExamAttempt:
    """Grade and close the attempt once: a second submit (or the timer racing a submit) changes
    nothing. Missed items go into the student's review queue."""
    stamp = min(clock.utcnow(), attempt.deadline) if closed_by == "timer" else clock.utcnow()
    # The conditional UPDATE is the lock: only the request that flips submitted_at grades.
    result = db.session.execute(
        sa.update(ExamAttempt).where(ExamAttempt.id == attempt.id, ExamAttempt.submitted_at.is_(None))
        .values(submitted_at=stamp, closed_by=closed_by))
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(attempt)
        return attempt
    bp = BlueprintSpec.from_data(attempt.blueprint)
    qids = [item["q"] for item in attempt.items]
    key = dict(db.session.execute(sa.select(ExamQuestion.qid, ExamQuestion.answer)
                                  .where(ExamQuestion.qid.in_(qids))).all())
    answers = {pos: a.choice for pos, a in answers_of(attempt).items()}
    score = score_form(bp, attempt.items, answers, key)
    titles = domain_titles()
    db.session.execute(sa.update(ExamAttempt).where(ExamAttempt.id == attempt.id).values(
        correct=score.correct, scored_total=score.total, percent=score.percent, passed=score.passed,
        scaled=score.scaled,
        by_domain=[{"domain": d.domain, "title": titles.get(d.domain, d.domain), "correct": d.correct,
                    "total": d.total} for d in score.by_domain]))
    missed = [item["q"] for item, ok in zip(attempt.items, score.right) if not ok]
    review.add_missed_items(attempt.user_id, missed, attempt.id)
    db.session.commit()
    db.session.refresh(attempt)
    return attempt


def close_expired(user_id: int | None = None) -> int:
    """Close and grade every open attempt past its deadline and grace (one student's, or all)."""
    query = sa.select(ExamAttempt).where(ExamAttempt.submitted_at.is_(None), ExamAttempt.deadline < clock.utcnow() - GRACE)
    if user_id is not None:
        query = query.where(ExamAttempt.user_id == user_id)
    closed = 0
    for attempt in list(db.session.scalars(query)):
        close(attempt, "timer")
        closed += 1
    return closed


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class ItemView:
    """An item as the exam page shows it: stem and option texts only, never the key or rationales."""

    position: int
    qid: str
    stem: str
    options: tuple[str, ...]
    choice: int | None
    flagged: bool


def item_view(attempt: ExamAttempt, position: int, answers: dict[int, ExamAnswer]) -> ItemView:
    item = attempt.items[position]
    q = db.session.scalar(sa.select(ExamQuestion).where(ExamQuestion.qid == item["q"]))
    saved = answers.get(position)
    return ItemView(position, q.qid, q.stem, tuple(c["text"] for c in q.choices),
                    saved.choice if saved else None, bool(saved and saved.flagged))


def questions_of(attempt: ExamAttempt) -> dict[str, ExamQuestion]:
    qids = [item["q"] for item in attempt.items]
    return {q.qid: q for q in db.session.scalars(sa.select(ExamQuestion).where(ExamQuestion.qid.in_(qids)))}

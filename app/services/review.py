"""The spaced-review queue: missed exam items and missed case codes as cards scheduled by SM-2
(see app/scheduling/sm2.py for the algorithm and its source)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from app import clock
from app.scheduling import sm2
from app.extensions import db
from app.models import CaseAttempt, CodingCase, ExamQuestion, ReviewCard, ReviewSettings


def settings(user_id: int) -> ReviewSettings:
    row = db.session.get(ReviewSettings, user_id)
    if row is None:
        row = ReviewSettings(user_id=user_id, exam_date=None, last_case_attempt_id=0)
        db.session.add(row)
        db.session.flush()
    return row


def _add(user_id: int, kind: str, ref: str, context: dict, existing: dict | None = None) -> None:
    """A new card due today, or an existing one put back to the start (missed again).
    ``existing`` (ref -> card of this kind) saves a query per card when the caller loaded them."""
    if existing is not None:
        card = existing.get(ref)
    else:
        card = db.session.scalar(sa.select(ReviewCard).where(ReviewCard.user_id == user_id, ReviewCard.kind == kind,
                                                             ReviewCard.ref == ref))
    if card is None:
        card = ReviewCard(user_id=user_id, kind=kind, ref=ref, context=context, due=clock.today(),
                          ease=sm2.INITIAL_EASE, interval=0, repetitions=0, lapses=0)
        db.session.add(card)
        if existing is not None:
            existing[ref] = card
        return
    state = sm2.lapse(sm2.CardState(card.ease, card.interval, card.repetitions, card.due), clock.today())
    card.interval, card.repetitions, card.due = state.interval, state.repetitions, state.due
    card.lapses += 1
    card.context = context


def _cards(user_id: int, kind: str, refs) -> dict:
    refs = list(dict.fromkeys(refs))
    if not refs:
        return {}
    return {c.ref: c for c in db.session.scalars(sa.select(ReviewCard).where(
        ReviewCard.user_id == user_id, ReviewCard.kind == kind, ReviewCard.ref.in_(refs)))}


def add_missed_items(user_id: int, qids: list[str], attempt_id: int) -> None:
    """Exam items answered wrong or left blank (inside the caller's transaction)."""
    existing = _cards(user_id, "item", qids)
    for qid in dict.fromkeys(qids):
        _add(user_id, "item", qid, {"attempt": attempt_id}, existing)
    db.session.flush()


def sync_case_codes(user_id: int) -> int:
    """Read the student's coding-case attempts not read yet: every key line not graded correct puts
    its expected code in the queue. Returns the number of cards added or reset. The number of
    queries does not grow with the number of attempts (the progress page calls this)."""
    row = db.session.get(ReviewSettings, user_id)
    watermark = row.last_case_attempt_id if row else 0
    attempts = list(db.session.execute(
        sa.select(CaseAttempt.id, CaseAttempt.verdicts, CodingCase.slug, CodingCase.title)
        .join(CodingCase, CodingCase.id == CaseAttempt.case_id)
        .where(CaseAttempt.user_id == user_id, CaseAttempt.id > watermark)
        .order_by(CaseAttempt.id)))
    if not attempts:
        return 0
    missed = [(attempt_id, slug, title, v) for attempt_id, verdicts, slug, title in attempts for v in verdicts or []
              if v.get("status") != "correct" and v.get("expected") and not v.get("optional")]
    existing = _cards(user_id, "code", [f"{slug}:{v['expected']}" for _a, slug, _t, v in missed])
    for attempt_id, slug, title, v in missed:
        _add(user_id, "code", f"{slug}:{v['expected']}", {
            "case": slug, "title": title, "attempt": attempt_id, "kind": v.get("kind", ""),
            "position": v.get("position"), "given": v.get("code"), "status": v.get("status"),
            "expected": v["expected"], "description": v.get("expected_description", ""),
            "reason": v.get("reason", ""), "rationale": v.get("rationale", "")}, existing)
    if row is None:
        db.session.add(ReviewSettings(user_id=user_id, exam_date=None, last_case_attempt_id=attempts[-1][0]))
    else:
        row.last_case_attempt_id = attempts[-1][0]
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # a parallel request read the same attempts first
        db.session.rollback()
        return 0
    return len(missed)


def due_count(user_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ReviewCard).where(
        ReviewCard.user_id == user_id, ReviewCard.due <= clock.today())) or 0


@dataclass(frozen=True)
class Summary:
    due: int
    total: int
    next_due: date | None
    exam_date: date | None


def summary(user_id: int) -> Summary:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ReviewCard)
                              .where(ReviewCard.user_id == user_id)) or 0
    upcoming = db.session.scalar(sa.select(sa.func.min(ReviewCard.due)).where(
        ReviewCard.user_id == user_id, ReviewCard.due > clock.today()))
    row = db.session.get(ReviewSettings, user_id)
    return Summary(due_count(user_id), total, upcoming, row.exam_date if row else None)


def next_card(user_id: int) -> ReviewCard | None:
    return db.session.scalar(sa.select(ReviewCard).where(ReviewCard.user_id == user_id, ReviewCard.due <= clock.today())
                             .order_by(ReviewCard.due, ReviewCard.id).limit(1))


def question_for(card: ReviewCard) -> ExamQuestion | None:
    if card.kind != "item":
        return None
    return db.session.scalar(sa.select(ExamQuestion).where(ExamQuestion.qid == card.ref))


def grade_card(user_id: int, card_id: int, quality: int) -> ReviewCard | None:
    """Apply the student's 0-5 self-grade; None if the card is not theirs."""
    card = db.session.scalar(sa.select(ReviewCard).where(ReviewCard.id == card_id, ReviewCard.user_id == user_id))
    if card is None:
        return None
    if card.due > clock.today():  # already reviewed (a second click): keep the first grade
        return card
    row = db.session.get(ReviewSettings, user_id)
    state = sm2.review(sm2.CardState(card.ease, card.interval, card.repetitions, card.due), quality, clock.today(),
                       row.exam_date if row else None)
    card.ease, card.interval, card.repetitions, card.due = state.ease, state.interval, state.repetitions, state.due
    card.last_reviewed_at = clock.utcnow()
    db.session.commit()
    return card


def set_exam_date(user_id: int, exam_date: date | None) -> None:
    """Aim the queue at an exam date: cards due after the day before it are pulled in."""
    row = settings(user_id)
    row.exam_date = exam_date
    if exam_date is not None and exam_date > clock.today():
        for card in db.session.scalars(sa.select(ReviewCard).where(ReviewCard.user_id == user_id,
                                                                   ReviewCard.due >= exam_date)):
            card.interval = sm2.cap_interval(card.interval, clock.today(), exam_date)
            card.due = max(clock.today(), exam_date - timedelta(days=1))
    db.session.commit()

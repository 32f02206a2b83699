"""Reading lessons and recording a student's progress through them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models import Lesson, LessonProgress, Track
from app.models.users import utcnow

#: Lists and pagers need only these columns; the rendered body and checks stay unloaded.
_LIST_COLUMNS = so.load_only(Lesson.id, Lesson.slug, Lesson.track_slug, Lesson.position, Lesson.title, Lesson.minutes)
#: A re-read of the same lesson within this time is not written again (reading stays write-free).
VIEW_WRITE_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class TrackProgress:
    track: Track
    lessons: list[Lesson]
    completed: set[int]
    resume: Lesson | None

    @property
    def done(self) -> int:
        return len(self.completed)

    @property
    def percent(self) -> int:
        return round(100 * self.done / len(self.lessons)) if self.lessons else 0


def tracks_with_progress(user_id: int | None) -> list[TrackProgress]:
    """Every track with its lessons in order; for a student, which are done and where to resume."""
    tracks = list(db.session.scalars(sa.select(Track).order_by(Track.position)))
    lessons = list(db.session.scalars(
        sa.select(Lesson).options(_LIST_COLUMNS).order_by(Lesson.track_slug, Lesson.position)))
    rows = []
    if user_id is not None:
        rows = list(db.session.scalars(sa.select(LessonProgress).where(LessonProgress.user_id == user_id)))
    completed = {r.lesson_id for r in rows if r.completed_at}
    viewed = {r.lesson_id: r.viewed_at for r in rows}
    out = []
    for track in tracks:
        in_track = [l for l in lessons if l.track_slug == track.slug]
        resume = None
        if user_id is not None and viewed.keys() & {l.id for l in in_track}:
            # The first lesson not yet completed; the track's next step.
            resume = next((l for l in in_track if l.id not in completed), None)
        out.append(TrackProgress(track, in_track, completed & {l.id for l in in_track}, resume))
    return out


def get_lesson(slug: str) -> Lesson | None:
    return db.session.scalar(sa.select(Lesson).options(so.joinedload(Lesson.track)).where(Lesson.slug == slug))


def neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    siblings = list(db.session.scalars(
        sa.select(Lesson).options(_LIST_COLUMNS).where(Lesson.track_slug == lesson.track_slug)
        .order_by(Lesson.position)))
    i = [l.id for l in siblings].index(lesson.id)
    return (siblings[i - 1] if i > 0 else None), (siblings[i + 1] if i + 1 < len(siblings) else None)


def _progress(user_id: int, lesson: Lesson) -> LessonProgress:
    row = db.session.scalar(sa.select(LessonProgress).where(
        LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id))
    if row is None:
        row = LessonProgress(user_id=user_id, lesson_id=lesson.id)
        db.session.add(row)
    return row


def _commit_progress() -> None:
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Two tabs recorded the first visit at once; the other request's row stands.
        db.session.rollback()


def get_progress(user_id: int, lesson: Lesson) -> LessonProgress | None:
    return db.session.scalar(sa.select(LessonProgress).where(
        LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id))


def record_view(user_id: int, lesson: Lesson, progress: LessonProgress | None) -> LessonProgress | None:
    """Remember the student opened the lesson (for "resume"); at most one write per few minutes."""
    now = utcnow()
    if progress is not None and now - progress.viewed_at < VIEW_WRITE_INTERVAL:
        return progress
    progress = progress or _progress(user_id, lesson)
    progress.viewed_at = now
    _commit_progress()
    return get_progress(user_id, lesson)


@dataclass(frozen=True)
class CheckResult:
    answers: dict[int, int | None]
    right: int
    total: int

    @property
    def score(self) -> float:
        return self.right / self.total if self.total else 0.0


def grade_check(lesson: Lesson, answers: dict[int, int | None]) -> CheckResult:
    right = sum(1 for i, q in enumerate(lesson.checks) if answers.get(i) == q["answer"])
    return CheckResult(answers, right, len(lesson.checks))


def record_check(user_id: int, lesson: Lesson, result: CheckResult) -> None:
    row = _progress(user_id, lesson)
    row.check_score = max(row.check_score or 0.0, result.score)
    _commit_progress()


def mark_complete(user_id: int, lesson: Lesson, complete: bool = True) -> None:
    row = _progress(user_id, lesson)
    if complete and row.completed_at is None:
        row.completed_at = utcnow()
    elif not complete:
        row.completed_at = None
    _commit_progress()

"""Reading lessons and recording a student's progress through them.

Lessons change only when content is imported, so each worker keeps the whole catalogue (tracks,
lessons, rendered bodies and questions, neighbours) in memory (``app/services/content_cache.py``):
a lesson page costs one small read for the student's progress, and an import shows on every worker
within a second.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from app.extensions import db
from app.models import Lesson, LessonProgress, Track
from app.services.content_cache import cached
from app import clock

#: A re-read of the same lesson within this time is not written again (reading stays write-free).
VIEW_WRITE_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class TrackView:
    slug: str
    title: str
    description: str
    position: int


@dataclass(frozen=True, eq=False)
class LessonView:
    """A lesson as pages show it; read once per content revision and shared by every request."""

    id: int
    slug: str
    track_slug: str
    track: TrackView
    position: int
    title: str
    minutes: int
    objectives: tuple
    body_html: str
    checks: tuple
    #: the check questions, unanswered, rendered once (the page shows them this way until answered)
    questions_html: Markup
    prev: LessonView | None = field(default=None, repr=False)
    next: LessonView | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Catalogue:
    tracks: tuple[TrackView, ...]
    #: lessons of each track, in order
    lessons: dict[str, tuple[LessonView, ...]]
    by_slug: dict[str, LessonView]


def catalogue() -> Catalogue:
    """This worker's copy of the lesson catalogue, re-read when a content import has changed it."""
    return cached("lessons", _read_catalogue)


def _read_catalogue() -> Catalogue:
    conn = db.session.connection()
    t, l = Track.__table__.c, Lesson.__table__.c
    tracks = tuple(TrackView(r.slug, r.title, r.description or "", r.position)
                   for r in conn.execute(sa.select(t.slug, t.title, t.description, t.position).order_by(t.position)))
    by_track_slug = {tr.slug: tr for tr in tracks}
    rows = conn.execute(sa.select(l.id, l.slug, l.track_slug, l.position, l.title, l.minutes, l.objectives,
                                  l.body_html, l.checks).order_by(l.track_slug, l.position, l.id))
    questions = current_app.jinja_env.get_template("lessons/_questions.html")
    grouped: dict[str, list[dict]] = {}
    for r in rows:
        grouped.setdefault(r.track_slug, []).append(dict(r._mapping))
    lessons: dict[str, tuple[LessonView, ...]] = {}
    for slug, items in grouped.items():
        track = by_track_slug.get(slug) or TrackView(slug, slug, "", 0)
        views: list[LessonView] = []
        nxt = None
        for item in reversed(items):  # build back to front so each lesson can name the next one
            checks = tuple(item["checks"] or ())
            unanswered = Markup(questions.render(lesson={"checks": checks}, result=None))  # nosec B704 - autoescaped template
            nxt = LessonView(item["id"], item["slug"], slug, track, item["position"], item["title"],
                             item["minutes"], tuple(item["objectives"] or ()), item["body_html"],
                             checks, unanswered, None, nxt)
            views.append(nxt)
        views.reverse()
        for before, after in zip(views, views[1:]):
            object.__setattr__(after, "prev", before)
        lessons[slug] = tuple(views)
    by_slug = {v.slug: v for views in lessons.values() for v in views}
    return Catalogue(tracks, lessons, by_slug)


@dataclass(frozen=True)
class TrackProgress:
    track: TrackView
    lessons: list[LessonView]
    completed: set[int]
    resume: LessonView | None

    @property
    def done(self) -> int:
        return len(self.completed)

    @property
    def percent(self) -> int:
        return round(100 * self.done / len(self.lessons)) if self.lessons else 0


_P = LessonProgress.__table__.c


def tracks_with_progress(user_id: int | None) -> list[TrackProgress]:
    """Every track with its lessons in order; for a student, which are done and where to resume."""
    cat = catalogue()
    rows = []
    if user_id is not None:
        rows = list(db.session.connection().execute(
            sa.select(_P.lesson_id, _P.completed_at).where(_P.user_id == user_id)))
    completed = {r.lesson_id for r in rows if r.completed_at}
    viewed = {r.lesson_id for r in rows}
    out = []
    for track in cat.tracks:
        in_track = list(cat.lessons.get(track.slug, ()))
        ids = {l.id for l in in_track}
        resume = None
        if user_id is not None and viewed & ids:
            # The first lesson not yet completed; the track's next step.
            resume = next((l for l in in_track if l.id not in completed), None)
        out.append(TrackProgress(track, in_track, completed & ids, resume))
    return out


def get_lesson(slug: str) -> LessonView | None:
    return catalogue().by_slug.get(slug)


def neighbours(lesson: LessonView) -> tuple[LessonView | None, LessonView | None]:
    return lesson.prev, lesson.next


@dataclass(frozen=True)
class ProgressView:
    viewed_at: datetime
    completed_at: datetime | None
    check_score: float | None


def _progress(user_id: int, lesson: LessonView) -> LessonProgress:
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


_GET_PROGRESS = (sa.select(_P.viewed_at, _P.completed_at, _P.check_score)
                 .where(_P.user_id == sa.bindparam("user_id"), _P.lesson_id == sa.bindparam("lesson_id")))


def get_progress(user_id: int, lesson: LessonView) -> ProgressView | None:
    row = db.session.connection().execute(_GET_PROGRESS, {"user_id": user_id, "lesson_id": lesson.id}).first()
    return ProgressView(*row) if row is not None else None


def record_view(user_id: int, lesson: LessonView, progress: ProgressView | None) -> ProgressView | None:
    """Remember the student opened the lesson (for "resume"); at most one write per few minutes."""
    now = clock.utcnow()
    if progress is not None and now - progress.viewed_at < VIEW_WRITE_INTERVAL:
        return progress
    row = _progress(user_id, lesson)
    row.viewed_at = now
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


def grade_check(lesson: LessonView, answers: dict[int, int | None]) -> CheckResult:
    right = sum(1 for i, q in enumerate(lesson.checks) if answers.get(i) == q["answer"])
    return CheckResult(answers, right, len(lesson.checks))


def record_check(user_id: int, lesson: LessonView, result: CheckResult) -> None:
    row = _progress(user_id, lesson)
    row.check_score = max(row.check_score or 0.0, result.score)
    _commit_progress()


def mark_complete(user_id: int, lesson: LessonView, complete: bool = True) -> None:
    row = _progress(user_id, lesson)
    if complete and row.completed_at is None:
        row.completed_at = clock.utcnow()
    elif not complete:
        row.completed_at = None
    _commit_progress()

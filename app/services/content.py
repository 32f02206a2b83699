"""Importing content files into the database: all of it in one transaction, or none of it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.content import ContentError
from app.content.lessons import LessonContent, load_lesson_content
from app.extensions import db
from app.models import Lesson, Track


@dataclass(frozen=True)
class ImportReport:
    counts: dict[str, int]
    errors: tuple[ContentError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def content_dir() -> Path:
    return Path(current_app.config["CONTENT_DIR"])


def check_content(base: Path | None = None) -> ImportReport:
    """Validate every content file without touching the database."""
    base = base or content_dir()
    lessons, errors = load_lesson_content(base / "lessons")
    counts = {"tracks": len(lessons.tracks), "lessons": len(lessons.lessons)} if lessons else {}
    return ImportReport(counts, tuple(errors))


def import_content(base: Path | None = None) -> ImportReport:
    """Validate everything first; write only if every file is sound, in one transaction."""
    base = base or content_dir()
    lessons, errors = load_lesson_content(base / "lessons")
    if errors:
        return ImportReport({}, tuple(errors))
    try:
        counts = _write_lessons(lessons)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ImportReport(counts, ())


def _write_lessons(content: LessonContent) -> dict[str, int]:
    existing_tracks = {t.slug: t for t in db.session.scalars(sa.select(Track))}
    for t in content.tracks:
        track = existing_tracks.get(t.slug) or Track(slug=t.slug)
        track.title, track.position, track.description = t.title, t.order, t.description
        db.session.add(track)
    existing = {l.slug: l for l in db.session.scalars(sa.select(Lesson))}
    changed = 0
    for data in content.lessons:
        lesson = existing.pop(data.slug, None)
        if lesson is not None and lesson.content_hash == data.content_hash and lesson.track_slug == data.track:
            continue
        lesson = lesson or Lesson(slug=data.slug)
        lesson.track_slug, lesson.position, lesson.title = data.track, data.order, data.title
        lesson.minutes, lesson.objectives = data.minutes, list(data.objectives)
        lesson.body_html = data.body_html
        lesson.checks = [
            {"question": c.question, "choices": list(c.choices), "answer": c.answer, "explanation": c.explanation}
            for c in data.checks
        ]
        lesson.source_path = str(Path(data.source_path).relative_to(current_app.config["CONTENT_DIR"])) \
            if data.source_path.startswith(current_app.config["CONTENT_DIR"]) else data.source_path
        lesson.content_hash = data.content_hash
        db.session.add(lesson)
        changed += 1
    for gone in existing.values():  # the file was removed: so is the lesson
        db.session.delete(gone)
    db.session.flush()
    for slug, track in existing_tracks.items():
        if slug not in {t.slug for t in content.tracks}:
            db.session.delete(track)
    return {"tracks": len(content.tracks), "lessons": len(content.lessons),
            "lessons_changed": changed, "lessons_removed": len(existing)}

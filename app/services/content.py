"""Importing content files into the database: all of it in one transaction, or none of it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

import hashlib
import json

from app.content import ContentError
from app.content.cases import Case, check_case_codes, load_case
from app.content.lessons import LessonContent, load_lesson_content
from app.content.markdown import render_markdown
from app.extensions import db
from app.models import CodingCase, Lesson, Track
from app.services.codes import CodeSetMissing, codeset


@dataclass(frozen=True)
class ImportReport:
    counts: dict[str, int]
    errors: tuple[ContentError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def content_dir() -> Path:
    return Path(current_app.config["CONTENT_DIR"])


@dataclass(frozen=True)
class LoadedContent:
    lessons: LessonContent | None
    cases: list[Case]
    errors: list[ContentError]


def load_cases_checked(directory: Path) -> tuple[list[Case], list[ContentError]]:
    """Every case file parsed and its answer key checked against the code set for its year."""
    cases, errors, seen = [], [], {}
    if not directory.exists():
        return [], []
    try:
        codes = codeset()
    except CodeSetMissing as exc:
        return [], [ContentError(directory, None, str(exc))]
    for path in sorted(directory.glob("*.y*ml")):
        try:
            case = load_case(path)
        except ContentError as exc:
            errors.append(exc)
            continue
        if case.slug in seen:
            errors.append(ContentError(path, case.lines.get("slug"), f"slug '{case.slug}' is also used by {seen[case.slug]}"))
            continue
        seen[case.slug] = str(path)
        problems = check_case_codes(case, codes)
        errors.extend(problems)
        if not problems:
            cases.append(case)
    return cases, errors


def load_all(base: Path) -> LoadedContent:
    lessons, errors = load_lesson_content(base / "lessons")
    cases, case_errors = load_cases_checked(base / "quizzes" / "cases")
    return LoadedContent(lessons, cases, errors + case_errors)


def check_content(base: Path | None = None) -> ImportReport:
    """Validate every content file without touching the database."""
    loaded = load_all(base or content_dir())
    counts = {}
    if loaded.lessons:
        counts = {"tracks": len(loaded.lessons.tracks), "lessons": len(loaded.lessons.lessons)}
    counts["cases"] = len(loaded.cases)
    return ImportReport(counts, tuple(loaded.errors))


def import_content(base: Path | None = None) -> ImportReport:
    """Validate everything first; write only if every file is sound, in one transaction."""
    loaded = load_all(base or content_dir())
    if loaded.errors:
        return ImportReport({}, tuple(loaded.errors))
    try:
        counts = _write_lessons(loaded.lessons)
        counts.update(_write_cases(loaded.cases))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ImportReport(counts, ())


def _relative(path: str) -> str:
    base = current_app.config["CONTENT_DIR"]
    return str(Path(path).relative_to(base)) if path.startswith(base) else path


def _write_cases(cases: list[Case]) -> dict[str, int]:
    existing = {c.slug: c for c in db.session.scalars(sa.select(CodingCase))}
    changed = 0
    for case in cases:
        key = case.answer_key
        key_version = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        content_hash = hashlib.sha256(Path(case.path).read_bytes()).hexdigest()
        row = existing.pop(case.slug, None)
        if row is not None and row.content_hash == content_hash and row.active:
            continue
        row = row or CodingCase(slug=case.slug)
        row.title, row.setting, row.code_year, row.difficulty = case.title, case.setting, case.code_year, case.difficulty
        row.domains, row.vignette_html = list(case.domains), render_markdown(case.vignette)
        row.answer_key, row.key_version = key, key_version
        row.source_path, row.content_hash, row.active = _relative(case.path), content_hash, True
        db.session.add(row)
        changed += 1
    for gone in existing.values():  # file removed: keep the row for its attempts, stop listing it
        gone.active = False
    return {"cases": len(cases), "cases_changed": changed, "cases_retired": len(existing)}


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
        lesson.source_path = _relative(data.source_path)
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

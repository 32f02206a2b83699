"""Lesson tracks and lesson files (Markdown with YAML front matter) read and validated."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from app.content.errors import ContentError
from app.content.figures import Figure, copied_figures, expand_figures, load_figures, unknown_figure_refs
from app.content.markdown import RENDER_VERSION, markdown_problem, render_markdown
from app.content.reader import SLUG_RE, Reader, read_text
from app.content.yamlmarks import LineDict

LESSON_FIELDS = {"title", "track", "order", "minutes", "objectives", "check"}
CHECK_FIELDS = {"question", "choices", "answer", "explanation"}


@dataclass(frozen=True)
class TrackData:
    slug: str
    title: str
    order: int
    description: str


@dataclass(frozen=True)
class CheckQuestion:
    question: str
    choices: tuple[str, ...]
    answer: int
    explanation: str


@dataclass(frozen=True)
class LessonData:
    slug: str
    track: str
    order: int
    title: str
    minutes: int
    objectives: tuple[str, ...]
    checks: tuple[CheckQuestion, ...]
    body_markdown: str
    body_html: str
    source_path: str
    content_hash: str


@dataclass(frozen=True)
class LessonContent:
    tracks: tuple[TrackData, ...]
    lessons: tuple[LessonData, ...]


def _require(cond: bool, path, line, message: str) -> None:
    if not cond:
        raise ContentError(path, line, message)


def _text(data: LineDict, key: str, path) -> str:
    value = data.get(key)
    _require(isinstance(value, str) and value.strip() != "", path, data.line_of(key),
             f"'{key}' must be non-empty text")
    return value.strip()


def _int(data: LineDict, key: str, path, low: int, high: int) -> int:
    value = data.get(key)
    _require(isinstance(value, int) and not isinstance(value, bool) and low <= value <= high,
             path, data.line_of(key), f"'{key}' must be a whole number from {low} to {high}")
    return value


def load_tracks(path: Path) -> tuple[TrackData, ...]:
    _require(path.exists(), path, None, "missing tracks file")
    data = Reader(path).data()
    _require(isinstance(data, list) and data, path, 1, "expected a list of tracks")
    tracks, seen = [], set()
    for item in data:
        _require(isinstance(item, LineDict), path, None, "each track must be a mapping")
        unknown = set(item) - {"slug", "title", "order", "description"}
        _require(not unknown, path, item.line, f"unknown field(s): {', '.join(sorted(unknown))}")
        slug = _text(item, "slug", path)
        _require(bool(SLUG_RE.match(slug)), path, item.line_of("slug"), f"bad slug '{slug}'")
        _require(slug not in seen, path, item.line_of("slug"), f"duplicate track '{slug}'")
        seen.add(slug)
        tracks.append(TrackData(slug, _text(item, "title", path), _int(item, "order", path, 0, 999),
                                str(item.get("description") or "").strip()))
    return tuple(tracks)


def _split_front_matter(text: str, path) -> tuple[str, str, int]:
    """Return (front matter, body, line of the body's first line)."""
    lines = text.splitlines(keepends=True)
    _require(bool(lines) and lines[0].strip() == "---", path, 1,
             "a lesson must start with '---' and YAML front matter")
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1:]), i + 2
    raise ContentError(path, 1, "front matter is not closed by a '---' line")


def _load_check(item, path, fig=lambda s: s) -> CheckQuestion:
    _require(isinstance(item, LineDict), path, None, "each check question must be a mapping")
    unknown = set(item) - CHECK_FIELDS
    _require(not unknown, path, item.line, f"unknown check field(s): {', '.join(sorted(unknown))}")
    choices = item.get("choices")
    _require(isinstance(choices, list) and 2 <= len(choices) <= 6
             and all(isinstance(c, (str, int, float)) and str(c).strip() for c in choices),
             path, item.line_of("choices"), "'choices' must list 2 to 6 non-empty answers")
    answer = _int(item, "answer", path, 0, len(choices) - 1)
    return CheckQuestion(fig(_text(item, "question", path)), tuple(fig(str(c)) for c in choices), answer,
                         fig(_text(item, "explanation", path)))


def load_lesson(path: Path, track_slugs: set[str], figures: dict[str, Figure] | None = None,
                figures_hash: str = "") -> LessonData:
    """One lesson; ``[[figure:ID]]`` / ``[[figures:ID, ID]]`` tokens are filled from ``figures``
    (content/figures.yml), so pay and outlook figures live in one file (see app/content/figures.py)."""
    raw = read_text(path)
    figures = figures or {}
    for line, problem in unknown_figure_refs(raw, figures):
        raise ContentError(path, line, problem)
    for line, problem in copied_figures(raw, figures):
        raise ContentError(path, line, problem)
    fig = lambda s: expand_figures(s, figures)  # noqa: E731
    front, body, _ = _split_front_matter(raw, path)
    body = fig(body)
    data = Reader(path, front, line_offset=1).data()
    _require(isinstance(data, LineDict), path, 2, "front matter must be a mapping of fields")
    unknown = set(data) - LESSON_FIELDS
    _require(not unknown, path, data.line, f"unknown field(s): {', '.join(sorted(unknown))}")
    track = _text(data, "track", path)
    _require(track in track_slugs, path, data.line_of("track"),
             f"unknown track '{track}' (known: {', '.join(sorted(track_slugs))})")
    objectives = data.get("objectives")
    _require(isinstance(objectives, list) and objectives and all(isinstance(o, str) and o.strip() for o in objectives),
             path, data.line_of("objectives"), "'objectives' must be a non-empty list of text")
    checks = data.get("check")
    _require(isinstance(checks, list) and 3 <= len(checks) <= 5, path, data.line_of("check"),
             "'check' must hold 3 to 5 questions")
    _require(body.strip() != "", path, None, "the lesson has no body text")
    shape = markdown_problem(body)  # past it, render_markdown would show the lesson as plain text
    _require(shape is None, path, None, f"the lesson body: {shape}")
    slug = re.sub(r"^\d+-", "", path.stem)
    _require(bool(SLUG_RE.match(slug)), path, None, f"file name gives a bad slug '{slug}'")
    return LessonData(
        slug=slug, track=track, order=_int(data, "order", path, 0, 999), title=_text(data, "title", path),
        minutes=_int(data, "minutes", path, 1, 240), objectives=tuple(fig(o.strip()) for o in objectives),
        checks=tuple(_load_check(c, path, fig) for c in checks), body_markdown=body,
        body_html=render_markdown(body), source_path=str(path),
        # a changed figure changes every lesson that shows one, so it is re-imported
        content_hash=hashlib.sha256((raw + (figures_hash if "[[figure" in raw else "")
                                     + RENDER_VERSION).encode()).hexdigest(),
    )


def load_lesson_content(lessons_dir: Path) -> tuple[LessonContent | None, list[ContentError]]:
    """Read every track and lesson; return the content, or None and every problem found."""
    errors: list[ContentError] = []
    try:
        tracks = load_tracks(lessons_dir / "tracks.yml")
    except ContentError as exc:
        return None, [exc]
    slugs = {t.slug for t in tracks}
    figures_path = lessons_dir.parent / "figures.yml"
    try:
        figures = load_figures(figures_path)
    except ContentError as exc:
        return None, [exc]
    figures_hash = hashlib.sha256(figures_path.read_bytes()).hexdigest() if figures_path.exists() else ""
    lessons: list[LessonData] = []
    seen: dict[str, str] = {}
    for path in sorted(lessons_dir.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            lesson = load_lesson(path, slugs, figures, figures_hash)
        except ContentError as exc:
            errors.append(exc)
            continue
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(ContentError(path, None, f"cannot read file: {exc}"))
            continue
        if lesson.slug in seen:
            errors.append(ContentError(path, None, f"slug '{lesson.slug}' is also used by {seen[lesson.slug]}"))
            continue
        seen[lesson.slug] = str(path)
        lessons.append(lesson)
    if errors:
        return None, errors
    lessons.sort(key=lambda l: ([t.slug for t in sorted(tracks, key=lambda t: t.order)].index(l.track), l.order))
    return LessonContent(tuple(tracks), tuple(lessons)), []

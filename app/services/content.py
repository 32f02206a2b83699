"""Importing content files into the database: all of it in one transaction, or none of it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

import datetime as dt
import hashlib
import json
from decimal import Decimal

from app.claims.payer import PayerError, load_payer
from app.claims.scenarios import Scenario, check_scenario
from app.content.reader import read_dir
from app.content.scenarios import load_scenario
from app.content import ContentError, fy_codes
from app.content.cases import Case, check_case_codes, load_case
from app.content.lessons import LessonContent, load_lesson_content
from app.content.markdown import render_markdown
from app.content.wording import check_cpt_wording
from app.extensions import db
from app.models import ClaimPayer, ClaimScenario, CodingCase, Lesson, Track
from app.services.codes import CodeSetMissing, codeset
from app.services.content_cache import bump_revision
from app.services.quizzes import load_site_quizzes, write_site_quizzes


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
    payers: dict = None
    scenarios: list[Scenario] = None
    quizzes: list = None  # (QuizData, path) of each content/quizzes/*.yml quiz
    exams: object = None  # app.services.exam_content.ExamContent: question bank and exam blueprints


def load_cases_checked(directory: Path) -> tuple[list[Case], list[ContentError]]:
    """Every case file parsed and its answer key checked against the code set for its year."""
    if not directory.exists():
        return [], []
    try:
        codes = codeset()
    except CodeSetMissing as exc:
        return [], [ContentError(directory, None, str(exc))]
    return read_dir(directory, load_case, lambda case: (case.slug, case.lines.get("slug")),
                    check=lambda case: check_case_codes(case, codes))


def _located(message: str, path: str) -> ContentError:
    """A ``file:line: message`` string (as the claim engine's checks report) as a ContentError."""
    rest = message[len(path) + 1:] if message.startswith(f"{path}:") else message
    line, sep, text = rest.partition(": ")
    if sep and line.isdigit():
        return ContentError(path, int(line) or None, text)
    return ContentError(path, None, rest)


def load_scenarios_checked(payer_dir: Path, scenario_dir: Path):
    """Payer profiles and scenarios, each scenario run through the engine against its payer and the
    code set (the planted claim must answer as the file says; every correction must be paid)."""
    payers, errors = {}, []
    if payer_dir.exists():
        for path in sorted(payer_dir.glob("*.yml")):
            try:
                payers[path.stem] = (load_payer(path), path)
            except PayerError as exc:
                errors.append(_located(str(exc), str(path)))
    scenarios = []
    if not scenario_dir.exists():
        return payers, scenarios, errors
    try:
        codes = codeset()
    except CodeSetMissing as exc:
        return payers, [], errors + [ContentError(scenario_dir, None, str(exc))]
    profiles = {slug: profile for slug, (profile, _path) in payers.items()}
    scenarios, problems = read_dir(
        scenario_dir, load_scenario, lambda s: (s.slug, s.lines.get("slug")),
        check=lambda s: [_located(p, s.path) for p in check_scenario(s, profiles, codes)])
    return payers, scenarios, errors + problems


def load_all(base: Path) -> LoadedContent:
    lessons, errors = load_lesson_content(base / "lessons")
    cases, case_errors = load_cases_checked(base / "quizzes" / "cases")
    payers, scenarios, scenario_errors = load_scenarios_checked(base / "payers", base / "quizzes" / "scenarios")
    quizzes, quiz_errors = load_site_quizzes(base / "quizzes")  # top-level quiz files, not cases/ or scenarios/
    from app.services.exam_content import load_exams_checked
    exams, exam_errors = load_exams_checked(base)  # content/questions/ and content/exams.yml
    fy_errors = deleted_code_errors(cases, scenarios, exams)
    wording_errors = check_cpt_wording(base)  # CPT descriptor shapes and retired labels in any text
    return LoadedContent(lessons, cases, errors + case_errors + scenario_errors + quiz_errors + exam_errors
                         + fy_errors + wording_errors, payers, scenarios, quizzes, exams)


def deleted_code_errors(cases, scenarios, exams) -> list[ContentError]:
    """ICD-10-CM codes deleted by the fiscal year each dated file falls in (FY2027 on)."""
    items = [fy_codes.scenario_item(s.path, [l.date_of_service for l in s.claim.lines if l.date_of_service])
             for s in scenarios or ()]
    items += [fy_codes.code_year_item(c.path, c.code_year) for c in cases or ()]
    bank = getattr(exams, "bank", None)
    items += [fy_codes.code_year_item(f.path, f.code_year) for f in (bank.files if bank else ()) if f.code_year]
    return fy_codes.deleted_code_problems(items)


def check_content(base: Path | None = None) -> ImportReport:
    """Validate every content file without touching the database."""
    base = base or content_dir()
    loaded = load_all(base)
    counts = {}
    errors = list(loaded.errors)
    if loaded.lessons:
        counts = {"tracks": len(loaded.lessons.tracks), "lessons": len(loaded.lessons.lessons)}
        if (Path(base) / "coverage.yml").exists():  # the course map names only lessons that exist
            from app.content.coverage import load_course_map
            try:
                load_course_map(Path(base) / "coverage.yml", [lesson.slug for lesson in loaded.lessons.lessons])
            except ContentError as exc:
                errors.append(exc)
    counts["cases"] = len(loaded.cases)
    counts["payers"] = len(loaded.payers)
    counts["scenarios"] = len(loaded.scenarios)
    counts["quizzes"] = len(loaded.quizzes)
    if loaded.exams is not None and loaded.exams.bank is not None:
        counts["questions"] = len(loaded.exams.bank)
    return ImportReport(counts, tuple(errors))


def import_content(base: Path | None = None) -> ImportReport:
    """Validate everything first; write only if every file is sound, in one transaction."""
    loaded = load_all(base or content_dir())
    if loaded.errors:
        return ImportReport({}, tuple(loaded.errors))
    try:
        counts = _write_lessons(loaded.lessons)
        counts.update(_write_cases(loaded.cases))
        counts.update(_write_payers(loaded.payers))
        counts.update(_write_scenarios(loaded.scenarios))
        counts.update(write_site_quizzes(loaded.quizzes, _relative))
        from app.services.exam_content import write_exams
        counts.update(write_exams(loaded.exams, _relative))
        bump_revision()
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


def plain(value):
    """YAML-loaded data as JSON-safe plain data: dates as ISO strings, amounts as strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date, Decimal)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return value


def _write_payers(payers: dict) -> dict[str, int]:
    from app.content.yamlmarks import load_yaml

    existing = {p.slug: p for p in db.session.scalars(sa.select(ClaimPayer))}
    for slug, (profile, path) in payers.items():
        raw = Path(path).read_bytes()
        content_hash = hashlib.sha256(raw).hexdigest()
        row = existing.pop(slug, None)
        if row is not None and row.content_hash == content_hash:
            continue
        row = row or ClaimPayer(slug=slug)
        row.name, row.data = profile.name, plain(load_yaml(raw.decode("utf-8"), str(path)))
        row.source_path, row.content_hash = _relative(str(path)), content_hash
        db.session.add(row)
    for gone in existing.values():  # scenarios name payers by slug; a removed file leaves no profile
        db.session.delete(gone)
    return {"payers": len(payers)}


def _resolution_data(res) -> dict:
    def changes(items):
        return [{"path": c.path, "value": plain(c.value), "remove": c.remove} for c in items]

    member = None
    if res.member is not None:
        m = res.member
        member = plain({"member_id": m.member_id, "name": m.name, "birth_date": m.birth_date, "sex": m.sex,
                        "plan": m.plan, "group": m.group, "coverage_start": m.coverage_start,
                        "coverage_end": m.coverage_end, "deductible_met": m.deductible_met,
                        "primary_payer": m.primary_payer})
    return {"action": res.action, "rationale": res.rationale, "changes": changes(res.changes),
            "evidence": changes(res.evidence), "payer": res.payer, "member": member,
            "today": res.today.isoformat() if res.today else None}


def _write_scenarios(scenarios: list[Scenario]) -> dict[str, int]:
    from app.content.yamlmarks import load_yaml

    existing = {s.slug: s for s in db.session.scalars(sa.select(ClaimScenario))}
    changed = 0
    for sc in scenarios:
        raw = Path(sc.path).read_bytes()
        content_hash = hashlib.sha256(raw).hexdigest()
        row = existing.pop(sc.slug, None)
        if row is not None and row.content_hash == content_hash and row.active:
            continue
        data = load_yaml(raw.decode("utf-8"), sc.path)  # the member and history blocks as written
        exp = sc.expected
        expected = {"status": exp.status, "carcs": list(exp.carcs), "causes": list(exp.causes),
                    "paid": None if exp.paid is None else str(exp.paid)}
        if exp.status_codes:  # a rejection: the acknowledgment's claim status codes and categories
            expected.update(status_codes=list(exp.status_codes), categories=list(exp.categories))
        resolutions = [_resolution_data(r) for r in sc.resolutions]
        row = row or ClaimScenario(slug=sc.slug)
        row.title, row.payer_slug, row.today, row.difficulty = sc.title, sc.payer, sc.today, sc.difficulty
        row.encounter, row.claim = sc.encounter, plain(sc.claim_data)
        row.member = plain(data["member"]) if data.get("member") else None
        row.history = plain(data.get("history") or [])
        row.expected, row.resolutions = expected, resolutions
        row.not_accepted, row.rationale = plain(list(sc.not_accepted)), sc.rationale
        row.key_version = hashlib.sha256(json.dumps(
            {"expected": expected, "resolutions": resolutions}, sort_keys=True).encode()).hexdigest()
        row.source_path, row.content_hash, row.active = _relative(sc.path), content_hash, True
        db.session.add(row)
        changed += 1
    for gone in existing.values():  # file removed: keep the row for its attempts, stop listing it
        gone.active = False
    return {"scenarios": len(scenarios), "scenarios_changed": changed, "scenarios_retired": len(existing)}


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


def coverage_report(base: Path | None = None):
    """(rows, errors): the course's coverage against content/coverage.yml (see app/content/coverage.py)."""
    from app.content.coverage import coverage, load_course_map
    from app.services.progress import DENIAL_CATEGORIES, FRONT_END, denial_categories

    base = Path(base or current_app.config["CONTENT_DIR"])
    loaded = load_all(base)
    if loaded.errors:
        return [], loaded.errors
    lesson_slugs = [lesson.slug for lesson in (loaded.lessons.lessons if loaded.lessons else ())]
    try:
        course = load_course_map(base / "coverage.yml", lesson_slugs)
    except ContentError as exc:
        return [], [exc]
    categories = [tuple(key for key, _ in denial_categories(s.expected.carcs, s.expected.status))
                  for s in loaded.scenarios or ()]
    bank = loaded.exams.bank if loaded.exams else None
    bank_counts = {f.domain: len(f.questions) for f in (bank.files if bank else ())}
    needs: dict[str, int] = {}
    for bp in (loaded.exams.blueprints if loaded.exams else ()):
        for domain, n in bp.domains:
            needs[domain] = max(needs.get(domain, 0), n)
    billing = [FRONT_END[0]] + [key for key, _name, _codes in DENIAL_CATEGORIES]
    return coverage(course, loaded.cases, categories, bank_counts, needs, billing), []

"""The question bank and exam blueprints as `flask content import` loads, checks and writes them."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from app.content.errors import ContentError
from app.content.questions import QuestionBank, check_question_codes, load_question_bank
from app.examforms.blueprints import BlueprintSpec, check_blueprints, load_blueprints
from app.extensions import db
from app.models import ExamBlueprint, ExamQuestion
from app.services.codes import CodeSetMissing, codeset


@dataclass(frozen=True)
class ExamContent:
    bank: QuestionBank | None = None
    blueprints: list[BlueprintSpec] = field(default_factory=list)


def load_exams_checked(base: Path) -> tuple[ExamContent, list[ContentError]]:
    """The bank (every code it names checked against the code set) and the blueprints (every domain
    they draw from present in the bank for their exam). No question directory: nothing to import."""
    qdir, bfile = base / "questions", base / "exams.yml"
    if not qdir.exists():
        return ExamContent(), []
    try:
        bank = load_question_bank(qdir)
    except ContentError as exc:
        return ExamContent(), [exc]
    try:
        errors = check_question_codes(bank, codeset())
    except CodeSetMissing as exc:
        return ExamContent(), [ContentError(qdir, None, str(exc))]
    blueprints: list[BlueprintSpec] = []
    if bfile.exists():
        try:
            blueprints = load_blueprints(bfile)
        except ContentError as exc:
            return ExamContent(), errors + [exc]
        domains: dict[str, set[str]] = {}
        for qf in bank.files:
            for exam in qf.exams:
                domains.setdefault(exam, set()).add(qf.domain)
        errors += check_blueprints(blueprints, domains, str(bfile))
    return ExamContent(bank, blueprints), errors


def write_exams(content: ExamContent | None, relative) -> dict[str, int]:
    """Upsert items and blueprints (inside the caller's transaction); removed ones are retired."""
    if content is None or content.bank is None:
        return {}
    existing = {q.qid: q for q in db.session.scalars(sa.select(ExamQuestion))}
    changed = 0
    for qf in content.bank.files:
        for q in qf.questions:
            data = {"domain": q.domain, "title": qf.title, "exams": list(qf.exams), "difficulty": q.difficulty,
                    "stem": q.stem, "choices": [{"text": c.text, "why": c.why} for c in q.choices], "answer": q.answer}
            digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
            row = existing.pop(q.id, None)
            if row is not None and row.content_hash == digest and row.active:
                continue
            row = row or ExamQuestion(qid=q.id)
            row.domain, row.domain_title, row.exams = q.domain, qf.title, list(qf.exams)
            row.difficulty, row.stem, row.choices, row.answer = q.difficulty, q.stem, data["choices"], q.answer
            row.source_path, row.content_hash, row.active = relative(q.path), digest, True
            db.session.add(row)
            changed += 1
    for gone in existing.values():  # attempts keep their items; new forms never draw them
        gone.active = False
    old = {b.slug: b for b in db.session.scalars(sa.select(ExamBlueprint))}
    for position, bp in enumerate(content.blueprints):
        row = old.pop(bp.slug, None) or ExamBlueprint(slug=bp.slug)
        row.title, row.position, row.data, row.active = bp.title, position, bp.as_data(), True
        db.session.add(row)
    for gone in old.values():
        gone.active = False
    return {"questions": len(content.bank), "questions_changed": changed, "exam_blueprints": len(content.blueprints)}

"""Quizzes: authoring with versions and conflict-safe saves, publishing, taking and grading, files."""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.content.errors import ContentError
from app.content.markdown import markdown_problem
from app.content.question_types import GradingContext, question_type
from app.content.quizfiles import (
    QuizData,
    QuizFileErrors,
    decode_quiz_bytes,
    dump_quiz_yaml,
    growth_problem as quiz_growth_problem,
    load_quiz_file,
    load_quiz_yaml,
    question_problems,
    quiz_code_errors,
    slugify,
)
from app.extensions import db
from app.models import Assignment, ClaimScenario, CodingCase, Enrollment, Quiz, QuizAttempt, QuizVersion, User
from app import clock
from app.services.attempts import store_once
from app.services.codes import CodeSetMissing, codeset

EDITOR_ROLES = ("instructor", "admin")


class SaveConflict(Exception):
    """Someone saved the quiz after the form was opened: nothing was written."""

    def __init__(self, quiz: Quiz) -> None:
        self.saved_by = quiz.saved_by.name if quiz.saved_by else "Someone"
        self.saved_at: datetime = quiz.saved_at
        self.revision = quiz.revision
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return (f"{self.saved_by} saved this quiz at {self.saved_at:%H:%M} UTC; "
                f"your changes were not saved — here they are:")


# --- reading ------------------------------------------------------------------------------------

def list_own(user) -> list[Quiz]:
    """An instructor's quizzes; an admin sees every quiz (site quizzes from files included)."""
    query = (sa.select(Quiz).order_by(Quiz.saved_at.desc(), Quiz.id.desc())
             .options(so.selectinload(Quiz.versions), so.selectinload(Quiz.saved_by)))
    if not user.has_role("admin"):
        query = query.where(Quiz.owner_id == user.id)
    return list(db.session.scalars(query))


def get_own_quiz(quiz_id: int, user) -> Quiz | None:
    """A quiz its owner (or an admin) may edit; anyone else gets None (a 404)."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or (quiz.owner_id != user.id and not user.has_role("admin")):
        return None
    return quiz


def latest_version(quiz: Quiz) -> QuizVersion:
    return quiz.versions[-1]


def published_version(quiz: Quiz) -> QuizVersion | None:
    if quiz.published_number is None:
        return None
    return next((v for v in quiz.versions if v.number == quiz.published_number), None)


@dataclass(frozen=True)
class PublishedRow:
    quiz: Quiz
    version: QuizVersion
    best: float | None
    attempts: int


def visible_to(user) -> sa.ColumnElement[bool]:
    """Which published quizzes ``user`` may see and take (a WHERE clause on Quiz):

    - site quizzes (from content/quizzes/) and quizzes their instructor marked site-wide practice: everyone;
    - any other quiz: its owner, and students of a class it is assigned to;
    - an admin: every quiz.

    Anyone else gets a 404, as for other people's things: a published quiz is not open to whoever guesses
    its id."""
    if user.has_role("admin"):
        return sa.true()
    assigned = (sa.select(Assignment.id).join(Enrollment, Enrollment.class_id == Assignment.class_id)
                .where(Enrollment.student_id == user.id, Assignment.kind == "quiz",
                       Assignment.ref == sa.cast(Quiz.id, sa.String)).exists())
    return sa.or_(Quiz.source_path.is_not(None), Quiz.practice.is_(True), Quiz.owner_id == user.id, assigned)


def list_published(user) -> list[PublishedRow]:
    """Published quizzes ``user`` may take, with their best score: two queries whatever the count."""
    rows = db.session.execute(
        sa.select(Quiz, QuizVersion).join(QuizVersion, sa.and_(
            QuizVersion.quiz_id == Quiz.id, QuizVersion.number == Quiz.published_number))
        .where(visible_to(user)).order_by(QuizVersion.title)).all()
    best = {quiz_id: (score, n) for quiz_id, score, n in db.session.execute(
        sa.select(QuizAttempt.quiz_id, sa.func.max(QuizAttempt.score), sa.func.count())
        .where(QuizAttempt.user_id == user.id).group_by(QuizAttempt.quiz_id))}
    return [PublishedRow(q, v, *best.get(q.id, (None, 0))) for q, v in rows]


def published_titles(instructor_id: int | None = None) -> list[tuple[str, str]]:
    """(quiz id as text, title) of the published quizzes an instructor can assign: site quizzes, site-wide
    practice and their own (another instructor's class-only quiz is not theirs to hand out). Every
    published quiz when ``instructor_id`` is None."""
    query = (sa.select(Quiz.id, QuizVersion.title).join(QuizVersion, sa.and_(
        QuizVersion.quiz_id == Quiz.id, QuizVersion.number == Quiz.published_number)).order_by(QuizVersion.title))
    if instructor_id is not None:
        query = query.where(sa.or_(Quiz.source_path.is_not(None), Quiz.practice.is_(True),
                                   Quiz.owner_id == instructor_id))
    return [(str(quiz_id), title) for quiz_id, title in db.session.execute(query)]


def get_published(quiz_id: int, user) -> tuple[Quiz, QuizVersion] | None:
    """The quiz and its live version if ``user`` may take it (see ``visible_to``); else None (a 404)."""
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.id == quiz_id, visible_to(user)))
    version = published_version(quiz) if quiz else None
    return (quiz, version) if version else None


def set_practice(quiz: Quiz, revision: int, user_id: int, practice: bool) -> None:
    """Open the quiz to every student (site-wide practice) or keep it to the classes it is assigned to.
    Who may take it is not content: no new version is made."""
    if quiz.source_path:
        raise SiteQuizReadOnly(quiz)
    _claim(quiz, revision, user_id)
    quiz.practice = bool(practice)
    db.session.commit()


#: how long after a new version goes live a page showing the previous one may still be submitted
SUPERSEDED_GRACE = timedelta(hours=4)


def version_for_submission(quiz: Quiz, live: QuizVersion, version_id: int | None) -> QuizVersion | None:
    """The version a posted answer page showed: the live one, or the one it replaced if that happened
    recently (a student mid-quiz keeps the questions they read). None: the page is too old."""
    if version_id in (None, live.id):
        return live
    shown = next((v for v in quiz.versions if v.id == version_id and v.frozen), None)
    if shown is None or live.published_at is None or clock.utcnow() - live.published_at > SUPERSEDED_GRACE:
        return None
    return shown


def get_own_attempt(attempt_id: int, user_id: int) -> QuizAttempt | None:
    """An attempt, only for the student who made it."""
    return db.session.scalar(sa.select(QuizAttempt).where(QuizAttempt.id == attempt_id,
                                                          QuizAttempt.user_id == user_id))


def history(user_id: int, quiz_id: int, limit: int = 10) -> list[QuizAttempt]:
    return list(db.session.scalars(
        sa.select(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id)
        .order_by(QuizAttempt.created_at.desc(), QuizAttempt.id.desc()).limit(limit)))


# --- checking -----------------------------------------------------------------------------------

def attempt_page(attempt: QuizAttempt, **extra) -> dict:
    """What the attempt page shows; the instructor's drill-down renders the same page."""
    return dict(attempt=attempt, version=attempt.version, quiz=attempt.quiz, live=published_version(attempt.quiz),
                **refs_for(attempt.version.questions), **extra)


def question_errors(question: dict) -> dict[str, str]:
    """Every problem of one question, code-set checks included: field -> message."""
    problems = question_problems(question)
    qtype = question_type(question.get("type"))
    if qtype is None:
        return problems
    if not set(qtype.fields) & set(problems):
        for section, messages in qtype.code_problems(question, codeset()).items():
            problems[section] = " ".join(messages)
    if qtype.refers_to and qtype.refers_to[0] not in problems:
        name, noun = qtype.refers_to
        if question[name] not in _ACTIVE_SLUGS[name]():
            problems[name] = f"There is no {noun} '{question[name]}'."
    return problems


def active_scenario_slugs() -> set[str]:
    return set(db.session.scalars(sa.select(ClaimScenario.slug).where(ClaimScenario.active.is_(True))))


def scenario_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(sa.select(ClaimScenario.slug, ClaimScenario.title)
                              .where(ClaimScenario.active.is_(True)).order_by(ClaimScenario.title))
    return [(slug, f"{title} ({slug})") for slug, title in rows]


def scenarios_for(questions: list[dict]) -> dict[str, ClaimScenario]:
    """The claim scenarios that scenario questions name, by slug (one query)."""
    slugs = _named(questions, "scenario")
    if not slugs:
        return {}
    return {s.slug: s for s in db.session.scalars(sa.select(ClaimScenario).where(ClaimScenario.slug.in_(slugs)))}


def refs_for(questions: list[dict]) -> dict:
    """Template context for the cases and scenarios a quiz's questions name."""
    from app.services.scenarios import question_view
    return {"cases": cases_for(questions),
            "scenarios": {slug: question_view(s) for slug, s in scenarios_for(questions).items()}}


def active_case_slugs() -> set[str]:
    return set(db.session.scalars(sa.select(CodingCase.slug).where(CodingCase.active.is_(True))))


def case_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(sa.select(CodingCase.slug, CodingCase.title).where(CodingCase.active.is_(True))
                              .order_by(CodingCase.title))
    return [(slug, f"{title} ({slug})") for slug, title in rows]


def cases_for(questions: list[dict]) -> dict[str, CodingCase]:
    """The coding cases that case questions name, by slug (one query)."""
    slugs = _named(questions, "case")
    if not slugs:
        return {}
    return {c.slug: c for c in db.session.scalars(sa.select(CodingCase).where(CodingCase.slug.in_(slugs)))}


def _named(questions: list[dict], kind: str) -> set[str]:
    """The slugs of the ``kind`` ("case", "scenario") the questions name."""
    return {q[kind] for q in questions if (t := question_type(q["type"])) and t.refers_to and t.refers_to[0] == kind}


_ACTIVE_SLUGS: dict[str, Callable[[], set[str]]] = {"case": active_case_slugs, "scenario": active_scenario_slugs}


def markdown_errors(data: QuizData, path: str) -> list[ContentError]:
    """The instructions, prompts and feedback past the Markdown shape limits (app.content.markdown):
    refused at every door, as the web editor refuses them."""
    errors = []
    if problem := markdown_problem(data.instructions):
        errors.append(ContentError(path, None, f"instructions: {problem}"))
    for i, q in enumerate(data.questions):
        line = data.question_lines[i] if i < len(data.question_lines) else None
        for field in ("prompt", "feedback"):
            if problem := markdown_problem(q.get(field) or ""):
                errors.append(ContentError(path, line, f"question {i + 1} {field}: {problem}"))
    return errors


def check_quiz_data(data: QuizData, path: str, more_case_slugs=(), more_scenario_slugs=()) -> None:
    """Raise QuizFileErrors if a code question's key fails the code set, or a case or scenario
    question names one that does not exist."""
    errors = markdown_errors(data, path)
    errors += quiz_code_errors(data, codeset(), path, case_slugs=active_case_slugs() | set(more_case_slugs),
                               scenario_slugs=active_scenario_slugs() | set(more_scenario_slugs))
    if errors:
        raise QuizFileErrors(errors)


# --- writing ------------------------------------------------------------------------------------

def _unique_slug(base: str) -> str:
    base = slugify(base)
    taken = set(db.session.scalars(sa.select(Quiz.slug).where(Quiz.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_quiz(owner_id: int | None, title: str, instructions: str = "", questions: list | None = None,
                slug: str | None = None) -> Quiz:
    """A new quiz with its first (draft) version."""
    for _ in range(3):
        quiz = Quiz(slug=slug or _unique_slug(title), owner_id=owner_id, saved_by_id=owner_id, saved_at=clock.utcnow())
        quiz.versions.append(QuizVersion(number=1, title=title.strip(), instructions=instructions or "",
                                         questions=copy.deepcopy(questions or [])))
        db.session.add(quiz)
        try:
            db.session.commit()
            return quiz
        except sa.exc.IntegrityError:
            db.session.rollback()  # another quiz took the slug meanwhile: pick the next free one
            slug = None
    raise RuntimeError("could not find a free slug for the quiz")


def save(quiz: Quiz, revision: int, user_id: int | None, change: Callable[[dict], None]) -> QuizVersion:
    """Apply ``change`` to the quiz's content and store it, if nobody saved since ``revision``.

    ``change`` edits a dict with title, instructions and questions (a copy). A draft is edited in
    place; a published (frozen) version is never changed: the edit becomes the next version, and
    the published one stays live until that is published.
    """
    if quiz.source_path:
        raise SiteQuizReadOnly(quiz)
    _claim(quiz, revision, user_id)
    latest = latest_version(quiz)
    content = {"title": latest.title, "instructions": latest.instructions,
               "questions": copy.deepcopy(latest.questions)}
    change(content)
    if latest.frozen:
        latest = QuizVersion(number=latest.number + 1)
        quiz.versions.append(latest)
    latest.title, latest.instructions = content["title"].strip(), content["instructions"] or ""
    latest.questions = content["questions"]
    db.session.commit()
    return latest


def _claim(quiz: Quiz, revision: int, user_id: int | None) -> None:
    """Compare-and-set on the quiz's revision: one UPDATE, so two saves can't both win."""
    result = db.session.execute(
        sa.update(Quiz).where(Quiz.id == quiz.id, Quiz.revision == revision)
        .values(revision=Quiz.revision + 1, saved_by_id=user_id, saved_at=clock.utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(quiz)
        raise SaveConflict(quiz)
    db.session.refresh(quiz)


def growth_problem(version: QuizVersion, questions: list | None = None, title: str | None = None,
                   instructions: str | None = None) -> str | None:
    """Why saving this change to the latest version would take the quiz past a quiz-file limit, or None."""
    before = QuizData(title=version.title, instructions=version.instructions, questions=tuple(version.questions))
    after = QuizData(title=version.title if title is None else title,
                     instructions=version.instructions if instructions is None else instructions,
                     questions=tuple(version.questions if questions is None else questions))
    return quiz_growth_problem(before, after)


def update_settings(quiz: Quiz, revision: int, user_id: int, title: str, instructions: str) -> QuizVersion:
    def change(c):
        c["title"], c["instructions"] = title, instructions
    return save(quiz, revision, user_id, change)


def put_question(quiz: Quiz, revision: int, user_id: int, question: dict, index: int | None = None) -> QuizVersion:
    """Add a question (index None) or replace question ``index`` (0-based)."""
    def change(c):
        if index is None:
            c["questions"].append(question)
        else:
            c["questions"][index] = question
    return save(quiz, revision, user_id, change)


def delete_question(quiz: Quiz, revision: int, user_id: int, index: int) -> QuizVersion:
    return save(quiz, revision, user_id, lambda c: c["questions"].pop(index))


def move_question(quiz: Quiz, revision: int, user_id: int, index: int, delta: int) -> QuizVersion:
    def change(c):
        qs = c["questions"]
        target = index + delta
        if 0 <= target < len(qs):
            qs[index], qs[target] = qs[target], qs[index]
    return save(quiz, revision, user_id, change)


class NothingToPublish(Exception):
    pass


class SiteQuizReadOnly(Exception):
    """Site quizzes come from files: the file is their source, so the web never edits their content."""

    def __init__(self, quiz: Quiz) -> None:
        super().__init__(f"This quiz comes from {quiz.source_path}: change that file and run `flask content import`, "
                         "or export it and import the file as your own copy.")


def publish(quiz: Quiz, revision: int, user_id: int) -> QuizVersion:
    """Make the latest version the one students take (and freeze it)."""
    latest = latest_version(quiz)
    if not latest.questions:
        raise NothingToPublish("Add at least one question before publishing.")
    _claim(quiz, revision, user_id)
    latest = latest_version(quiz)
    latest.published_at = latest.published_at or clock.utcnow()
    quiz.published_number = latest.number
    db.session.commit()
    return latest


def unpublish(quiz: Quiz, revision: int, user_id: int) -> None:
    _claim(quiz, revision, user_id)
    quiz.published_number = None
    db.session.commit()


# --- taking and grading -------------------------------------------------------------------------

def parse_answers(questions: list[dict], form) -> list:
    """The student's answer to each question from the posted form (blank answers are None)."""
    return [question_type(q["type"]).parse(q, form, f"q{i}") for i, q in enumerate(questions)]


def grade(questions: list[dict], answers: list, codes, cases: dict | None = None,
          scenarios: dict | None = None) -> list[dict]:
    """One result per question: points, max_points, status, and for code and case questions the
    grader's lines (a case question is graded by the case's answer key as it is at submission)."""
    from app.services.scenarios import score_question
    ctx = GradingContext(codes=codes, cases=cases or {}, scenarios=scenarios or {}, score_scenario=score_question)
    results = []
    for q, answer in zip(questions, answers):
        graded = question_type(q["type"]).grade(q, answer, ctx) if answer is not None else None
        credit = graded.credit if graded else 0.0
        points = round(credit * q["points"], 2)
        status = ("unanswered" if answer is None else "correct" if credit >= 1
                  else "partial" if credit > 0 else "wrong")
        entry = {"points": points, "max_points": q["points"], "status": status,
                 "lines": graded.lines if graded else None}
        if graded and graded.reasons is not None:
            entry["reasons"] = graded.reasons
        results.append(entry)
    return results


def submit_attempt(user_id: int, quiz: Quiz, version: QuizVersion, answers: list, token: str,
                   assignment_id: int | None = None) -> QuizAttempt:
    """Grade and store one attempt on ``version``. The same form token twice stores one attempt; made for an
    assignment that refuses it, nothing is graded (AssignmentClosed)."""
    def make() -> QuizAttempt:
        results = grade(version.questions, answers, codeset(), cases_for(version.questions),
                        scenarios_for(version.questions))
        points = round(sum(r["points"] for r in results), 2)
        max_points = sum(r["max_points"] for r in results) or 1
        return QuizAttempt(user_id=user_id, quiz_id=quiz.id, version_id=version.id, submission_token=token,
                           answers=answers, results=results, points=points, max_points=max_points,
                           score=min(1.0, points / max_points))
    return store_once(QuizAttempt, user_id, token, make, assignment_id, str(quiz.id))


# --- files --------------------------------------------------------------------------------------

def version_data(quiz: Quiz, version: QuizVersion | None = None) -> QuizData:
    version = version or latest_version(quiz)
    return QuizData(title=version.title, instructions=version.instructions,
                    questions=tuple(version.questions), slug=quiz.slug)


def export_yaml(quiz: Quiz) -> str:
    """The latest version of a quiz as a YAML quiz file."""
    return dump_quiz_yaml(version_data(quiz))


def parse_upload(content: bytes | str, filename: str, fmt: str | None = None, title: str = "") -> QuizData:
    """Parse and code-check an uploaded or CLI file (its bytes, or text already decoded); raises
    QuizFileErrors (nothing is written). Size, lines and encoding are checked before parsing."""
    text = decode_quiz_bytes(content, filename) if isinstance(content, bytes) else content
    data = load_quiz_file(text, filename, title=title, fmt=fmt)
    check_quiz_data(data, filename)
    return data


def import_new(data: QuizData, owner_id: int | None) -> Quiz:
    """A checked quiz file as a new draft quiz (its slug made unique if taken)."""
    slug = data.slug if data.slug and not _slug_taken(data.slug) else _unique_slug(data.slug or data.title)
    return create_quiz(owner_id, data.title, data.instructions, list(data.questions), slug=slug)


def import_into(data: QuizData, user_id: int | None) -> tuple[Quiz, bool]:
    """Import by slug: a new quiz, or the next version (a draft) of the quiz with that slug.
    Returns (quiz, created)."""
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.slug == data.slug))
    if quiz is None:
        return create_quiz(user_id, data.title, data.instructions, list(data.questions), slug=data.slug), True
    if quiz.source_path:
        raise SiteQuizReadOnly(quiz)

    def change(c):
        c["title"], c["instructions"], c["questions"] = data.title, data.instructions, copy.deepcopy(list(data.questions))
    save(quiz, quiz.revision, user_id, change)
    return quiz, False


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(sa.select(Quiz.id).where(Quiz.slug == slug)) is not None


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


# --- content/quizzes/*.yml (site quizzes, imported by `flask content import`) ---------------------

def load_site_quizzes(directory: Path) -> tuple[list[tuple[QuizData, Path]], list[ContentError]]:
    """Every top-level ``kind: quiz`` file in content/quizzes/, parsed and code-checked."""
    found, errors, seen = [], [], {}
    if not directory.exists():
        return [], []
    for path in sorted(directory.glob("*.y*ml")):
        try:
            data = load_quiz_yaml(path.read_text(encoding="utf-8"), str(path))
            check_quiz_data(data, str(path), [p.stem for p in (directory / "cases").glob("*.y*ml")],
                            [p.stem for p in (directory / "scenarios").glob("*.y*ml")])
        except QuizFileErrors as exc:
            errors.extend(exc.errors)
            continue
        except CodeSetMissing as exc:
            errors.append(ContentError(path, None, str(exc)))
            continue
        if data.slug in seen:
            errors.append(ContentError(path, None, f"slug '{data.slug}' is also used by {seen[data.slug]}"))
            continue
        seen[data.slug] = str(path)
        found.append((data, path))
    return found, errors


def write_site_quizzes(found: list[tuple[QuizData, Path]], relative) -> dict[str, int]:
    """Create or update (as a new published version) each file's quiz; no commit (the caller's)."""
    changed = 0
    for data, path in found:
        content_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        quiz = db.session.scalar(sa.select(Quiz).where(Quiz.slug == data.slug))
        if quiz is not None and quiz.content_hash == content_hash:
            continue
        if quiz is None:
            quiz = Quiz(slug=data.slug, owner_id=None, saved_at=clock.utcnow())
            db.session.add(quiz)
            number = 1
        else:
            latest = latest_version(quiz)
            number = latest.number + 1 if latest.frozen else latest.number
            if not latest.frozen:
                quiz.versions.remove(latest)
                db.session.flush()
        version = QuizVersion(number=number, title=data.title, instructions=data.instructions,
                              questions=copy.deepcopy(list(data.questions)), published_at=clock.utcnow())
        quiz.versions.append(version)
        quiz.published_number = number
        quiz.revision = (quiz.revision or 1) + 1
        quiz.source_path, quiz.content_hash = relative(str(path)), content_hash
        changed += 1
    return {"quizzes": len(found), "quizzes_changed": changed}

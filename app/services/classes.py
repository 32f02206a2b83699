"""Classes, enrolments, assignments, the gradebook and item analysis.

Every read here is scoped: an instructor reaches only classes they teach, a student only classes they
are enrolled in. The gradebook runs a fixed number of queries whatever the class size.
"""
from __future__ import annotations

import csv
import io
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app.extensions import db
from app.models import Assignment, CaseAttempt, Classroom, CodingCase, Enrollment, User
from app.models.classes import ASSIGNMENT_KINDS
from app import clock
from app.services import auth as auth_service

JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class ClassError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _attempt_models() -> dict[str, tuple[type, type, object]]:
    """kind -> (attempt model, item model, the attempt's link to its item) for every assignable kind."""
    models = {"case": (CaseAttempt, CodingCase, CaseAttempt.case_id)}
    try:
        from app.models import ClaimScenario, ScenarioAttempt
        if hasattr(ScenarioAttempt, "assignment_id"):
            models["scenario"] = (ScenarioAttempt, ClaimScenario, ScenarioAttempt.scenario_id)
    except ImportError:  # pragma: no cover - scenarios not installed
        pass
    from app.models import Quiz, QuizAttempt
    models["quiz"] = (QuizAttempt, Quiz, QuizAttempt.quiz_id)
    return models


# --- classes and enrolment ------------------------------------------------------------------

def create_class(instructor_id: int, name: str) -> Classroom:
    name = (name or "").strip()
    if not name:
        raise ClassError("name", "Give the class a name.")
    for _ in range(5):
        code = "".join(secrets.choice(JOIN_ALPHABET) for _ in range(8))
        classroom = Classroom(name=name[:120], instructor_id=instructor_id, join_code=code)
        db.session.add(classroom)
        try:
            db.session.commit()
            return classroom
        except sa.exc.IntegrityError:  # the one-in-a-trillion code clash: draw again
            db.session.rollback()
    raise RuntimeError("could not draw a unique join code")


def classes_taught(instructor_id: int) -> list[tuple[Classroom, int, int]]:
    """(class, student count, assignment count) for an instructor's classes."""
    students = sa.select(sa.func.count()).where(Enrollment.class_id == Classroom.id).scalar_subquery()
    assignments = sa.select(sa.func.count()).where(Assignment.class_id == Classroom.id).scalar_subquery()
    rows = db.session.execute(sa.select(Classroom, students, assignments)
                              .where(Classroom.instructor_id == instructor_id).order_by(Classroom.created_at.desc()))
    return [tuple(r) for r in rows]


def class_for_instructor(class_id: int, instructor_id: int) -> Classroom | None:
    """The class, only for the instructor who teaches it (others get None, shown as 404)."""
    return db.session.scalar(sa.select(Classroom).where(Classroom.id == class_id, Classroom.instructor_id == instructor_id))


class TooManyJoinAttempts(ClassError):
    """Too many wrong join codes lately from this student or this address; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int):
        minutes = -(-retry_after // 60)
        super().__init__("code", f"Too many codes that matched no class. Check the code with your instructor and "
                                 f"try again in {minutes} minute{'s' if minutes != 1 else ''}.")
        self.retry_after = retry_after


def join_class(student_id: int, code: str, client_ip: str | None = None) -> Classroom:
    """Enrol the student in the class with this join code. Wrong codes are counted per student and per
    address in the database (as failed logins are), so codes cannot be guessed: past
    ``JOIN_FAILURES_PER_USER`` or ``JOIN_FAILURES_PER_IP`` in ``JOIN_FAILURE_WINDOW`` the code is not even
    looked up (TooManyJoinAttempts)."""
    cfg = current_app.config
    keys = [(auth_service.limit_key("join-user", str(student_id)), cfg["JOIN_FAILURES_PER_USER"])]
    if client_ip:
        keys.append((auth_service.limit_key("join-ip", client_ip), cfg["JOIN_FAILURES_PER_IP"]))
    wait = max(auth_service.wait_for_ceiling(key, limit, cfg["JOIN_FAILURE_WINDOW"]) for key, limit in keys)
    if wait:
        raise TooManyJoinAttempts(wait)
    code = "".join((code or "").split()).upper()
    classroom = db.session.scalar(sa.select(Classroom).where(Classroom.join_code == code)) if code else None
    if classroom is None:
        auth_service.note_failures(*(key for key, _ in keys))
        raise ClassError("code", "No class has that join code. Check it with your instructor.")
    if classroom.instructor_id == student_id:
        raise ClassError("code", "You teach this class.")
    exists = db.session.scalar(sa.select(Enrollment.id).where(
        Enrollment.class_id == classroom.id, Enrollment.student_id == student_id))
    if exists is None:
        db.session.add(Enrollment(class_id=classroom.id, student_id=student_id))
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # joined twice at once
            db.session.rollback()
    return classroom


def classes_joined(student_id: int) -> list[Classroom]:
    return list(db.session.scalars(sa.select(Classroom).join(Enrollment, Enrollment.class_id == Classroom.id)
                                   .where(Enrollment.student_id == student_id).order_by(Classroom.name)))


def roster(class_id: int, limit: int | None = None, offset: int = 0) -> list[User]:
    """The class's students by name; ``limit``/``offset`` for one page of them."""
    return list(db.session.scalars(sa.select(User).join(Enrollment, Enrollment.student_id == User.id)
                                   .where(Enrollment.class_id == class_id).order_by(User.name, User.id)
                                   .limit(limit).offset(offset)))


# --- assignments ----------------------------------------------------------------------------

def assignable_items(kind: str, instructor_id: int | None = None) -> list[tuple[str, str]]:
    """(slug, title) of what an instructor can assign of this kind (quizzes: site, practice and their own)."""
    models = _attempt_models()
    if kind not in models:
        return []
    if kind == "quiz":
        from app.services.quizzes import published_titles
        return published_titles(instructor_id)
    item = models[kind][1]
    return [(s, t) for s, t in db.session.execute(
        sa.select(item.slug, item.title).where(item.active.is_(True)).order_by(item.title))]


def create_assignment(classroom: Classroom, kind: str, ref: str, opens_at: datetime, due_at: datetime | None) -> Assignment:
    models = _attempt_models()
    if kind not in models or kind not in ASSIGNMENT_KINDS:
        raise ClassError("kind", "Choose what to assign.")
    if kind == "quiz":
        title = dict(assignable_items("quiz", classroom.instructor_id)).get(ref)
    else:
        item_model = models[kind][1]
        title = db.session.scalar(sa.select(item_model.title).where(item_model.slug == ref, item_model.active.is_(True)))
    if title is None:
        raise ClassError("ref", "Choose an item from the list.")
    if due_at is not None and due_at <= opens_at:
        raise ClassError("due_at", "The due date must come after the opening date.")
    assignment = Assignment(class_id=classroom.id, kind=kind, ref=ref, title=title, opens_at=opens_at, due_at=due_at)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def assignments_of(class_id: int) -> list[Assignment]:
    return list(db.session.scalars(sa.select(Assignment).where(Assignment.class_id == class_id)
                                   .order_by(Assignment.opens_at, Assignment.id)))


def assignment_for_student(assignment_id: int, student_id: int) -> Assignment | None:
    """The assignment, only if the student is enrolled in its class."""
    return db.session.scalar(sa.select(Assignment).join(Enrollment, Enrollment.class_id == Assignment.class_id)
                             .where(Assignment.id == assignment_id, Enrollment.student_id == student_id))


def assignment_for_instructor(assignment_id: int, instructor_id: int) -> Assignment | None:
    return db.session.scalar(sa.select(Assignment).join(Classroom, Classroom.id == Assignment.class_id)
                             .where(Assignment.id == assignment_id, Classroom.instructor_id == instructor_id))


class AssignmentClosed(Exception):
    pass


def check_submission(assignment_id: int | None, student_id: int, kind: str, ref: str) -> tuple[Assignment | None, bool]:
    """For a submission made for an assignment: (assignment, late). Refuses (AssignmentClosed) when the
    student is not in the class, the assignment is for another item, or it has not opened yet."""
    if not assignment_id:
        return None, False
    assignment = assignment_for_student(assignment_id, student_id)
    if assignment is None or assignment.kind != kind or assignment.ref != ref:
        raise AssignmentClosed("This work is not assigned to you.")
    now = clock.utcnow()
    if not assignment.is_open(now):
        raise AssignmentClosed(f"This assignment opens on {assignment.opens_at:%d %B %Y at %H:%M} UTC.")
    return assignment, assignment.is_late(now)


@dataclass
class StudentAssignment:
    assignment: Assignment
    best: float | None
    attempts: int
    late: bool


def student_assignments(student_id: int) -> list[StudentAssignment]:
    """Every assignment in the student's classes with the student's best score for it."""
    assignments = list(db.session.scalars(
        sa.select(Assignment).join(Enrollment, Enrollment.class_id == Assignment.class_id)
        .where(Enrollment.student_id == student_id).options(so.joinedload(Assignment.classroom))
        .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.id)))
    scores = _scores([a.id for a in assignments], [student_id])
    return [StudentAssignment(a, *scores.get((student_id, a.id), (None, 0, False))) for a in assignments]


# --- gradebook ------------------------------------------------------------------------------

def _scores(assignment_ids: list[int], student_ids: list[int],
            only_these: bool = True) -> dict[tuple[int, int], tuple[float, int, bool]]:
    """(student, assignment) -> (best score, attempts, any late): one grouped query per attempt kind.

    ``only_these`` limits the query to the given students (a page of the gradebook, one student);
    the whole-class export reads every attempt of the assignments instead of naming 500 ids."""
    out: dict[tuple[int, int], tuple[float, int, bool]] = {}
    if not assignment_ids or not student_ids:
        return out
    for attempt, _item, _link in _attempt_models().values():
        query = (sa.select(attempt.user_id, attempt.assignment_id, sa.func.max(attempt.score), sa.func.count(),
                           sa.func.max(sa.case((attempt.late.is_(True), 1), else_=0)))
                 .where(attempt.assignment_id.in_(assignment_ids))
                 .group_by(attempt.user_id, attempt.assignment_id))
        if only_these:
            query = query.where(attempt.user_id.in_(student_ids))
        rows = db.session.connection().execute(query)  # plain tuples: 10,000 of them for a big class
        wanted = set(student_ids)  # a student who left the class keeps attempts but leaves the book
        for user_id, assignment_id, best, count, late in rows:
            if user_id in wanted:
                out[(user_id, assignment_id)] = (best, count, bool(late))
    return out


#: students per gradebook page (the CSV export has them all)
GRADEBOOK_PAGE_SIZE = 50


@dataclass
class Gradebook:
    classroom: Classroom
    students: list[User]
    assignments: list[Assignment]
    cells: dict[tuple[int, int], tuple[float, int, bool]]
    averages: dict[int, float | None] = field(default_factory=dict)
    page: int = 1
    pages: int = 1
    #: students in the class (all pages)
    total: int = 0

    @property
    def first(self) -> int:
        """1-based position of this page's first student in the class list."""
        return (self.page - 1) * GRADEBOOK_PAGE_SIZE + 1 if self.students else 0

    def cell(self, student_id: int, assignment_id: int):
        return self.cells.get((student_id, assignment_id))


def gradebook(classroom: Classroom, page: int | None = 1) -> Gradebook:
    """One page of the class's students (by name) × every assignment; ``page=None``: every student."""
    if page is None:
        students = roster(classroom.id)
        total, pages, page = len(students), 1, 1
    else:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Enrollment)
                                  .where(Enrollment.class_id == classroom.id)) or 0
        pages = max(1, -(-total // GRADEBOOK_PAGE_SIZE))
        page = min(max(1, page), pages)
        students = roster(classroom.id, GRADEBOOK_PAGE_SIZE, (page - 1) * GRADEBOOK_PAGE_SIZE)
    assignments = assignments_of(classroom.id)
    cells = _scores([a.id for a in assignments], [s.id for s in students], only_these=len(students) < total)
    averages = {}
    for s in students:
        got = [cells[(s.id, a.id)][0] for a in assignments if (s.id, a.id) in cells]
        averages[s.id] = sum(got) / len(assignments) if assignments and got else None
    return Gradebook(classroom, students, assignments, cells, averages, page, pages, total)


def _safe_cell(value) -> str:
    """Spreadsheet-safe text: a leading = + - @ would be run as a formula by Excel or Calc."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gradebook_csv(book: Gradebook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["Student", "E-mail"]
    for a in book.assignments:
        header += [f"{a.title} (%)", f"{a.title} late"]
    header.append("Average (%)")
    writer.writerow([_safe_cell(h) for h in header])
    assignment_ids = [a.id for a in book.assignments]
    cells = book.cells
    for s in book.students:
        sid = s.id
        row = [_safe_cell(s.name), _safe_cell(s.email)]  # the rest are numbers and "late": nothing to neutralise
        for aid in assignment_ids:
            cell = cells.get((sid, aid))
            row += [f"{cell[0] * 100:.1f}", "late" if cell[2] else ""] if cell else ["", ""]
        avg = book.averages.get(sid)
        row.append(f"{avg * 100:.1f}" if avg is not None else "")
        writer.writerow(row)
    # A byte-order mark so Excel reads UTF-8 names correctly.
    return "\ufeff" + out.getvalue()


def student_attempts_for(assignment: Assignment, student_id: int) -> list:
    models = _attempt_models()
    if assignment.kind not in models:
        return []
    attempt = models[assignment.kind][0]
    return list(db.session.scalars(sa.select(attempt).where(attempt.assignment_id == assignment.id,
                                                            attempt.user_id == student_id)
                                   .order_by(attempt.created_at.desc())))


def attempt_for_instructor(kind: str, attempt_id: int, instructor_id: int):
    """An attempt of any kind made for an assignment in a class the instructor teaches (else None)."""
    models = _attempt_models()
    if kind not in models:
        return None
    attempt = models[kind][0]
    return db.session.scalar(
        sa.select(attempt).join(Assignment, Assignment.id == attempt.assignment_id)
        .join(Classroom, Classroom.id == Assignment.class_id)
        .where(attempt.id == attempt_id, Classroom.instructor_id == instructor_id))


def instructor_can_see_student(instructor_id: int, student_id: int) -> bool:
    return db.session.scalar(sa.select(Enrollment.id).join(Classroom, Classroom.id == Enrollment.class_id)
                             .where(Enrollment.student_id == student_id, Classroom.instructor_id == instructor_id)
                             .limit(1)) is not None


# --- item analysis --------------------------------------------------------------------------

@dataclass
class ItemStat:
    label: str
    expected: str
    share_correct: float
    discrimination: float | None
    common_wrong: list[tuple[str, int]]


def _best_attempts(model, assignment_id: int):
    """Each student's best attempt at an assignment (highest score, then the first made), chosen in SQL:
    a class of 500 with 25 attempts each loads 500 rows, not 12,500 with their JSON."""
    ranked = (sa.select(model.id, sa.func.row_number().over(
        partition_by=model.user_id, order_by=(model.score.desc(), model.id)).label("place"))
        .where(model.assignment_id == assignment_id).subquery())
    return (sa.select(model).join(ranked, ranked.c.id == model.id).where(ranked.c.place == 1)
            .order_by(model.user_id))


class _Cohort:
    """Each student's best attempt at an assignment, weakest first, with the top and bottom 27%."""

    def __init__(self, attempts):
        best = {}
        for a in attempts:  # ordered by student, then best score first
            best.setdefault(a.user_id, a)
        self.chosen = sorted(best.values(), key=lambda a: a.score)
        self.n = len(self.chosen)
        group = max(1, round(self.n * 0.27))
        self.lower, self.upper = self.chosen[:group], self.chosen[-group:]

    def share_and_discrimination(self, is_right) -> tuple[float, float | None]:
        """Share fully right, and that share in the top group minus the bottom one (from 4 students)."""
        def share(group):
            return sum(1 for a in group if is_right(a)) / len(group)
        return share(self.chosen), (share(self.upper) - share(self.lower) if self.n >= 4 else None)


def case_item_analysis(assignment: Assignment) -> tuple[int, list[ItemStat]]:
    """Per key line of an assigned case: share right, discrimination (upper minus lower 27%),
    and the wrong codes students entered most often. Uses each student's best attempt."""
    cohort = _Cohort(db.session.scalars(_best_attempts(CaseAttempt, assignment.id)))
    if not cohort.n:
        return 0, []
    keyed: dict[tuple[str, int], dict] = {}
    per_attempt: dict[int, dict[tuple[str, int], float]] = defaultdict(dict)
    wrong: dict[tuple[str, int], Counter] = defaultdict(Counter)
    for a in cohort.chosen:
        for v in a.verdicts:
            if v.get("status") == "extra" or not v.get("expected"):
                continue
            k = (v["kind"], v["position"])
            keyed.setdefault(k, v)
            per_attempt[a.id][k] = v.get("credit", 0.0)
            if v.get("status") != "correct":
                wrong[k][v.get("code") or "(nothing)"] += 1
    stats = []
    for k, v in sorted(keyed.items(), key=lambda kv: (kv[0][0] != "diagnosis", kv[0][1])):
        share, disc = cohort.share_and_discrimination(lambda a, k=k: per_attempt[a.id].get(k, 0.0) >= 1.0)
        label = f"{'Dx' if k[0] == 'diagnosis' else 'Px'} {k[1]}"
        stats.append(ItemStat(label, v["expected"], share, disc, wrong[k].most_common(3)))
    return cohort.n, stats


def _answer_label(question: dict, answer) -> str:
    """A student's answer in words, for "most common wrong answers"."""
    if answer is None:
        return "(nothing)"
    kind = question.get("type")
    if kind == "single":
        return str(question["choices"][answer]["text"] if isinstance(question["choices"][answer], dict)
                   else question["choices"][answer])
    if kind == "multiple":
        return " + ".join(str(c["text"] if isinstance(c, dict) else c)
                          for i, c in enumerate(question["choices"]) if i in answer)
    if kind == "truefalse":
        return "true" if answer else "false"
    if isinstance(answer, dict):  # code questions: the codes typed
        return " ".join(answer.get("diagnoses", []) + answer.get("procedures", [])) or "(nothing)"
    return str(answer)


def quiz_item_analysis(assignment: Assignment) -> tuple[int, list[ItemStat]]:
    """Per question of an assigned quiz (each student's best attempt): share right, discrimination,
    most common wrong answers — for code questions, the wrong codes typed."""
    from app.models import QuizAttempt
    cohort = _Cohort(db.session.scalars(
        _best_attempts(QuizAttempt, assignment.id).options(so.joinedload(QuizAttempt.version))))
    if not cohort.n:
        return 0, []
    questions = cohort.chosen[-1].version.questions  # the version most students saw last; others are matched by position

    def right(a, i):
        return i < len(a.results) and a.results[i].get("status") == "correct"

    stats = []
    for i, q in enumerate(questions):
        wrong = Counter(_answer_label(a.version.questions[i], a.answers[i]) for a in cohort.chosen
                        if i < len(a.answers) and i < len(a.version.questions) and not right(a, i))
        share, disc = cohort.share_and_discrimination(lambda a, i=i: right(a, i))
        prompt = str(q.get("prompt") or q.get("text") or f"Question {i + 1}")
        stats.append(ItemStat(f"Q{i + 1}", prompt[:80], share, disc, wrong.most_common(3)))
    return cohort.n, stats

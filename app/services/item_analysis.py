"""Item analysis of an assignment: per key line or question, the share of students right, how well it
separates strong from weak students, and the wrong answers given most often (each student's best attempt)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.content.question_types import label_answer
from app.extensions import db
from app.models import Assignment, CaseAttempt, QuizAttempt


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


def quiz_item_analysis(assignment: Assignment) -> tuple[int, list[ItemStat]]:
    """Per question of an assigned quiz (each student's best attempt): share right, discrimination,
    most common wrong answers — for code questions, the wrong codes typed."""
    cohort = _Cohort(db.session.scalars(
        _best_attempts(QuizAttempt, assignment.id).options(so.joinedload(QuizAttempt.version))))
    if not cohort.n:
        return 0, []
    questions = cohort.chosen[-1].version.questions  # the version most students saw last; others are matched by position

    def right(a, i):
        return i < len(a.results) and a.results[i].get("status") == "correct"

    stats = []
    for i, q in enumerate(questions):
        wrong = Counter(label_answer(a.version.questions[i], a.answers[i]) for a in cohort.chosen
                        if i < len(a.answers) and i < len(a.version.questions) and not right(a, i))
        share, disc = cohort.share_and_discrimination(lambda a, i=i: right(a, i))
        prompt = str(q.get("prompt") or q.get("text") or f"Question {i + 1}")
        stats.append(ItemStat(f"Q{i + 1}", prompt[:80], share, disc, wrong.most_common(3)))
    return cohort.n, stats

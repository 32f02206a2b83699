"""Exam blueprints as data: loading content/exams.yml, drawing a form from the bank, scoring it.

Pure module: no Flask, no SQLAlchemy. A blueprint copies the *shape* of a certification exam (item
count, time, domains, pass mark, which references are open); it never claims to be the real exam.

File format (``content/exams.yml``)::

    blueprints:
      - slug: cpc-practice          # lowercase slug, unique
        title: CPC-style practice exam
        exam: cpc                   # the bank's exam id: only domains tagged for it may be drawn
        imitates: AAPC CPC          # shown as "in the shape of ..."
        minutes: 240                # time limit, enforced by the server
        code_book: true             # the real exam allows the code books: show ours beside items
        pass_percent: 70            # share of scored items needed to pass
        scale: {low: 100, high: 400, cut: 300}   # optional: also show a practice scaled score
        pretest: 0                  # unscored items mixed into the form (drawn from any domain above)
        domains:                    # scored items per bank domain (they add up to the scored count)
          cpt-surgery: 30
          icd10cm: 14
        note: Free text shown on the start page.   # optional

When the bank holds fewer items of a domain than the blueprint asks for, a form draws every item
the bank has there and never repeats one; :func:`plan` names the shortfall so the page can say so.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.content.errors import ContentError
from app.content.yamlmarks import LineDict, load_yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BLUEPRINT_KEYS = {"slug", "title", "exam", "imitates", "minutes", "code_book", "pass_percent", "scale",
                  "pretest", "domains", "note"}
REQUIRED_KEYS = ("slug", "title", "exam", "minutes", "pass_percent", "domains")


@dataclass(frozen=True)
class Scale:
    """A practice scaled score: percent correct mapped linearly onto [low, high] with the pass mark
    landing on ``cut``. It imitates how a scaled score reads; it is not the certifying body's scale."""

    low: int
    high: int
    cut: int


@dataclass(frozen=True)
class BlueprintSpec:
    slug: str
    title: str
    exam: str
    minutes: int
    pass_percent: float
    domains: tuple[tuple[str, int], ...]
    pretest: int = 0
    code_book: bool = False
    imitates: str = ""
    scale: Scale | None = None
    note: str = ""
    line: int = 0

    @property
    def scored(self) -> int:
        return sum(n for _d, n in self.domains)

    @property
    def total(self) -> int:
        return self.scored + self.pretest

    def as_data(self) -> dict:
        """Plain data, stored with every attempt so a later edit of the file never rescored it."""
        return {"slug": self.slug, "title": self.title, "exam": self.exam, "minutes": self.minutes,
                "pass_percent": self.pass_percent, "domains": [[d, n] for d, n in self.domains],
                "pretest": self.pretest, "code_book": self.code_book, "imitates": self.imitates,
                "scale": None if self.scale is None else {"low": self.scale.low, "high": self.scale.high,
                                                          "cut": self.scale.cut},
                "note": self.note}

    @classmethod
    def from_data(cls, data: dict) -> "BlueprintSpec":
        scale = data.get("scale")
        return cls(slug=data["slug"], title=data["title"], exam=data["exam"], minutes=int(data["minutes"]),
                   pass_percent=float(data["pass_percent"]),
                   domains=tuple((d, int(n)) for d, n in data["domains"]), pretest=int(data.get("pretest", 0)),
                   code_book=bool(data.get("code_book")), imitates=data.get("imitates", ""),
                   scale=Scale(**scale) if scale else None, note=data.get("note", ""))


def load_blueprints(path: str | Path) -> list[BlueprintSpec]:
    """Every blueprint in the file; the first problem raises a ContentError naming file:line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(path, None, f"cannot read file: {exc}") from exc
    data = load_yaml(text, str(path))
    if not isinstance(data, LineDict) or not isinstance(data.get("blueprints"), list) or not data["blueprints"]:
        raise ContentError(path, 1, "the file needs a non-empty 'blueprints:' list")
    out: list[BlueprintSpec] = []
    seen: set[str] = set()
    for entry in data["blueprints"]:
        bp = _blueprint(entry, path, data.line_of("blueprints"))
        if bp.slug in seen:
            raise ContentError(path, entry.line_of("slug"), f"blueprint slug '{bp.slug}' is used twice")
        seen.add(bp.slug)
        out.append(bp)
    return out


def _blueprint(entry, path: Path, line: int) -> BlueprintSpec:
    if not isinstance(entry, LineDict):
        raise ContentError(path, line, "each blueprint must be a mapping of fields")

    def err(key: str | None, message: str) -> ContentError:
        return ContentError(path, entry.line_of(key) if key else entry.line, message)

    unknown = set(entry) - BLUEPRINT_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise err(key, f"unknown field '{key}' (known: {', '.join(sorted(BLUEPRINT_KEYS))})")
    for key in REQUIRED_KEYS:
        if key not in entry:
            raise err(None, f"blueprint: missing required field '{key}'")
    slug = str(entry["slug"])
    if not SLUG_RE.match(slug):
        raise err("slug", f"slug '{slug}' must be lowercase letters, digits and single hyphens")

    def whole(key: str, low: int, high: int, default=None) -> int:
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise err(key, f"{slug}: {key} must be a whole number from {low} to {high}")
        return value

    minutes = whole("minutes", 1, 24 * 60)
    pretest = whole("pretest", 0, 500, 0)
    pass_percent = entry["pass_percent"]
    if isinstance(pass_percent, bool) or not isinstance(pass_percent, (int, float)) or not 0 < pass_percent <= 100:
        raise err("pass_percent", f"{slug}: pass_percent must be a number above 0 and at most 100")
    domains = entry["domains"]
    if not isinstance(domains, LineDict) or not domains:
        raise err("domains", f"{slug}: domains must map each bank domain to its number of scored items")
    pairs = []
    for name, n in domains.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ContentError(path, domains.line_of(name), f"{slug}: domain {name} needs a whole number of items (1 or more)")
        pairs.append((str(name), n))
    scale = None
    if entry.get("scale") is not None:
        s = entry["scale"]
        if not isinstance(s, dict) or set(s) != {"low", "high", "cut"} or not all(
                isinstance(s[k], int) for k in s) or not s["low"] < s["cut"] < s["high"]:
            raise err("scale", f"{slug}: scale needs whole numbers low < cut < high")
        scale = Scale(s["low"], s["high"], s["cut"])
    code_book = entry.get("code_book", False)
    if not isinstance(code_book, bool):
        raise err("code_book", f"{slug}: code_book must be true or false")
    return BlueprintSpec(slug=slug, title=str(entry["title"]), exam=str(entry["exam"]), minutes=minutes,
                     pass_percent=float(pass_percent), domains=tuple(pairs), pretest=pretest,
                     code_book=code_book, imitates=str(entry.get("imitates", "")), scale=scale,
                     note=str(entry.get("note", "")).strip(), line=entry.line)


def check_blueprints(blueprints: list[BlueprintSpec], domains_for_exam: dict[str, set[str]], path: str) -> list[ContentError]:
    """Each blueprint names an exam the bank knows and only domains tagged for that exam."""
    errors = []
    for bp in blueprints:
        allowed = domains_for_exam.get(bp.exam)
        if not allowed:
            errors.append(ContentError(path, bp.line, f"{bp.slug}: no bank domain is tagged for exam '{bp.exam}'"))
            continue
        for name, _n in bp.domains:
            if name not in allowed:
                errors.append(ContentError(path, bp.line, f"{bp.slug}: domain '{name}' is not in the bank for "
                                                          f"exam '{bp.exam}' (tagged: {', '.join(sorted(allowed))})"))
    return errors


# --------------------------------------------------------------------------- forms


@dataclass(frozen=True)
class Shortfall:
    domain: str
    wanted: int
    available: int


@dataclass(frozen=True)
class Plan:
    """What a form of this blueprint will hold, given the bank: counts, and what falls short."""

    scored: int
    pretest: int
    shortfalls: tuple[Shortfall, ...] = ()
    pretest_wanted: int = 0

    @property
    def total(self) -> int:
        return self.scored + self.pretest

    @property
    def short(self) -> bool:
        return bool(self.shortfalls) or self.pretest < self.pretest_wanted


def plan(bp: BlueprintSpec, pool: dict[str, list[str]]) -> Plan:
    """How many items a form gets per the blueprint when the bank holds ``pool`` (domain -> ids)."""
    shortfalls, scored = [], 0
    for name, n in bp.domains:
        have = len(pool.get(name, ()))
        scored += min(n, have)
        if have < n:
            shortfalls.append(Shortfall(name, n, have))
    left = sum(max(0, len(pool.get(name, ())) - n) for name, n in bp.domains)
    return Plan(scored=scored, pretest=min(bp.pretest, left), shortfalls=tuple(shortfalls), pretest_wanted=bp.pretest)


@dataclass(frozen=True)
class FormItem:
    qid: str
    domain: str
    unscored: bool = False


def _pick(rng: random.Random, ids: list[str], n: int, avoid: set[str]) -> list[str]:
    """``n`` distinct ids, preferring ones not in ``avoid`` (the student's previous form)."""
    fresh = [i for i in ids if i not in avoid]
    seen = [i for i in ids if i in avoid]
    rng.shuffle(fresh)
    rng.shuffle(seen)
    return (fresh + seen)[:n]


def draw_form(bp: BlueprintSpec, pool: dict[str, list[str]], seed: str, avoid: set[str] | frozenset = frozenset()) -> list[FormItem]:
    """A random form: each domain's scored count (or all the bank has), then ``pretest`` unscored items
    from what is left in the blueprint's domains, all shuffled together. No item appears twice. The
    same seed gives the same form; items of the previous form are drawn last."""
    rng = random.Random(seed)
    items: list[FormItem] = []
    used: set[str] = set()
    for name, n in bp.domains:
        ids = sorted(set(pool.get(name, ())))
        for qid in _pick(rng, ids, n, set(avoid)):
            items.append(FormItem(qid, name))
            used.add(qid)
    if bp.pretest:
        rest = sorted((qid, name) for name, _n in bp.domains for qid in set(pool.get(name, ())) if qid not in used)
        fresh = [r for r in rest if r[0] not in avoid]
        seen = [r for r in rest if r[0] in avoid]
        rng.shuffle(fresh)
        rng.shuffle(seen)
        for qid, name in (fresh + seen)[:bp.pretest]:
            items.append(FormItem(qid, name, unscored=True))
    rng.shuffle(items)
    return items


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class DomainScore:
    domain: str
    correct: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class ExamScore:
    correct: int
    total: int
    percent: float
    passed: bool
    scaled: int | None
    by_domain: tuple[DomainScore, ...]
    #: position (0-based) -> True when right; pretest items included, for the item review
    right: tuple[bool, ...] = field(default=())


def scaled_score(percent: float, pass_percent: float, scale: Scale) -> int:
    """Piecewise-linear practice mapping: 0% -> low, the pass mark -> cut, 100% -> high."""
    if percent <= pass_percent:
        value = scale.low + (scale.cut - scale.low) * percent / pass_percent
    else:
        value = scale.cut + (scale.high - scale.cut) * (percent - pass_percent) / (100 - pass_percent)
    return int(round(value))


def score_form(bp: BlueprintSpec, items: list[dict], answers: dict[int, int | None], key: dict[str, int]) -> ExamScore:
    """Score a form: ``items`` as stored ({"q", "domain", "unscored"}), ``answers`` position -> choice,
    ``key`` question id -> right choice. Unscored (pretest) items never count; unanswered is wrong."""
    right = []
    per_domain: dict[str, list[int]] = {}
    for pos, item in enumerate(items):
        ok = answers.get(pos) is not None and answers.get(pos) == key.get(item["q"])
        right.append(ok)
        if item.get("unscored"):
            continue
        tally = per_domain.setdefault(item["domain"], [0, 0])
        tally[0] += ok
        tally[1] += 1
    correct = sum(c for c, _t in per_domain.values())
    total = sum(t for _c, t in per_domain.values())
    percent = 100.0 * correct / total if total else 0.0
    order = [d for d, _n in bp.domains] + sorted(set(per_domain) - {d for d, _n in bp.domains})
    by_domain = tuple(DomainScore(d, *per_domain[d]) for d in order if d in per_domain)
    passed = total > 0 and percent + 1e-9 >= bp.pass_percent
    scaled = scaled_score(percent, bp.pass_percent, bp.scale) if bp.scale else None
    return ExamScore(correct, total, round(percent, 1), passed, scaled, by_domain, tuple(right))

"""Coverage of the course, measured: lessons, cases, scenarios and items per area against the targets
of content/coverage.yml (pure: content objects in, rows out)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from app.content.reader import Reader

CODING_AREAS = ("cpt:em", "cpt:anesthesia", "cpt:integumentary", "cpt:musculoskeletal", "cpt:surgery-other",
                "cpt:radiology", "cpt:lab", "cpt:medicine", "hcpcs", "modifiers")
#: chapters with content a coder is tested on (22, codes for special purposes, holds only U codes)
ICD_CHAPTERS = tuple(f"icd10cm:ch{n:02d}" for n in range(1, 22))


@dataclass(frozen=True)
class Row:
    group: str              # "Bank", "Coding", "ICD-10-CM", "Billing"
    area: str
    counts: tuple[tuple[str, int], ...]     # (kind, count), e.g. (("lessons", 2), ("cases", 7))
    targets: tuple[tuple[str, int], ...]

    @property
    def short(self) -> tuple[str, ...]:
        have = dict(self.counts)
        return tuple(kind for kind, need in self.targets if have.get(kind, 0) < need)


@dataclass(frozen=True)
class CourseMap:
    targets: Mapping[str, Mapping[str, int]]
    bank_forms: int
    lessons: Mapping[str, tuple[str, ...]]   # area -> lesson slugs


def load_course_map(path: Path, lesson_slugs: Iterable[str]) -> CourseMap:
    """Read content/coverage.yml; every area and lesson it names must exist (file and line otherwise)."""
    r = Reader(path)
    top = r.mapping(r.root("coverage.yml"), "coverage.yml")
    r.check_keys(top, ("targets", "lessons"), "coverage.yml")
    known = set(lesson_slugs)
    lessons: dict[str, tuple[str, ...]] = {}
    if "lessons" in top:
        for area, (knode, vnode) in r.mapping(top["lessons"][1], "lessons").items():
            if area not in CODING_AREAS + ICD_CHAPTERS + ("icd10cm:ch22",) and not area.startswith("denials:"):
                raise r.err(knode, f"unknown area '{area}'")
            slugs = [] if vnode.value is None else [(r.string(n, f"{area}: lesson"), n) for n in r.sequence(vnode, area)]
            for slug, node in slugs:
                if slug not in known:
                    raise r.err(node, f"{area}: no lesson '{slug}'")
            lessons[area] = tuple(slug for slug, _ in slugs)
    targets: dict[str, dict[str, int]] = {}
    forms = 3
    if "targets" in top:
        for key, (knode, vnode) in r.mapping(top["targets"][1], "targets").items():
            if key == "bank_forms":
                forms = r.integer(vnode, "targets: bank_forms")
            else:
                targets[key] = {kind: r.integer(n, f"targets: {key}: {kind}")
                                for kind, (_k, n) in r.mapping(vnode, f"targets: {key}").items()}
    return CourseMap(targets=targets, bank_forms=forms, lessons=lessons)


def coverage(course: CourseMap, cases: Iterable, scenario_categories: Iterable[tuple[str, ...]],
             bank_counts: Mapping[str, int], blueprint_needs: Mapping[str, int],
             billing_areas: Iterable[str]) -> list[Row]:
    """Rows of counts against targets.

    ``cases``: objects with ``domains`` (their area tags); ``scenario_categories``: each scenario's
    denial-category keys; ``bank_counts``: items per bank domain; ``blueprint_needs``: the largest
    count any blueprint draws from each domain."""
    case_tags = Counter(tag for case in cases for tag in set(case.domains))
    scenarios = Counter(key for keys in scenario_categories for key in set(keys))
    rows = []
    for domain in sorted(set(bank_counts) | set(blueprint_needs)):
        need = blueprint_needs.get(domain, 0) * course.bank_forms
        rows.append(Row("Bank", domain, (("items", bank_counts.get(domain, 0)),), (("items", need),)))
    for group, areas, key, kind, counts in (
            ("Coding", CODING_AREAS, "coding", "cases", case_tags),
            ("ICD-10-CM", ICD_CHAPTERS, "icd10cm", "cases", case_tags),
            ("Billing", tuple(billing_areas), "billing", "scenarios", scenarios)):
        wanted = course.targets.get(key, {})
        for area in areas:
            have = (("lessons", len(course.lessons.get(area, ()))), (kind, counts.get(area, 0)))
            rows.append(Row(group, area, have, tuple((k, int(wanted.get(k, 0))) for k, _ in have)))
    return rows


def render(rows: list[Row]) -> str:
    """A plain-text table per group; rows short of a target are marked with what is short."""
    out, group = [], None
    for row in rows:
        if row.group != group:
            group = row.group
            out.append(f"\n{group}")
        cells = "  ".join(f"{kind} {n:>3}/{dict(row.targets)[kind]:<3}" for kind, n in row.counts)
        mark = f"  BELOW: {', '.join(row.short)}" if row.short else ""
        out.append(f"  {row.area:<24} {cells}{mark}")
    below = sum(1 for r in rows if r.short)
    out.append(f"\n{below} of {len(rows)} areas below target")
    return "\n".join(out).lstrip("\n")

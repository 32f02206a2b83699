"""What a code of each system looks like: the one place that says a string is CPT-, HCPCS- or ICD-10-CM-shaped.

Shape only: whether a code exists is the code set's business (``CodeSet.get``). Every engine,
loader and form asks here, so a code is never CPT to one of them and "not a code" to another.

The rules, by the body that publishes each system:

- **CPT** (AMA). Category I: five digits (``00100``-``99499``); the Category I vaccine
  administration codes (``0001A``, AMA "CPT Category I SARS-CoV-2 vaccine codes", 2020-2023) and
  the administrative codes for multianalyte assays with algorithmic analyses (``0002M``, CPT
  Appendix O) are four digits and ``A`` or ``M``. Category II: four digits and ``F`` (``0001F``).
  Category III: four digits and ``T`` (``0042T``). Proprietary laboratory analyses: four digits
  and ``U`` (``0001U``). No other letter ends a CPT code.
- **HCPCS Level II** (CMS): one letter ``A``-``V`` and four digits (``J1885``, ``G0008``).
- **ICD-10-CM** (CDC/NCHS, Tabular List conventions): a letter, a digit, a digit or letter
  (``C4A``, ``O9A``), then a dot and one to four more characters (``S72.001A``); seven at most.
  FY2026 added the first category with a letter second (``QA0``, genetic disorders not elsewhere
  classified, chapter 17), so the second character is a digit, or ``A`` before a digit; words
  in capitals (``HIV``, ``LAC``) stay words. The table-driven test over the built code set fails
  the day a release brings another shape.
- **Modifiers**: two letters or digits (``25``, ``LT``, ``XS``). **Place of service**: two digits.

A dotless diagnosis (``E1122``) is also a HCPCS shape, so the dot decides when nothing else does:
:func:`system_of` reads a bare ``E1122`` as HCPCS; typed answers that are known to be diagnoses
are read with ``dot_optional=True``.
"""
from __future__ import annotations

import re

from .model import CPT, HCPCS, ICD10CM

#: Regular-expression sources, for the few callers that must find codes inside free text.
CPT_PATTERN = r"\d{5}|\d{4}[AFMTU]"
HCPCS_PATTERN = r"[A-V]\d{4}"
_ICD10CM_CATEGORY = r"[A-Z](?:\d[0-9A-Z]|A\d)"
ICD10CM_PATTERN = _ICD10CM_CATEGORY + r"(?:\.[0-9A-Z]{1,4})?"
ICD10CM_DOT_OPTIONAL_PATTERN = _ICD10CM_CATEGORY + r"(?:\.?[0-9A-Z]{1,4})?"
#: below its category and written with its dot (``E11.22``, not ``E11``): what free text names
ICD10CM_DOTTED_PATTERN = _ICD10CM_CATEGORY + r"\.[0-9A-Z]{1,4}"
MODIFIER_PATTERN = r"[0-9A-Z]{2}"
POS_PATTERN = r"\d{2}"

_CPT = re.compile(CPT_PATTERN)
_HCPCS = re.compile(HCPCS_PATTERN)
_ICD10CM = re.compile(ICD10CM_PATTERN)
_ICD10CM_DOT_OPTIONAL = re.compile(ICD10CM_DOT_OPTIONAL_PATTERN)
_MODIFIER = re.compile(MODIFIER_PATTERN)
_POS = re.compile(POS_PATTERN)


def is_cpt(code: str) -> bool:
    """``99214``, ``00790``, ``0001F``, ``0591T``, ``0001U``, ``0001A``, ``0002M``."""
    return bool(_CPT.fullmatch(code))


def is_hcpcs(code: str) -> bool:
    """``J1885``, ``G0008``: a HCPCS Level II code, never a CPT number."""
    return bool(_HCPCS.fullmatch(code))


def is_procedure(code: str) -> bool:
    """A CPT or HCPCS Level II shape."""
    return is_cpt(code) or is_hcpcs(code)


def is_icd10cm(code: str, *, dot_optional: bool = False) -> bool:
    """``E11.22``, ``C4A.0``, ``E11``; with ``dot_optional`` also ``E1122`` (a typed answer)."""
    return bool((_ICD10CM_DOT_OPTIONAL if dot_optional else _ICD10CM).fullmatch(code))


def is_modifier(code: str) -> bool:
    """``25``, ``LT``, ``XS``: two letters or digits."""
    return bool(_MODIFIER.fullmatch(code))


def is_pos(code: str) -> bool:
    """``11``, ``02``: two digits."""
    return bool(_POS.fullmatch(code))


def procedure_system(code: str) -> str | None:
    """``cpt``, ``hcpcs`` or None, from the shape of an upper-case code."""
    if is_cpt(code):
        return CPT
    if is_hcpcs(code):
        return HCPCS
    return None


def system_of(code: str) -> str | None:
    """``cpt``, ``hcpcs`` or ``icd10cm`` for a code written in its own form (a diagnosis with its
    dot), else None. Modifiers and places of service share shapes and are named by their field."""
    return procedure_system(code) or (ICD10CM if is_icd10cm(code) else None)

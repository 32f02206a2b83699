"""Turning an answer key and a student's response (anything at all) into clean lines to grade."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

#: Lines beyond this many per list are ignored: a real encounter never needs more, and it bounds
#: the work a hostile submission can cause.
MAX_LINES = 40
#: Units at or beyond this are not a number of services anyone bills.
MAX_UNITS = 1_000_000
#: Raw text longer than this is cut before normalising; the longest code is 8 characters.
MAX_RAW = 64

_NOT_CODE_CHARS = re.compile(r"[^0-9A-Z]")
_SPACES_AND_DOTS = re.compile(r"[\s.]+")
_LIST_SEPARATORS = re.compile(r"[,;\n]+")
_MODIFIER_SEPARATORS = re.compile(r"[\s,;/+-]+")


def _squeeze(raw: object) -> str:
    """Upper-case ``raw`` and drop spaces and dots; full-width and other compatibility forms
    (``Ｅ１１．２２``) fold to ASCII first. Non-text gives ''."""
    if isinstance(raw, str):
        return _squeeze_text(raw[:MAX_RAW])
    if isinstance(raw, int) and not isinstance(raw, bool):
        return _squeeze_text(str(raw)) if -(10**MAX_RAW) < raw < 10**MAX_RAW else "9" * MAX_RAW
    return ""


@lru_cache(maxsize=4096)
def _squeeze_text(text: str) -> str:
    return _SPACES_AND_DOTS.sub("", unicodedata.normalize("NFKC", text).upper())


def normalize_icd10cm(raw: object) -> str:
    """``e1122``, ``E11.22 ``, ``E 11.22`` and ``E11..22`` all become ``E11.22``."""
    code = _squeeze(raw)
    return code[:3] + "." + code[3:] if len(code) > 3 else code


def normalize_procedure(raw: object) -> str:
    """CPT and HCPCS Level II codes: upper case, no spaces or dots (``j1885`` is ``J1885``)."""
    return _squeeze(raw)


def normalize_modifier(raw: object) -> str:
    """``-25``, `` 25`` and ``lt`` become ``25`` and ``LT``."""
    return _squeeze(raw).lstrip("-")


def shown(raw: object) -> str:
    """What the student typed, short and printable, for a reason text."""
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, bool) or raw is None:
        text = repr(raw)
    elif isinstance(raw, float) or (isinstance(raw, int) and -(10**MAX_RAW) < raw < 10**MAX_RAW):
        text = repr(raw)
    else:
        text = f"<{type(raw).__name__}>"
    text = "".join(ch if ch.isprintable() else "?" for ch in text[:MAX_RAW]).strip()
    return text[:24] + "…" if len(text) > 24 else text


class KeyEntry(NamedTuple):
    """One answer-key line: the expected code, its accepted alternatives and (procedures) parts.

    ``codes`` is the code followed by its alternatives: any of them earns full credit.
    """

    position: int
    code: str
    codes: tuple[str, ...]
    optional: bool = False
    rationale: str = ""
    modifiers: tuple[str, ...] = ()
    units: int = 1

    @property
    def accept(self) -> tuple[str, ...]:
        return self.codes[1:]


class GivenLine(NamedTuple):
    """One line of the student's answer after normalising.

    ``code`` is '' when the line is not a code at all; ``units`` is None when the units could not
    be read as a whole number (``units_raw`` keeps what was typed).
    """

    position: int
    raw: object
    code: str
    modifiers: tuple[str, ...] = ()
    units: int | None = 1
    units_raw: object = 1


def _as_list(value: object) -> list:
    """A list of items from a list/tuple, or a pasted string ("E11.22, N18.31"); else nothing."""
    if isinstance(value, str):
        return [part for part in _LIST_SEPARATORS.split(value[: MAX_RAW * MAX_LINES]) if part.strip()]
    if isinstance(value, (list, tuple)):
        return list(value[: MAX_LINES * 4])
    return []


def _is_blank(item: object) -> bool:
    return item is None or (isinstance(item, str) and not item.strip())


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def parse_units(value: object) -> int | None:
    """Whole-number units; None (not given) means 1. Returns None when unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < MAX_UNITS else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < MAX_UNITS else None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value[:MAX_RAW]).strip()
        if re.fullmatch(r"[0-9]{1,6}", text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() and abs(number) < MAX_UNITS else None
    return None


def parse_modifiers(value: object) -> tuple[str, ...]:
    """Modifiers from a list (``["25", "59"]``) or a string (``"25, 59"``, ``"-25-59"``)."""
    if isinstance(value, str):
        items: list = _MODIFIER_SEPARATORS.split(value[:MAX_RAW])
    elif isinstance(value, (list, tuple)):
        items = list(value[:8])
    else:
        items = []
    found = []
    for item in items:
        modifier = normalize_modifier(item)
        if modifier:
            found.append(modifier[:8])
    return tuple(found)


def parse_key(key: object) -> tuple[tuple[KeyEntry, ...], tuple[KeyEntry, ...]]:
    """The (diagnoses, procedures) entries of an ``answer_key`` mapping; malformed entries are skipped."""
    if not isinstance(key, Mapping):
        return (), ()
    return (
        _parse_key_entries(key.get("diagnoses"), normalize_icd10cm),
        _parse_key_entries(key.get("procedures"), normalize_procedure),
    )


def _parse_key_entries(value: object, normalize) -> tuple[KeyEntry, ...]:
    entries = []
    for item in _as_list(value)[:MAX_LINES]:
        if isinstance(item, Mapping):
            code = normalize(item.get("code"))
            if not code:
                continue
            accept = tuple(a for a in (normalize(x) for x in _as_list(item.get("accept"))) if a)
            units = parse_units(item.get("units"))
            entries.append(
                KeyEntry(
                    position=len(entries) + 1,
                    code=code,
                    codes=(code, *accept),
                    optional=item.get("optional") is True,
                    rationale=_text(item.get("rationale")),
                    modifiers=parse_modifiers(item.get("modifiers")),
                    units=units if units is not None else 1,
                )
            )
        elif not _is_blank(item):
            code = normalize(item)
            if code:
                entries.append(KeyEntry(position=len(entries) + 1, code=code, codes=(code,)))
    return tuple(entries)


def parse_response(response: object) -> tuple[tuple[GivenLine, ...], tuple[GivenLine, ...]]:
    """The (diagnoses, procedures) lines of a response; blank lines are dropped, anything else kept."""
    if not isinstance(response, Mapping):
        return (), ()
    diagnoses = []
    for item in _as_list(response.get("diagnoses")):
        if _is_blank(item):
            continue
        raw = item.get("code") if isinstance(item, Mapping) else item
        diagnoses.append(GivenLine(position=len(diagnoses) + 1, raw=raw, code=normalize_icd10cm(raw)))
        if len(diagnoses) >= MAX_LINES:
            break
    procedures = []
    for item in _as_list(response.get("procedures")):
        if _is_blank(item):
            continue
        procedures.append(_parse_given_procedure(len(procedures) + 1, item))
        if len(procedures) >= MAX_LINES:
            break
    return tuple(diagnoses), tuple(procedures)


def _parse_given_procedure(position: int, item: object) -> GivenLine:
    if isinstance(item, Mapping):
        raw = item.get("code")
        units_raw = item.get("units")
        return GivenLine(
            position=position,
            raw=raw,
            code=normalize_procedure(raw),
            modifiers=parse_modifiers(item.get("modifiers")),
            units=parse_units(units_raw),
            units_raw=units_raw,
        )
    if isinstance(item, str):
        # "99214-25" or "99214 25 59": a code followed by its modifiers
        head, *tail = _MODIFIER_SEPARATORS.split(item.strip()[:MAX_RAW], maxsplit=4) or [""]
        return GivenLine(
            position=position, raw=item, code=normalize_procedure(head), modifiers=parse_modifiers(tail)
        )
    return GivenLine(position=position, raw=item, code=normalize_procedure(item))

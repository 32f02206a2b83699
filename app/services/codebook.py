"""What the code-book pages and the JSON API show about codes (one place for both)."""
from __future__ import annotations

from dataclasses import dataclass

from app.codes.model import ICD10CM, SYSTEMS, Code
from app.services.codes import codeset

MAX_LIMIT = 100
MAX_QUERY = 100


class BadQuery(ValueError):
    pass


def search(q: str | None, system: str | None, limit: int | str | None = 20) -> list[Code]:
    """Validate the query (BadQuery says what is wrong) and search the code set."""
    q = (q or "").strip()
    if not q:
        raise BadQuery("q is required: a code or some words, e.g. q=E11.2 or q=diab kidn")
    if len(q) > MAX_QUERY:
        raise BadQuery(f"q is too long (at most {MAX_QUERY} characters)")
    if system not in (None, "", *SYSTEMS):
        raise BadQuery(f"system must be one of {', '.join(SYSTEMS)}")
    try:
        limit = int(limit if limit not in (None, "") else 20)
    except (TypeError, ValueError):
        raise BadQuery("limit must be a whole number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit must be between 1 and {MAX_LIMIT}")
    return codeset().search(q, system or None, limit)


def find(code: str, system: str | None = None) -> Code | None:
    """A code by its number; without a system, ICD-10-CM first, then the others."""
    cs = codeset()
    for sy in ([system] if system else [ICD10CM, "cpt", "hcpcs", "modifier", "pos"]):
        if sy in SYSTEMS:
            entry = cs.get(sy, code)
            if entry is not None:
                return entry
    return None


@dataclass(frozen=True)
class CodePage:
    code: Code
    ancestors: list[Code]
    children: list[Code]
    notes: dict[str, list[tuple[str, str]]]
    missing: str | None


def code_page(entry: Code) -> CodePage:
    cs = codeset()
    if entry.system == ICD10CM:
        return CodePage(entry, list(reversed(cs.ancestors(entry.code))), cs.children(ICD10CM, entry.code),
                        cs.notes_in_effect(entry.code), None if entry.billable else cs.missing_detail(ICD10CM, entry.code))
    return CodePage(entry, [], [], {}, None)


def to_json(entry: Code, url: str) -> dict:
    return {
        "system": entry.system, "code": entry.code, "description": entry.description,
        "billable": entry.billable, "kind": entry.kind, "parent": entry.parent,
        "release": entry.release, "own_wording": entry.own_wording, "url": url,
    }

"""The shape of a code as every engine sees it, whatever the code system."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

#: Code systems the code book knows.
ICD10CM = "icd10cm"
HCPCS = "hcpcs"
CPT = "cpt"
MODIFIER = "modifier"
POS = "pos"
SYSTEMS = (ICD10CM, HCPCS, CPT, MODIFIER, POS)


def needs_phrase(detail: str | None, subject: str = "it") -> str:
    """What a header lacks as one clause to put after a dash or colon: ``it needs ...``.

    ``CodeSet.missing_detail`` answers in two shapes: a noun ("a 5th character (which knee)",
    from small in-memory code sets) or a sentence ("needs a 5th character ...", from the built
    code book), and, for a chapter or block, a whole statement ("E08-E13 is a block ...").
    Callers that glued "needs" in front of the sentence shape printed "needs needs"; this one
    helper reads every shape, for every caller (grader, claim edits, content checks). Empty for
    no detail. ``subject=""`` drops the "it" (``— needs a 7th character``, the content check's
    wording after the code it names).
    """
    text = (detail or "").strip()
    if not text:
        return ""
    lead = f"{subject} " if subject else ""
    if text.lower().startswith("needs "):
        return f"{lead}{text}"
    if text.lower().startswith(("a ", "an ", "more ", "the ", "placeholder")):
        return f"{lead}needs {text}"
    return text

@dataclass(frozen=True)
class Code:
    """One entry of a code set, in canonical display form (``E11.22``, ``S72.001A``, ``99214``)."""

    system: str
    code: str
    description: str
    billable: bool
    #: ICD-10-CM: chapter, block, category, subcategory or code; other systems: code
    kind: str = "code"
    parent: str | None = None
    #: the release the entry comes from, e.g. "ICD-10-CM April 2026"
    release: str = ""
    #: whether the description is our own wording (CPT labels are; AMA descriptors are never shipped)
    own_wording: bool = False
    # Tabular-list notes (ICD-10-CM only), each a tuple of note texts as printed in the tabular list.
    includes: tuple[str, ...] = field(default=())
    inclusion_terms: tuple[str, ...] = field(default=())
    excludes1: tuple[str, ...] = field(default=())
    excludes2: tuple[str, ...] = field(default=())
    code_first: tuple[str, ...] = field(default=())
    code_also: tuple[str, ...] = field(default=())
    use_additional: tuple[str, ...] = field(default=())
    #: 7th-character table that applies to this code (own or inherited): ((char, meaning), ...)
    seventh_characters: tuple[tuple[str, str], ...] = field(default=())
    # --- optional additions (app.codes fills them; all have defaults) ---
    #: general tabular notes of this entry (ICD-10-CM "notes" element), e.g. chapter guidance
    notes: tuple[str, ...] = field(default=())
    #: the 7th-character instruction printed at this entry, if any ("The appropriate 7th character ...")
    seventh_note: str = ""
    #: ICD-10-CM chapter number ("1".."22"); None for other systems
    chapter: str | None = None
    #: extra explanatory text (e.g. the CMS definition of a place of service)
    detail: str = ""


class CodeSet(Protocol):
    """What the grader and the claim engine need from a code set; ``app.codes`` provides it."""

    release: str

    def get(self, system: str, code: str) -> Code | None:
        """The entry for ``code`` (any spelling: ``e1122``, ``E11.22 ``) or None if it does not exist."""

    def missing_detail(self, system: str, code: str) -> str | None:
        """For a non-billable header, what is missing in plain words (e.g. 'a 7th character'), else None."""

    def excludes1_refs(self, code: str) -> tuple[str, ...]:
        """Code references in the Excludes1 notes of an ICD-10-CM code and its ancestors,
        as prefixes or ranges (``E10``, ``O24.4``, ``I10-I16``)."""

"""The coding grader: scores a student's codes against a case's answer key, line by line.

Every answer-key entry is worth ``LINE_POINTS`` (1 point). ``score = points / max_points``, kept
within 0..1; ``points`` is never below 0.

Credit for a diagnosis (``CREDIT``), going down the code from the key's code:

====================  ======  ===========================================================
rule                  credit  example (key → given)
====================  ======  ===========================================================
exact                 1.0     E11.22 → E11.22, or any code listed in the entry's ``accept``
seventh_character     0.75    S72.001A → S72.001D (encounter type); the reason names both
                              characters and their meanings when the code set has the table
laterality            0.6     M17.11 → M17.12, M17.0 → M17.11: the descriptions name other
                              sides (right/left/bilateral/unspecified) of the same condition;
                              less than the 7th character because the wrong side is a
                              clinical error, not just a different visit
laterality + 7th      0.45    S72.001A → S72.002D (the two multiplied)
subcategory           0.5     E11.22 → E11.21 (same first 4+ characters, different detail)
category              0.25    N18.31 → N18.9 (same 3-character category)
header                0.1     S72.001A → S72.001: a non-billable header inside the key
                              code's category; status ``not_billable``
different category    0       status ``wrong``
invalid / not a code  0       status ``invalid``
====================  ======  ===========================================================

Sequencing: the key's first diagnosis is the first-listed (principal) one. When the student gives
it but not first, its credit is multiplied by ``SEQUENCE_FACTOR`` (0.5) and, if the code itself is
right, its status is ``sequence``.

Procedures: the line's point is shared (``PROCEDURE_SHARES``): code 0.6, modifiers 0.2, units 0.2.
The code must be the key's (or an ``accept`` alternative) for any credit; modifiers earn
``|given ∩ expected| / |given ∪ expected|`` of their share (order is noted, never penalised);
units earn their share only when equal (a missing ``units`` means 1).

Optional entries (``optional: true``): when given, they count like any entry (their point joins
``max_points``, so a right optional code raises the score and a half-right one costs a little);
when absent they count for nothing (``max_points`` 0, no penalty).

Matching: response lines are paired with key entries by the best assignment — as many exact or
accepted matches as possible first, then the most partial credit, ties going to the same
position — so one order slip never cascades. Each line is used at most once. Lines still
unpaired are then paired in order with key entries still missing, as ``wrong`` (or ``invalid``)
answers for those entries: they cost that entry's point and nothing more. Duplicates, and lines
explained by a diagnosis the student did code (its symptom, or a code its Excludes1 note rules
out), are never taken as such attempts: they are extras.

Codes are normalised first (case, spaces, full-width characters, missing or extra dots). A
diagnosis the code set does not know is ``invalid`` (the reason adds the code set's hint, e.g. a
missing placeholder X). The code book ships only a curated subset of CPT and HCPCS numbers, so a
well-formed procedure number it does not know is graded as a code (``wrong`` or ``extra``, "not
in this code book's CPT list"), never ``invalid``; a code in the key is always accepted as given.

Extra lines (beyond the key) cost ``EXTRA_PENALTY`` points each, with the reason: a duplicate
(0.25), an Excludes1 conflict with a key code (0.5), a symptom (chapter 18, R-code) when the key
confirms a definitive diagnosis (0.5), an invalid or header code (0.5), otherwise not documented
in the vignette / not in the key (0.5).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.codes.model import needs_phrase
from app.codes.shapes import is_icd10cm, is_modifier, is_procedure, procedure_system

from .assign import best_assignment
from .parse import (
    GivenLine,
    KeyEntry,
    normalize_icd10cm,
    parse_key,
    parse_response,
    shown,
)
from .verdicts import (
    CORRECT,
    DIAGNOSIS,
    EXTRA,
    INVALID,
    MISSING,
    NOT_BILLABLE,
    PARTIAL,
    PROCEDURE,
    SEQUENCE,
    WRONG,
    CaseGrade,
    LineVerdict,
    PartVerdict,
)

if TYPE_CHECKING:  # the code book package stays unimported until a grade needs it
    from app.codes.model import CodeSet

# --- the credit table (documented in the module docstring) -----------------------------------
LINE_POINTS = 1.0
CREDIT = {
    "exact": 1.0,
    "seventh_character": 0.75,
    "laterality": 0.6,
    "subcategory": 0.5,
    "category": 0.25,
    "header": 0.1,
}
SEQUENCE_FACTOR = 0.5
PROCEDURE_SHARES = {"code": 0.6, "modifiers": 0.2, "units": 0.2}
EXTRA_PENALTY = {
    "duplicate": 0.25,
    "excludes1": 0.5,
    "symptom": 0.5,
    "invalid": 0.5,
    "not_billable": 0.5,
    "not_in_key": 0.5,
}
# ---------------------------------------------------------------------------------------------

ICD10CM = "icd10cm"
MODIFIER = "modifier"
#: Exact matches outweigh any sum of partial credits in the assignment.
_EXACT_BONUS = 1000.0
#: Same-position tie-break, far below the smallest credit step.
_POSITION_TIE_BREAK = 1e-6
_SIDE_WORDS = re.compile(r"\b(right|left|bilateral)\b")
_WORDS = re.compile(r"[a-z0-9]+")
_SIDE_AND_FILLER_WORDS = frozenset(
    {"right", "left", "bilateral", "unilateral", "unspecified", "side", "of", "the", "and"}
)
#: First letters of ICD-10-CM codes that are not definitive diagnoses: symptoms (R), external
#: causes (V–Y) and factors influencing health status (Z).
_NOT_DEFINITIVE = frozenset("RVWXYZ")


def grade_case(key: object, response: object, codes: CodeSet | None = None) -> CaseGrade:
    """Grade ``response`` against the answer ``key`` using the code set ``codes``.

    ``codes`` is any object with the ``app.codes.model.CodeSet`` methods; None means the built
    code book (``app.codes.default_codeset()``). Never raises on a malformed key or response.
    """
    if codes is None:
        from app.codes import default_codeset  # lazily: grading imports without the code DB

        codes = default_codeset()
    book = _Book(codes)
    key_dx, key_px = parse_key(key)
    given_dx, given_px = parse_response(response)

    dx_lines = _grade_diagnoses(key_dx, given_dx, book)
    px_lines = _grade_procedures(key_px, given_px, book)
    lines = dx_lines + px_lines

    max_points = sum(line.max_points for line in lines)
    earned = sum(line.points for line in lines if line.points > 0)
    penalties = sum(line.penalty for line in lines)
    points = max(0.0, earned - penalties)
    score = min(1.0, max(0.0, points / max_points)) if max_points > 0 else 0.0
    return CaseGrade(
        score=round(score, 4),
        max_points=round(max_points, 4),
        points=round(points, 4),
        lines=tuple(lines),
        penalties=round(penalties, 4),
        code_release=book.release,
    )


# --- code-set access ---------------------------------------------------------------------------


class _Book:
    """The code set as the grader uses it: per-call memo of look-ups, tolerant of odd code sets."""

    _LOOKUP_ERRORS = (ValueError, TypeError, LookupError, AttributeError)

    def __init__(self, codes: object) -> None:
        self.codes = codes
        release = getattr(codes, "release", "")
        self.release = release if isinstance(release, str) else ""
        self._entries: dict[tuple[str, str], object] = {}
        self._refs: dict[str, tuple[str, ...]] = {}

    def entry(self, system: str, code: str):
        memo_key = (system, code)
        if memo_key not in self._entries:
            try:
                self._entries[memo_key] = self.codes.get(system, code)
            except self._LOOKUP_ERRORS:
                self._entries[memo_key] = None
        return self._entries[memo_key]

    def description(self, system: str, code: str) -> str:
        description = getattr(self.entry(system, code), "description", "")
        return description if isinstance(description, str) else ""

    def seventh_meaning(self, code: str, character: str) -> str:
        table = getattr(self.entry(ICD10CM, code), "seventh_characters", ()) or ()
        try:
            return dict(table).get(character, "")
        except (TypeError, ValueError):
            return ""

    def missing_detail(self, system: str, code: str) -> str | None:
        try:
            detail = self.codes.missing_detail(system, code)
        except self._LOOKUP_ERRORS:
            return None
        return detail if isinstance(detail, str) and detail else None

    def excludes1(self, code: str) -> tuple[str, ...]:
        if code not in self._refs:
            try:
                refs = tuple(r for r in (self.codes.excludes1_refs(code) or ()) if isinstance(r, str))
            except self._LOOKUP_ERRORS:
                refs = ()
            self._refs[code] = refs
        return self._refs[code]

    def excludes1_conflict(self, a: str, b: str) -> bool:
        """Whether an Excludes1 note of ``a`` (or its ancestors) names ``b``, or the reverse."""
        return any(_ref_covers(ref, b) for ref in self.excludes1(a)) or any(
            _ref_covers(ref, a) for ref in self.excludes1(b)
        )


def _ref_covers(ref: str, code: str) -> bool:
    """Whether an Excludes1 reference (``E10``, ``O24.4-``, ``E08.-``, ``I10-I16``) covers ``code``."""
    plain = code.replace(".", "").upper()
    ref = ref.strip().upper().rstrip("-").rstrip(".").replace(".", "")
    if not ref:
        return False
    if "-" in ref:
        start, _, end = ref.partition("-")
        start, end = start.strip(), end.strip()
        if not start or not end:
            return False
        return start <= plain[: len(start)] and plain[: len(end)] <= end
    return plain.startswith(ref)


def _plain(code: str) -> str:
    return code.replace(".", "")


def _dotted(plain: str) -> str:
    return plain[:3] + "." + plain[3:] if len(plain) > 3 else plain


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _same_condition(e_desc: str, g_desc: str, base_e: str, base_g: str, seventh: str, book: _Book) -> bool:
    """Whether two codes name the same condition but for another side (M17.11 / M17.12,
    M17.0 bilateral / M17.11 right); with different 7th characters, their 6-character bases
    (placeholder X dropped) are compared, since the descriptions also differ in encounter."""
    if seventh:
        e_desc, g_desc = _base_description(base_e, book), _base_description(base_g, book)
        if not e_desc or not g_desc:
            return False
    return _sideless(e_desc) == _sideless(g_desc)


def _base_description(base: str, book: _Book) -> str:
    for code in (base, base.rstrip("X")):
        description = book.description(ICD10CM, _dotted(code))
        if description:
            return description
    return ""


def _sideless(description: str) -> str:
    """A description without its side words, to tell 'the same condition, another side'."""
    words = _WORDS.findall(description.lower())
    return " ".join(w for w in words if w not in _SIDE_AND_FILLER_WORDS)


def _side(description: str) -> str | None:
    sides = sorted(set(_SIDE_WORDS.findall(description.lower())))
    if sides:
        return " and ".join(sides)
    return "unspecified side" if "unspecified" in description.lower() else None


def _with_description(code: str, description: str) -> str:
    return f"{code} ({description})" if description else code


# --- checking the student's lines ----------------------------------------------------------------


class _Checked:
    """A response line after its code was checked against the code set."""

    __slots__ = ("line", "code", "status", "reason", "description", "note", "duplicate_of", "bad_modifiers")

    def __init__(self, line: GivenLine, code: str, status: str = "", reason: str = "", description: str = ""):
        self.line = line
        self.code = code  # canonical when valid; what was typed (shortened) otherwise
        self.status = status  # "" (a billable code), INVALID or NOT_BILLABLE
        self.reason = reason
        self.description = description
        self.note = ""  # said in place of a description the code book does not have
        self.duplicate_of: int | None = None
        self.bad_modifiers: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return _with_description(self.code, self.description or self.note)

    @property
    def usable(self) -> bool:
        return self.duplicate_of is None and self.status != INVALID


def _check_diagnosis(line: GivenLine, key_codes: frozenset[str], book: _Book) -> _Checked:
    code = line.code
    if not code:
        return _Checked(line, shown(line.raw), INVALID, f"not a code: {shown(line.raw) or 'empty'}")
    if not is_icd10cm(code, dot_optional=True):
        hint = " (it looks like a procedure code)" if is_procedure(_plain(code)) else ""
        return _Checked(line, shown(line.raw), INVALID, f"{shown(line.raw)} is not an ICD-10-CM code{hint}")
    entry = book.entry(ICD10CM, code)
    if entry is None:
        if code in key_codes:  # the key is the authority, even if the code book lags behind it
            return _Checked(line, code)
        edition = book.release if book.release.startswith("ICD-10-CM") else "ICD-10-CM"
        reason = f"{code} does not exist in {edition}"
        hint = book.missing_detail(ICD10CM, code)  # e.g. a placeholder X slip: S01.01A for S01.01XA
        return _Checked(line, code, INVALID, f"{reason}: {needs_phrase(hint)}" if hint else reason)
    canonical = entry.code if isinstance(getattr(entry, "code", None), str) else code
    description = book.description(ICD10CM, canonical)
    if getattr(entry, "billable", True) is False and canonical not in key_codes:
        missing = book.missing_detail(ICD10CM, canonical) or "more characters"
        return _Checked(
            line,
            canonical,
            NOT_BILLABLE,
            f"{canonical} is a header, not a billable code: {needs_phrase(missing)}",
            description,
        )
    return _Checked(line, canonical, description=description)


def _check_procedure(line: GivenLine, key_codes: frozenset[str], book: _Book) -> _Checked:
    code = line.code
    if not code:
        checked = _Checked(line, shown(line.raw), INVALID, f"not a code: {shown(line.raw) or 'empty'}")
    elif not is_procedure(code):
        hint = " (it looks like an ICD-10-CM diagnosis code)" if is_icd10cm(code, dot_optional=True) else ""
        checked = _Checked(line, shown(line.raw), INVALID, f"{shown(line.raw)} is not a CPT or HCPCS code{hint}")
    else:
        system = procedure_system(code)
        entry = book.entry(system, code)
        if entry is None and code not in key_codes and book.entry(ICD10CM, normalize_icd10cm(code)) is not None:
            reason = f"{code} is not a procedure code (it looks like an ICD-10-CM diagnosis code)"
            checked = _Checked(line, code, INVALID, reason)
        elif entry is None:
            # The code book ships a curated subset of CPT and HCPCS numbers, so a well-formed
            # number it does not know may still be real: grade it as a code, just undescribed.
            checked = _Checked(line, code)
            if code not in key_codes:
                checked.note = f"not in this code book's {'CPT' if system == 'cpt' else 'HCPCS Level II'} list"
        else:
            canonical = entry.code if isinstance(getattr(entry, "code", None), str) else code
            checked = _Checked(line, canonical, description=book.description(system, canonical))
    checked.bad_modifiers = tuple(
        m for m in line.modifiers if not is_modifier(m) or book.entry(MODIFIER, m) is None
    )
    return checked


def _mark_duplicates(checked: list[_Checked], same) -> None:
    seen: dict[object, int] = {}
    for item in checked:
        if item.status == INVALID:
            continue
        identity = same(item)
        if identity in seen:
            item.duplicate_of = seen[identity]
        else:
            seen[identity] = item.line.position


# --- matching ------------------------------------------------------------------------------------


class _Match:
    __slots__ = ("credit", "status", "reason", "exact", "modifiers", "units")

    def __init__(self, credit, status, reason, exact=False, modifiers=None, units=None):
        self.credit = credit
        self.status = status
        self.reason = reason
        self.exact = exact
        self.modifiers = modifiers
        self.units = units


def _pair(keys: tuple[KeyEntry, ...], given: list[_Checked], compare) -> dict[int, tuple[int, _Match]]:
    """Best assignment of usable response lines to key entries: {key index: (given index, match)}."""
    candidates = [j for j, g in enumerate(given) if g.usable]
    if not keys or not candidates:
        return {}
    matches: dict[tuple[int, int], _Match] = {}
    weights = []
    for i, entry in enumerate(keys):
        row = []
        for j in candidates:
            match = compare(entry, given[j])
            weight = 0.0
            if match is not None and match.credit > 0:
                matches[i, j] = match
                weight = match.credit + (_EXACT_BONUS if match.exact else 0.0)
                weight -= _POSITION_TIE_BREAK * abs(entry.position - given[j].line.position)
            row.append(weight)
        weights.append(row)
    if not matches:
        return {}
    paired = {}
    for i, column in best_assignment(weights):
        j = candidates[column]
        if (i, j) in matches:
            paired[i] = (j, matches[i, j])
    return paired


def _compare_diagnosis(book: _Book):
    def compare(entry: KeyEntry, given: _Checked) -> _Match | None:
        if given.code in entry.codes:
            if given.code == entry.code:
                return _Match(1.0, CORRECT, "correct", exact=True)
            return _Match(1.0, CORRECT, f"correct: accepted alternative to {entry.code}", exact=True)
        if given.status == NOT_BILLABLE:
            if any(_plain(code)[:3] == _plain(given.code)[:3] for code in entry.codes):
                return _Match(CREDIT["header"], NOT_BILLABLE, f"{given.reason} (expected {entry.code})")
            return None
        best = None
        for expected in entry.codes:
            credit, reason = _down_the_code(expected, given.code, book)
            if credit > 0 and (best is None or credit > best[0]):
                best = (credit, reason)
        if best is None:
            return None
        return _Match(best[0], PARTIAL, best[1])

    return compare


def _down_the_code(expected: str, given: str, book: _Book) -> tuple[float, str]:
    """Partial credit for a billable ``given`` code that is not ``expected``, and why."""
    e, g = _plain(expected), _plain(given)
    if e[:3] != g[:3]:  # every partial-credit rule stays inside one category
        return 0.0, ""
    e_desc = book.description(ICD10CM, expected)
    g_desc = book.description(ICD10CM, given)
    seventh = ""
    base_e, base_g = e, g
    if len(e) == len(g) == 7 and e[6] != g[6]:
        g_meaning = book.seventh_meaning(given, g[6]) or book.seventh_meaning(expected, g[6])
        e_meaning = book.seventh_meaning(expected, e[6])
        seventh = (
            f"wrong 7th character: {g[6]}"
            + (f" ({g_meaning})" if g_meaning else "")
            + f" given, {e[6]}"
            + (f" ({e_meaning})" if e_meaning else "")
            + " expected"
        )
        base_e, base_g = e[:6], g[:6]
        if base_e == base_g:
            return CREDIT["seventh_character"], seventh
    e_side, g_side = _side(e_desc), _side(g_desc)
    if e_side and g_side and e_side != g_side and _same_condition(e_desc, g_desc, base_e, base_g, seventh, book):
        reason = f"wrong laterality: {g_side} vs {e_side} expected ({given} given for {expected})"
        if seventh:
            return CREDIT["laterality"] * CREDIT["seventh_character"], f"{reason}; {seventh}"
        return CREDIT["laterality"], reason

    shared = _common_prefix(e, g)
    if shared >= 4:
        level, credit = f"subcategory {_dotted(e[:shared])}", CREDIT["subcategory"]
    elif shared == 3:
        level, credit = f"category {e[:3]}", CREDIT["category"]
    else:
        return 0.0, ""
    less_specific = "unspecified" in g_desc.lower() and "unspecified" not in e_desc.lower()
    detail = "less specific" if less_specific else "wrong detail"
    return credit, (
        f"right {level} but {detail}: {_with_description(given, g_desc)} given, "
        f"{_with_description(expected, e_desc)} expected"
    )


def _compare_procedure(book: _Book):
    def compare(entry: KeyEntry, given: _Checked) -> _Match | None:
        if given.code not in entry.codes:
            return None
        modifiers = _grade_modifiers(entry.modifiers, given.line.modifiers, given.bad_modifiers)
        units = _grade_units(entry.units, given.line)
        credit = (
            PROCEDURE_SHARES["code"]
            + PROCEDURE_SHARES["modifiers"] * modifiers.credit
            + PROCEDURE_SHARES["units"] * units.credit
        )
        notes = [part.reason for part in (modifiers, units) if part.reason]
        if given.code != entry.code:
            notes.insert(0, f"accepted alternative to {entry.code}")
        if credit >= 1.0 - 1e-9:
            status, reason = CORRECT, "correct" + (": " + "; ".join(notes) if notes else "")
        else:
            status, reason = PARTIAL, "; ".join(notes)
        return _Match(min(credit, 1.0), status, reason, exact=True, modifiers=modifiers, units=units)

    return compare


def _grade_modifiers(expected: tuple[str, ...], given: tuple[str, ...], unknown: tuple[str, ...]) -> PartVerdict:
    given = tuple(dict.fromkeys(given))  # the same modifier twice counts once
    want, got = set(expected), set(given)
    if want == got:
        note = ""
        if len(expected) > 1 and tuple(m for m in given if m in want) != tuple(expected):
            note = f"modifier order differs from the key ({', '.join(expected)}); no credit lost"
        return PartVerdict(expected=tuple(expected), given=given, credit=1.0, reason=note)
    missing = [m for m in expected if m not in got]
    extra = [m for m in given if m not in want]
    notes = []
    if len(missing) == 1 and len(extra) == 1:
        notes.append(f"wrong modifier {extra[0]}, expected {missing[0]}")
    else:
        notes += [f"missing modifier {m}" for m in missing]
        notes += [f"extra modifier {m}" for m in extra]
    notes += [f"{m} is not a modifier in this code book" for m in extra if m in unknown]
    credit = len(want & got) / len(want | got)
    return PartVerdict(expected=tuple(expected), given=given, credit=credit, reason="; ".join(notes))


def _grade_units(expected: int, line: GivenLine) -> PartVerdict:
    if line.units is None:
        typed = shown(line.units_raw)
        return PartVerdict(expected, typed, 0.0, f"units {typed} is not a whole number, expected {expected}")
    if line.units != expected:
        return PartVerdict(expected, line.units, 0.0, f"units {line.units}, expected {expected}")
    return PartVerdict(expected, line.units, 1.0, "")


# --- putting the verdicts together -------------------------------------------------------------------


def _grade_diagnoses(keys: tuple[KeyEntry, ...], lines: tuple[GivenLine, ...], book: _Book) -> list[LineVerdict]:
    key_codes = frozenset(code for entry in keys for code in entry.codes)
    given = [_check_diagnosis(line, key_codes, book) for line in lines]
    _mark_duplicates(given, lambda g: g.code)
    paired = _pair(keys, given, _compare_diagnosis(book))
    # A symptom of a diagnosis the student did code, or a code excluded by one they did code, is
    # an extra line, not their attempt at some other missing entry.
    coded = [keys[i] for i in paired]
    leftovers = _pair_leftovers(
        keys, given, paired, lambda g: g.status == "" and _why_not_coded(g, coded, book) is not None
    )
    first_given = given[0].line.position if given else None

    verdicts = []
    for i, entry in enumerate(keys):
        expected_description = book.description(ICD10CM, entry.code)
        if i in paired:
            j, match = paired[i]
            g = given[j]
            credit, status, reason = match.credit, match.status, match.reason
            if i == 0 and g.line.position != first_given:
                credit *= SEQUENCE_FACTOR
                if status == CORRECT:
                    status, reason = SEQUENCE, "first-listed diagnosis not first"
                else:
                    reason = f"{reason}; first-listed diagnosis not first"
            verdicts.append(_key_verdict(DIAGNOSIS, entry, g, status, credit, reason, expected_description))
        elif i in leftovers:
            g = given[leftovers[i]]
            verdicts.append(_wrong_verdict(DIAGNOSIS, entry, g, expected_description, book, keys))
        else:
            verdicts.append(_missing_verdict(DIAGNOSIS, entry, expected_description))

    used = {j for j, _ in paired.values()} | set(leftovers.values())
    for j, g in enumerate(given):
        if j not in used:
            verdicts.append(_extra_diagnosis(g, keys, book))
    return verdicts


def _grade_procedures(keys: tuple[KeyEntry, ...], lines: tuple[GivenLine, ...], book: _Book) -> list[LineVerdict]:
    key_codes = frozenset(code for entry in keys for code in entry.codes)
    given = [_check_procedure(line, key_codes, book) for line in lines]
    _mark_duplicates(given, lambda g: (g.code, frozenset(g.line.modifiers), g.line.units))
    paired = _pair(keys, given, _compare_procedure(book))
    leftovers = _pair_leftovers(keys, given, paired)

    verdicts = []
    for i, entry in enumerate(keys):
        expected_description = book.description(procedure_system(entry.code) or "cpt", entry.code)
        if i in paired:
            j, match = paired[i]
            verdicts.append(
                _key_verdict(
                    PROCEDURE, entry, given[j], match.status, match.credit, match.reason,
                    expected_description, modifiers=match.modifiers, units=match.units,
                )
            )
        elif i in leftovers:
            g = given[leftovers[i]]
            verdicts.append(_wrong_verdict(PROCEDURE, entry, g, expected_description, book, keys))
        else:
            verdicts.append(_missing_verdict(PROCEDURE, entry, expected_description))

    used = {j for j, _ in paired.values()} | set(leftovers.values())
    for j, g in enumerate(given):
        if j in used:
            continue
        if g.duplicate_of is not None:
            reason, penalty_kind, status = f"duplicate of line {g.duplicate_of}", "duplicate", EXTRA
        elif g.status == INVALID:
            reason, penalty_kind, status = g.reason, "invalid", INVALID
        else:
            reason = f"not documented in the vignette / not in the key: {g.label}"
            penalty_kind, status = "not_in_key", EXTRA
        verdicts.append(_extra_verdict(PROCEDURE, g, status, reason, EXTRA_PENALTY[penalty_kind]))
    return verdicts


def _pair_leftovers(keys, given: list[_Checked], paired, is_extra=None) -> dict[int, int]:
    """Unpaired required key entries, in order, with unpaired lines, in order: each such line is
    the student's (wrong) answer for that entry. Duplicates, and lines that ``is_extra`` says are
    extras whatever else is missing, stay out."""
    used = {j for j, _ in paired.values()}
    open_keys = [i for i, entry in enumerate(keys) if i not in paired and not entry.optional]
    open_lines = [
        j
        for j, g in enumerate(given)
        if j not in used and g.duplicate_of is None and not (is_extra and is_extra(g))
    ]
    return dict(zip(open_keys, open_lines))


def _key_verdict(kind, entry, g, status, credit, reason, expected_description, modifiers=None, units=None):
    credit = round(min(1.0, max(0.0, credit)), 4)
    return LineVerdict(
        kind=kind,
        position=entry.position,
        code=g.code,
        expected=entry.code,
        status=status,
        credit=credit,
        reason=reason,
        points=round(credit * LINE_POINTS, 4),
        max_points=LINE_POINTS,
        given_position=g.line.position,
        optional=entry.optional,
        description=g.description,
        expected_description=expected_description,
        rationale=entry.rationale,
        modifiers=modifiers,
        units=units,
    )


def _wrong_verdict(kind, entry, g: _Checked, expected_description, book, keys) -> LineVerdict:
    if g.status == INVALID:
        status, reason = INVALID, f"{g.reason}; expected {entry.code}"
    elif g.status == NOT_BILLABLE:
        status, reason = NOT_BILLABLE, f"{g.reason}; expected {entry.code}"
    else:
        status = WRONG
        reason = f"{g.label} given, {_with_description(entry.code, expected_description)} expected"
        if kind == DIAGNOSIS:
            why = _why_not_coded(g, keys, book)
            if why:
                reason = f"{reason}; {why[1]}"
    return _key_verdict(kind, entry, g, status, 0.0, reason, expected_description)


def _missing_verdict(kind, entry, expected_description) -> LineVerdict:
    if entry.optional:
        reason, max_points = f"optional {entry.code} not given (no penalty)", 0.0
    else:
        reason, max_points = f"missing {_with_description(entry.code, expected_description)}", LINE_POINTS
    return LineVerdict(
        kind=kind,
        position=entry.position,
        code=None,
        expected=entry.code,
        status=MISSING,
        credit=0.0,
        reason=reason,
        points=0.0,
        max_points=max_points,
        optional=entry.optional,
        expected_description=expected_description,
        rationale=entry.rationale,
    )


def _why_not_coded(g: _Checked, keys: Iterable[KeyEntry], book: _Book) -> tuple[str, str] | None:
    """Why a diagnosis outside the key should not be there: (penalty kind, reason), if a rule says."""
    key_codes = [entry.code for entry in keys]
    for code in key_codes:
        if code != g.code and book.excludes1_conflict(code, g.code):
            return "excludes1", (
                f"Excludes1 conflict with {code}: {g.code} and {code} are never coded together"
            )
    if g.code[:1] == "R":
        confirmed = [code for code in key_codes if code[:1] not in _NOT_DEFINITIVE]
        if confirmed:
            return "symptom", (
                f"{g.code} is a symptom code: signs and symptoms routinely associated with a confirmed "
                f"diagnosis are not coded separately (the key confirms {confirmed[0]})"
            )
    return None


def _extra_diagnosis(g: _Checked, keys, book: _Book) -> LineVerdict:
    if g.duplicate_of is not None:
        reason = f"duplicate of line {g.duplicate_of}"
        return _extra_verdict(DIAGNOSIS, g, EXTRA, reason, EXTRA_PENALTY["duplicate"])
    if g.status in (INVALID, NOT_BILLABLE):
        return _extra_verdict(DIAGNOSIS, g, g.status, g.reason, EXTRA_PENALTY[g.status])
    why = _why_not_coded(g, keys, book)
    if why:
        return _extra_verdict(DIAGNOSIS, g, EXTRA, why[1], EXTRA_PENALTY[why[0]])
    reason = f"not documented in the vignette / not in the key: {g.label}"
    return _extra_verdict(DIAGNOSIS, g, EXTRA, reason, EXTRA_PENALTY["not_in_key"])


def _extra_verdict(kind, g: _Checked, status, reason, penalty) -> LineVerdict:
    return LineVerdict(
        kind=kind,
        position=g.line.position,
        code=g.code,
        expected=None,
        status=status,
        credit=0.0,
        reason=reason,
        points=-penalty,
        max_points=0.0,
        given_position=g.line.position,
        description=g.description,
        penalty=penalty,
    )

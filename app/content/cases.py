"""Coding-case files: loading, validation and code checks.

Pure module: no Flask, no SQLAlchemy. One YAML file per case (``content/quizzes/cases/<slug>.yml``);
the format is described in ``docs/authoring.md``. Every problem is reported as a
:class:`~app.content.errors.ContentError` that names the file and the line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.codes.cpt_wording import label_problems
from app.codes.model import needs_phrase
from app.codes.shapes import is_cpt, is_icd10cm, is_modifier, is_procedure, procedure_system
from app.content.errors import ContentError
from app.content.reader import Node, Reader, check_slug, load_dir
from app.content.markdown import markdown_problem

SETTINGS = ("outpatient", "inpatient", "ed")
DOMAIN_TAGS = frozenset(
    [f"icd10cm:ch{n:02d}" for n in range(1, 23)]
    + [
        "cpt:em",
        "cpt:anesthesia",
        "cpt:integumentary",
        "cpt:musculoskeletal",
        "cpt:surgery-other",
        "cpt:radiology",
        "cpt:lab",
        "cpt:medicine",
        "hcpcs",
        "modifiers",
    ]
)
MAX_LABEL_WORDS = 6

TOP_KEYS = {
    "kind": True,
    "slug": True,
    "title": True,
    "setting": True,
    "code_year": True,
    "difficulty": True,
    "domains": True,
    "vignette": True,
    "answer_key": True,
}
KEY_SECTIONS = {"diagnoses": True, "procedures": False}
DX_KEYS = {"code", "rationale", "optional", "accept"}
PX_KEYS = {"code", "label", "modifiers", "units", "rationale", "optional", "accept"}


@dataclass(frozen=True)
class KeyLine:
    """One answer-key entry (a diagnosis or a procedure line)."""

    code: str
    rationale: str
    line: int
    optional: bool = False
    accept: tuple[str, ...] = ()
    #: line of each ``accept`` entry, same order as ``accept``
    accept_lines: tuple[int, ...] = ()
    # procedures only
    label: str = ""
    modifiers: tuple[str, ...] = ()
    modifier_lines: tuple[int, ...] = ()
    units: int = 1

    def to_key(self, procedure: bool) -> dict[str, Any]:
        """This line in the grader's ``key`` shape."""
        entry: dict[str, Any] = {"code": self.code}
        if procedure:
            entry["modifiers"] = list(self.modifiers)
            entry["units"] = self.units
            if self.label:
                entry["label"] = self.label
        if self.optional:
            entry["optional"] = True
        if self.accept:
            entry["accept"] = list(self.accept)
        entry["rationale"] = self.rationale
        return entry


@dataclass(frozen=True)
class Case:
    """A coding case as loaded from its file."""

    path: str
    kind: str
    slug: str
    title: str
    setting: str
    code_year: int
    difficulty: int
    domains: tuple[str, ...]
    vignette: str
    diagnoses: tuple[KeyLine, ...]
    procedures: tuple[KeyLine, ...] = ()
    #: line of each top-level field, for later messages (e.g. ``lines["code_year"]``)
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def answer_key(self) -> dict[str, list[dict[str, Any]]]:
        """The ``answer_key`` mapping in the shape ``app.grading.grade_case`` expects."""
        return {
            "diagnoses": [k.to_key(procedure=False) for k in self.diagnoses],
            "procedures": [k.to_key(procedure=True) for k in self.procedures],
        }


# --------------------------------------------------------------------------- loading


def _norm_icd(code: str) -> str:
    """Canonical ICD-10-CM spelling: upper case, dot after the third character."""
    code = code.strip().upper().replace(".", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _diagnosis(r: Reader, node: Node, n: int) -> KeyLine:
    what = f"diagnosis {n}"
    fields = r.mapping(node, what)
    r.check_keys(fields, DX_KEYS, what)
    if "code" not in fields:
        raise r.err(node, f"{what}: missing 'code'")
    cnode = fields["code"][1]
    code = r.string(cnode, f"{what}: code").strip().upper()
    if not is_icd10cm(code, dot_optional=True):  # existence is checked by check_case_codes
        raise r.err(cnode, f"{what}: '{code}' is not shaped like an ICD-10-CM code")
    code = _norm_icd(code)

    def alternative(anode: Node) -> str:
        alt = r.string(anode, f"{what}: accept entry").strip().upper()
        if not is_icd10cm(alt, dot_optional=True):
            raise r.err(anode, f"{what}: accept entry '{alt}' is not shaped like an ICD-10-CM code")
        return _norm_icd(alt)

    return KeyLine(code=code, line=cnode.line, **_key_tail(r, node, fields, f"{what} ({code})", what, alternative))


def _key_tail(r: Reader, node: Node, fields: dict, rwhat: str, what: str, alternative) -> dict[str, Any]:
    """The fields every key line ends with: its rationale (required), ``optional`` and the ``accept``
    alternatives (each read by ``alternative``), as KeyLine arguments."""
    if "rationale" not in fields:
        raise r.err(node, f"{rwhat}: missing 'rationale'")
    rationale = r.string(fields["rationale"][1], f"{rwhat}: rationale").strip()
    optional = r.boolean(fields["optional"][1], f"{what}: optional") if "optional" in fields else False
    accept, accept_lines = [], []
    if "accept" in fields:
        for anode in r.sequence(fields["accept"][1], f"{what}: accept"):
            accept.append(alternative(anode))
            accept_lines.append(anode.line)
    return {"rationale": rationale, "optional": optional, "accept": tuple(accept),
            "accept_lines": tuple(accept_lines)}


def _procedure_code(r: Reader, node: Node, what: str) -> str:
    code = r.string(node, what).strip().upper()
    if not is_procedure(code):
        raise r.err(node, f"{what}: '{code}' is not a CPT number (5 digits, or 4 digits and A, F, M, T or U) "
                          "or a HCPCS code (a letter and 4 digits)")
    return code


def _procedure(r: Reader, node: Node, n: int) -> KeyLine:
    what = f"procedure {n}"
    fields = r.mapping(node, what)
    r.check_keys(fields, PX_KEYS, what)
    if "code" not in fields:
        raise r.err(node, f"{what}: missing 'code'")
    cnode = fields["code"][1]
    code = _procedure_code(r, cnode, f"{what}: code")
    what = f"{what} ({code})"
    label = ""
    if "label" in fields:
        lnode = fields["label"][1]
        label = r.string(lnode, f"{what}: label").strip()
        words = len(label.split())
        if words > MAX_LABEL_WORDS:
            raise r.err(lnode, f"{what}: label has {words} words; at most {MAX_LABEL_WORDS} "
                               "(our own short wording, never a CPT descriptor)")
        if is_cpt(code):
            problems = label_problems(label)  # the CPT wording rule (app/codes/cpt_wording.py)
            if problems:
                raise r.err(lnode, f"{what}: label breaks the CPT wording rule: {'; '.join(problems)}")
    modifiers, modifier_lines = [], []
    if "modifiers" in fields:
        for mnode in r.sequence(fields["modifiers"][1], f"{what}: modifiers"):
            mod = r.string(mnode, f"{what}: modifier").strip().upper()
            if not is_modifier(mod):
                raise r.err(mnode, f"{what}: modifier '{mod}' must be 2 letters or digits")
            modifiers.append(mod)
            modifier_lines.append(mnode.line)
    units = 1
    if "units" in fields:
        unode = fields["units"][1]
        units = r.integer(unode, f"{what}: units")
        if units < 1:
            raise r.err(unode, f"{what}: units must be a positive integer")
    tail = _key_tail(r, node, fields, what, what, lambda anode: _procedure_code(r, anode, f"{what}: accept entry"))
    return KeyLine(code=code, line=cnode.line, label=label, modifiers=tuple(modifiers),
                   modifier_lines=tuple(modifier_lines), units=units, **tail)


def load_case(path: str | Path) -> Case:
    """Load and validate one case file; raise ContentError naming ``file:line`` on any problem."""
    path = Path(path)
    return _load(Reader(path), path)


def _load(r: Reader, path: Path) -> Case:
    root = r.root("a case file")
    fields = r.mapping(root, "case")
    r.check_keys(fields, TOP_KEYS, "case")
    for key, required in TOP_KEYS.items():
        if required and key not in fields:
            raise r.err(root, f"missing required field '{key}'")
    lines = {key: v.line for key, (_k, v) in fields.items()}

    def node(key: str) -> Node:
        return fields[key][1]

    kind = r.string(node("kind"), "kind").strip()
    if kind != "case":
        raise r.err(node("kind"), f"kind must be 'case', not '{kind}'")
    slug = check_slug(r, r.string(node("slug"), "slug").strip(), node("slug").line, path)
    title = r.string(node("title"), "title").strip()
    setting = r.string(node("setting"), "setting").strip()
    if setting not in SETTINGS:
        raise r.err(node("setting"), f"setting '{setting}' must be one of {', '.join(SETTINGS)}")
    code_year = r.integer(node("code_year"), "code_year")
    if not 2015 <= code_year <= 2100:
        raise r.err(node("code_year"), f"code_year {code_year} is not a plausible code-set year")
    difficulty = r.integer(node("difficulty"), "difficulty")
    if difficulty not in (1, 2, 3):
        raise r.err(node("difficulty"), "difficulty must be 1, 2 or 3")
    domains: list[str] = []
    dnodes = r.sequence(node("domains"), "domains")
    if not dnodes:
        raise r.err(node("domains"), "domains must list at least one tag")
    for dnode in dnodes:
        tag = r.string(dnode, "domain tag").strip()
        if tag not in DOMAIN_TAGS:
            raise r.err(dnode, f"unknown domain tag '{tag}'")
        if tag in domains:
            raise r.err(dnode, f"domain tag '{tag}' is listed twice")
        domains.append(tag)
    vignette = r.string(node("vignette"), "vignette")
    if shape := markdown_problem(vignette):  # past it, the vignette would show as plain text
        raise r.err(node("vignette"), f"vignette: {shape}")

    key_fields = r.mapping(node("answer_key"), "answer_key")
    r.check_keys(key_fields, KEY_SECTIONS, "answer_key")
    if "diagnoses" not in key_fields:
        raise r.err(node("answer_key"), "answer_key: missing 'diagnoses'")
    dx_nodes = r.sequence(key_fields["diagnoses"][1], "answer_key.diagnoses")
    if not dx_nodes:
        raise r.err(key_fields["diagnoses"][1], "answer_key.diagnoses must list at least one diagnosis")
    diagnoses = tuple(_diagnosis(r, n, i) for i, n in enumerate(dx_nodes, 1))
    procedures: tuple[KeyLine, ...] = ()
    if "procedures" in key_fields:
        pnode = key_fields["procedures"][1]
        # an empty "procedures:" (null) is allowed and means none
        if pnode.value is not None:
            px_nodes = r.sequence(pnode, "answer_key.procedures")
            procedures = tuple(_procedure(r, n, i) for i, n in enumerate(px_nodes, 1))

    _no_duplicates(r, diagnoses, "diagnosis")
    _no_duplicates(r, procedures, "procedure", key=lambda k: (k.code, k.modifiers))
    return Case(
        path=str(path),
        kind=kind,
        slug=slug,
        title=title,
        setting=setting,
        code_year=code_year,
        difficulty=difficulty,
        domains=tuple(domains),
        vignette=vignette,
        diagnoses=diagnoses,
        procedures=procedures,
        lines=lines,
    )


def _no_duplicates(r: Reader, lines: tuple[KeyLine, ...], what: str, key=lambda k: k.code) -> None:
    seen: set = set()
    for k in lines:
        if key(k) in seen:
            raise r.err(k.line, f"{what} {k.code} is listed twice in the answer key")
        seen.add(key(k))


def load_cases(directory: str | Path) -> list[Case]:
    """Load every ``*.yml`` / ``*.yaml`` case in ``directory`` (sorted by file name).

    Raises the first ContentError found; slugs must be unique (they are the file names).
    """
    return load_dir(directory, load_case, "case", lambda case: (case.slug, case.lines.get("slug")))


# --------------------------------------------------------------------------- code checks


def check_case_codes(case: Case, codes) -> list[ContentError]:
    """Check every code of the answer key against a code set (``app.codes.model.CodeSet``).

    The caller passes the code set for ``case.code_year``. Diagnoses (and their ``accept``
    alternatives) must be valid, billable ICD-10-CM codes; procedures known CPT or HCPCS codes;
    modifiers known modifiers. Returns one ContentError per problem (empty list when all is well).
    """
    errors: list[ContentError] = []

    def err(line: int | None, message: str) -> None:
        errors.append(ContentError(case.path, line, message))

    release = str(getattr(codes, "release", "") or "")
    years = {int(y) for y in re.findall(r"\b(20\d\d)\b", release)}
    # an ICD-10-CM fiscal year N runs October N-1 .. September N
    if years and not years & {case.code_year, case.code_year - 1}:
        err(case.lines.get("code_year"),
            f"code_year {case.code_year} does not match the code set release '{release}'")

    def check_icd(code: str, line: int) -> None:
        entry = codes.get("icd10cm", code)
        if entry is None:
            err(line, f"{code}: not a valid ICD-10-CM code")
        elif not entry.billable:
            detail = (codes.missing_detail("icd10cm", code) or "").strip()
            if not detail:
                err(line, f"{code}: not billable (a header, not a complete code)")
            else:
                err(line, f"{code}: not billable — {needs_phrase(detail, subject='')}")

    for k in case.diagnoses:
        check_icd(k.code, k.line)
        for alt, line in zip(k.accept, k.accept_lines):
            check_icd(alt, line)

    def check_px(code: str, line: int) -> None:
        system = procedure_system(code)
        if system is None:
            err(line, f"{code}: not a CPT or HCPCS code")
            return
        entry = codes.get(system, code)
        if entry is None:
            err(line, f"{code}: unknown {system.upper()} code")
        elif system == "hcpcs" and not getattr(entry, "billable", True):
            err(line, f"{code}: not a billable HCPCS code")

    for k in case.procedures:
        check_px(k.code, k.line)
        for alt, line in zip(k.accept, k.accept_lines):
            check_px(alt, line)
        for mod, line in zip(k.modifiers, k.modifier_lines):
            if codes.get("modifier", mod) is None:
                err(line, f"{mod}: unknown modifier")
    return errors

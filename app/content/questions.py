"""Practice-exam question bank: loading, validation and code checks.

Pure module: no Flask, no SQLAlchemy. Every problem is reported as a
:class:`~app.content.errors.ContentError` that names the file and the line.

File format
===========

One YAML file per domain in ``content/questions/``; the file name (without ``.yml``) is the
domain slug::

    domain: cpt-em            # required; lowercase slug, must equal the file name
    title: Evaluation and management      # required; shown to students
    exams: [cpc, cca, cbcs]   # required, non-empty; blueprints that may draw from this domain
                              # (known exam ids: cpc, cca, cbcs, cpb)
    questions:                # required, non-empty list
      - id: em-001            # required; lowercase slug, unique across the whole bank
        difficulty: 2         # required; 1 (recall), 2 (apply), 3 (analyse)
        stem: A new patient ... Which code ...?       # required; our own words, invented patients
        choices:              # required; exactly 4, each a mapping with exactly these keys:
          - text: "99203"     #   the option as shown (a string: quote code numbers)
            why: Why this option is right or wrong.   # a rationale for EVERY option
          - ...
        answer: 0             # required; zero-based index of the right choice (0..3)
        codes: ["99203", "99204", "icd10cm:E11.22", "modifier:25", {code: E11, header: true}]
                              # optional; every code the item names (stem, options, rationales)
        tags: [new-patient, mdm]              # optional; lowercase slugs

No other keys are allowed at either level. Choice texts must differ within a question.

``codes`` entries
-----------------
A string, or a mapping ``{code: ..., header: true}`` / ``{code: ..., invalid: true}``. A code
may carry a system prefix (``icd10cm:``, ``cpt:``, ``hcpcs:``, ``modifier:``, ``pos:``); without
one the system is inferred from the shape:

* ICD-10-CM: a letter, a digit, a letter or digit, then optionally a dot and 1-4 letters or
  digits (``E11``, ``E11.22``, ``S72.001A``). Written without a prefix, a code longer than three
  characters needs its dot (``E1122`` has the HCPCS shape: write ``E11.22`` or ``icd10cm:E1122``).
* CPT: five digits (``99213``, ``00840``) or four digits and a letter (``0001F``).
* HCPCS Level II: a letter and four digits (``J1885``).
* Modifiers (two characters) and places of service need their prefix: ``modifier:25``, ``pos:11``.

``invalid: true`` marks a string the item shows on purpose as a code that does not exist (e.g.
``S06.0A``, a missing placeholder X); the check then asserts that it really does not exist.

``header: true`` marks an ICD-10-CM category or subcategory that the item deliberately names as
a non-billable heading (e.g. a distractor that is "not specific enough"); without it every
ICD-10-CM code must be billable. The flag is allowed on ICD-10-CM codes only.

Every code-shaped token written in a stem, an option or a rationale (a five-digit number, a
HCPCS code, an ICD-10-CM code written with its dot) must be listed in ``codes``, so that
:func:`check_question_codes` (for ``flask content check``) sees every code the item names.

CPT is the AMA's: items name CPT code *numbers* only, never AMA descriptors or close rewordings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from app.codes import shapes
from app.content.errors import ContentError
from app.content.reader import SLUG_RE, Node, Reader, load_dir
from app.content.yamlmarks import LineDict

EXAMS = ("cpc", "cca", "cbcs", "cpb")
N_CHOICES = 4
DIFFICULTIES = (1, 2, 3)
SYSTEM_PREFIXES = ("icd10cm", "cpt", "hcpcs", "modifier", "pos")

#: shapes accepted after an explicit prefix (without one, ``shapes.system_of`` names the system)
PREFIXED_SHAPE = {
    "icd10cm": lambda code: shapes.is_icd10cm(code, dot_optional=True),
    "cpt": shapes.is_cpt,
    "hcpcs": shapes.is_hcpcs,
    "modifier": shapes.is_modifier,
    "pos": shapes.is_pos,
}
#: code-shaped tokens in free text that must be listed in ``codes``
TEXT_CODE_RE = re.compile(
    rf"(?<![\w.$/-])({shapes.CPT_PATTERN}|{shapes.HCPCS_PATTERN}|{shapes.ICD10CM_DOTTED_PATTERN})(?![\w])"
)

TOP_KEYS = ("domain", "title", "exams", "questions")
#: optional top-level fields: ``code_year`` is the ICD-10-CM fiscal year the file's items are
#: written for (FY N applies from 1 October N-1); ``flask content check`` fails when a dated file
#: names a code that year deleted (app/content/fy_codes.py)
OPTIONAL_TOP_KEYS = ("code_year",)
QUESTION_KEYS = ("id", "difficulty", "stem", "choices", "answer", "codes", "tags")
REQUIRED_QUESTION_KEYS = ("id", "difficulty", "stem", "choices", "answer")
CHOICE_KEYS = ("text", "why")
CODE_KEYS = ("code", "header", "invalid")


@dataclass(frozen=True)
class Choice:
    """One option of a question, with the rationale for it."""

    text: str
    why: str
    line: int


@dataclass(frozen=True)
class CodeRef:
    """A code an item names, with its inferred system."""

    system: str
    code: str
    line: int
    header: bool = False
    #: the item shows this string as a deliberately invalid code (e.g. a missing placeholder X)
    invalid: bool = False

    @property
    def ref(self) -> str:
        return f"{self.system}:{self.code}"


@dataclass(frozen=True)
class Question:
    """A multiple-choice item as loaded from its file."""

    id: str
    domain: str
    difficulty: int
    stem: str
    choices: tuple[Choice, ...]
    answer: int
    codes: tuple[CodeRef, ...]
    tags: tuple[str, ...]
    path: str
    line: int
    #: line of each field of the item (e.g. ``lines["answer"]``)
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def correct(self) -> Choice:
        return self.choices[self.answer]

    @property
    def rationale(self) -> str:
        """The rationale of the right option."""
        return self.choices[self.answer].why


@dataclass(frozen=True)
class QuestionFile:
    """One domain file of the bank."""

    path: str
    domain: str
    title: str
    exams: tuple[str, ...]
    questions: tuple[Question, ...]
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    code_year: int | None = None


@dataclass(frozen=True)
class QuestionBank:
    """Every domain file of the bank, ids unique across files."""

    files: tuple[QuestionFile, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for f in self.files for q in f.questions)

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(f.domain for f in self.files)

    def domain(self, slug: str) -> QuestionFile | None:
        return next((f for f in self.files if f.domain == slug), None)

    def get(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def for_exam(self, exam: str) -> tuple[Question, ...]:
        """Items a blueprint for ``exam`` may draw from."""
        return tuple(q for f in self.files if exam in f.exams for q in f.questions)

    def __len__(self) -> int:
        return sum(len(f.questions) for f in self.files)


# --------------------------------------------------------------------------- codes


def parse_code(raw: str) -> tuple[str, str] | None:
    """``(system, canonical code)`` for a ``codes`` entry, or None if its shape is unknown.

    ``"99213"`` -> ``("cpt", "99213")``, ``"e11.22"`` -> ``("icd10cm", "E11.22")``,
    ``"J1885"`` -> ``("hcpcs", "J1885")``, ``"modifier:25"`` -> ``("modifier", "25")``,
    ``"icd10cm:E1122"`` -> ``("icd10cm", "E11.22")``.
    """
    s = raw.strip()
    system = None
    if ":" in s:
        prefix, _, s = s.partition(":")
        system = prefix.strip().lower()
        if system not in SYSTEM_PREFIXES:
            return None
    s = s.strip().upper()
    if system is not None:
        if system == "modifier":
            s = s.lstrip("-")
        if not PREFIXED_SHAPE[system](s):
            return None
    else:
        system = shapes.system_of(s)
        if system is None:
            return None
    if system == "icd10cm":
        key = s.replace(".", "")
        s = key if len(key) <= 3 else f"{key[:3]}.{key[3:]}"
    return system, s


def _required(r: Reader, fields: dict, keys, node: Node, what: str) -> None:
    for key in keys:
        if key not in fields:
            raise r.err(node, f"{what}: missing required field '{key}'")


def _slug_list(r: Reader, node: Node, what: str) -> tuple[str, ...]:
    out: list[str] = []
    for n in r.sequence(node, what):
        tag = r.string(n, f"{what} entry").strip()
        if not SLUG_RE.match(tag):
            raise r.err(n, f"{what}: '{tag}' must be lowercase letters, digits and single hyphens")
        if tag in out:
            raise r.err(n, f"{what}: '{tag}' is listed twice")
        out.append(tag)
    return tuple(out)


def _code_ref(r: Reader, node: Node, what: str) -> CodeRef:
    header = invalid = False
    cnode = node
    if isinstance(node.value, LineDict):
        fields = r.mapping(node, what)
        r.check_keys(fields, CODE_KEYS, what)
        if "code" not in fields:
            raise r.err(node, f"{what}: missing 'code'")
        cnode = fields["code"][1]
        if "header" in fields:
            header = r.boolean(fields["header"][1], f"{what}: header")
        if "invalid" in fields:
            invalid = r.boolean(fields["invalid"][1], f"{what}: invalid")
        if header and invalid:
            raise r.err(node, f"{what}: a code cannot be both 'header' and 'invalid'")
    raw = r.string(cnode, what).strip()
    parsed = parse_code(raw)
    if parsed is None:
        raise r.err(cnode, f"{what}: '{raw}' is not shaped like a code (ICD-10-CM with its dot, "
                           "5-digit CPT, HCPCS letter + 4 digits, or prefixed: modifier:25, pos:11)")
    system, code = parsed
    if header and system != "icd10cm":
        raise r.err(cnode, f"{what}: 'header: true' applies to ICD-10-CM codes only, not {system} {code}")
    return CodeRef(system=system, code=code, line=cnode.line, header=header, invalid=invalid)


def _text_codes(text: str) -> list[str]:
    return TEXT_CODE_RE.findall(text)


def _question(r: Reader, node: Node, n: int, domain: str) -> Question:
    what = f"question {n}"
    fields = r.mapping(node, what)
    if "id" in fields and not isinstance(fields["id"][1].value, (dict, list)):
        what = f"question {_scalar_text(fields['id'][1].value)}"
    r.check_keys(fields, QUESTION_KEYS, what)
    _required(r, fields, REQUIRED_QUESTION_KEYS, node, what)
    lines = {key: v.line for key, (_k, v) in fields.items()}

    def fnode(key: str) -> Node:
        return fields[key][1]

    qid = r.string(fnode("id"), f"{what}: id").strip()
    if not SLUG_RE.match(qid):
        raise r.err(fnode("id"), f"{what}: id '{qid}' must be lowercase letters, digits and single hyphens")
    difficulty = r.integer(fnode("difficulty"), f"{what}: difficulty")
    if difficulty not in DIFFICULTIES:
        raise r.err(fnode("difficulty"), f"{what}: difficulty must be 1, 2 or 3, not {difficulty}")
    stem = r.string(fnode("stem"), f"{what}: stem").strip()

    cnodes = r.sequence(fnode("choices"), f"{what}: choices")
    if len(cnodes) != N_CHOICES:
        raise r.err(fields["choices"][0], f"{what}: needs exactly {N_CHOICES} choices, found {len(cnodes)}")
    choices: list[Choice] = []
    for i, cnode in enumerate(cnodes):
        cwhat = f"{what}: choice {i}"
        cfields = r.mapping(cnode, cwhat)
        r.check_keys(cfields, CHOICE_KEYS, cwhat)
        _required(r, cfields, CHOICE_KEYS, cnode, cwhat)
        text = r.string(cfields["text"][1], f"{cwhat}: text").strip()
        why = r.string(cfields["why"][1], f"{cwhat}: why").strip()
        if any(c.text.casefold() == text.casefold() for c in choices):
            raise r.err(cfields["text"][1], f"{cwhat}: text '{text}' repeats an earlier choice")
        choices.append(Choice(text=text, why=why, line=cnode.line))

    answer = r.integer(fnode("answer"), f"{what}: answer")
    if not 0 <= answer < N_CHOICES:
        raise r.err(fnode("answer"),
                    f"{what}: answer must be a choice index 0..{N_CHOICES - 1}, not {answer}")

    codes: list[CodeRef] = []
    if "codes" in fields:
        for cn in r.sequence(fnode("codes"), f"{what}: codes"):
            ref = _code_ref(r, cn, f"{what}: codes entry")
            if any(c.system == ref.system and c.code == ref.code for c in codes):
                raise r.err(cn, f"{what}: code {ref.code} is listed twice")
            codes.append(ref)
    tags = _slug_list(r, fnode("tags"), f"{what}: tags") if "tags" in fields else ()

    # every code-shaped token the item writes must be listed, so the code check sees it
    listed = {c.code.replace(".", "") for c in codes}
    texts: list[tuple[str, int]] = [(stem, lines["stem"])]
    texts += [(c.text, c.line) for c in choices] + [(c.why, c.line) for c in choices]
    for text, line in texts:
        for token in _text_codes(text):
            if token.replace(".", "") not in listed:
                raise r.err(line, f"{what}: names {token} but 'codes' does not list it")

    return Question(
        id=qid,
        domain=domain,
        difficulty=difficulty,
        stem=stem,
        choices=tuple(choices),
        answer=answer,
        codes=tuple(codes),
        tags=tags,
        path=r.path,
        line=node.line,
        lines=lines,
    )


def load_question_file(path: str | Path) -> QuestionFile:
    """Load and validate one domain file; raise ContentError naming ``file:line`` on any problem."""
    path = Path(path)
    return _load(Reader(path), path)


def _scalar_text(value) -> str:
    """A scalar as the file wrote it (true, null, 2027), for messages and year fields."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _load(r: Reader, path: Path) -> QuestionFile:
    root = r.root("a question file")
    fields = r.mapping(root, "question file")
    r.check_keys(fields, TOP_KEYS + OPTIONAL_TOP_KEYS, "question file")
    code_year = None
    if "code_year" in fields:
        cy_node = fields["code_year"][1]
        raw = None if isinstance(cy_node.value, (dict, list)) else _scalar_text(cy_node.value)
        if not (isinstance(raw, str) and raw.isdigit() and 2016 <= int(raw) <= 2100):
            raise r.err(cy_node, "code_year must be an ICD-10-CM fiscal year such as 2027")
        code_year = int(raw)
    for key in TOP_KEYS:
        if key not in fields:
            raise r.err(root, f"missing required field '{key}'")
    lines = {key: v.line for key, (_k, v) in fields.items()}

    def node(key: str) -> Node:
        return fields[key][1]

    domain = r.string(node("domain"), "domain").strip()
    if not SLUG_RE.match(domain):
        raise r.err(node("domain"), f"domain '{domain}' must be lowercase letters, digits and single hyphens")
    if domain != path.stem:
        raise r.err(node("domain"), f"domain '{domain}' must equal the file name '{path.stem}'")
    title = r.string(node("title"), "title").strip()
    enodes = r.sequence(node("exams"), "exams")
    if not enodes:
        raise r.err(node("exams"), "exams must list at least one exam id")
    exams: list[str] = []
    for en in enodes:
        exam = r.string(en, "exam id").strip()
        if exam not in EXAMS:
            raise r.err(en, f"unknown exam id '{exam}' (known: {', '.join(EXAMS)})")
        if exam in exams:
            raise r.err(en, f"exam id '{exam}' is listed twice")
        exams.append(exam)
    qnodes = r.sequence(node("questions"), "questions")
    if not qnodes:
        raise r.err(node("questions"), "questions must list at least one question")
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for i, qn in enumerate(qnodes, 1):
        q = _question(r, qn, i, domain)
        if q.id in seen:
            raise r.err(q.lines["id"], f"question id '{q.id}' is also used at line {seen[q.id]}")
        seen[q.id] = q.lines["id"]
        questions.append(q)
    return QuestionFile(
        path=str(path),
        domain=domain,
        title=title,
        exams=tuple(exams),
        questions=tuple(questions),
        lines=lines,
        code_year=code_year,
    )


def load_question_bank(directory: str | Path) -> QuestionBank:
    """Load every ``*.yml`` / ``*.yaml`` file in ``directory`` (sorted by file name).

    Raises the first ContentError found; question ids must be unique across files.
    """
    files = load_dir(directory, load_question_file, "question", lambda qf: (qf.domain, qf.lines.get("domain")),
                     clash="domain '{slug}' is also {other}")
    seen: dict[str, str] = {}
    for qf in files:
        for q in qf.questions:
            if q.id in seen:
                raise ContentError(qf.path, q.lines["id"], f"question id '{q.id}' is also used in {seen[q.id]}")
            seen[q.id] = f"{qf.path}:{q.lines['id']}"
    return QuestionBank(files=tuple(files))


# --------------------------------------------------------------------------- code checks


def check_question_codes(bank: QuestionBank | QuestionFile, codes) -> list[ContentError]:
    """Check every code the bank's items list against a code set (``app.codes.model.CodeSet``).

    Each code must exist in its system; ICD-10-CM codes must be billable unless the entry says
    ``header: true`` (and then must really be a heading); HCPCS codes must be billable.
    Returns one ContentError per problem (empty list when all is well).
    """
    files = bank.files if isinstance(bank, QuestionBank) else (bank,)
    errors: list[ContentError] = []
    for qf in files:
        for q in qf.questions:
            for ref in q.codes:
                message = _check_ref(ref, codes)
                if message:
                    errors.append(ContentError(q.path, ref.line, f"question {q.id}: {message}"))
    return errors


def _check_ref(ref: CodeRef, codes) -> str | None:
    names = {"icd10cm": "ICD-10-CM", "cpt": "CPT", "hcpcs": "HCPCS", "modifier": "modifier",
             "pos": "place-of-service"}
    entry = codes.get(ref.system, ref.code)
    if ref.invalid:
        if entry is not None:
            return f"{ref.code}: is a real {names[ref.system]} code (drop 'invalid: true')"
        return None
    if entry is None:
        return f"{ref.code}: not a known {names[ref.system]} code"
    billable = getattr(entry, "billable", True)
    if ref.system == "icd10cm":
        if ref.header:
            if billable:
                return f"{ref.code}: is a billable code, not a header (drop 'header: true')"
            return None
        if not billable:
            detail = ""
            try:
                detail = (codes.missing_detail("icd10cm", ref.code) or "").strip()
            except Exception:  # a minimal code set without missing_detail
                detail = ""
            hint = f" — {detail}" if detail else ""
            return (f"{ref.code}: not billable (a header){hint}; "
                    "mark it {code: ..., header: true} if the item names the header on purpose")
        return None
    if ref.system == "hcpcs" and not billable:
        return f"{ref.code}: not a billable HCPCS code"
    return None

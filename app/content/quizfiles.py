"""Quiz files: the YAML quiz format, Moodle GIFT and Aiken import, and answer-key code checks.

Pure module: no Flask, no SQLAlchemy. A quiz is plain data (``QuizData``); every problem in a file
is a :class:`~app.content.errors.ContentError` naming the file and the line, and a file with any
problem raises :class:`QuizFileErrors` carrying all of them (so nothing is half imported).

A question is a dict in canonical form (the same shape is stored in the database, exported to YAML
and graded)::

    {"type": "single" | "multiple" | "truefalse" | "short" | "code",
     "prompt": "Markdown", "points": 1, "feedback": "Markdown shown after submitting",
     "choices": [{"text": "...", "correct": True, "feedback": "..."}],   # single, multiple
     "answer": True,                                                      # truefalse
     "answers": ["accepted text", ...],                                   # short
     "key": {"diagnoses": [{"code": "E11.22"}], "procedures": [...]}}    # code (grade_case's key)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.content.errors import ContentError
from app.content.limits import (
    CONTROL_CHARS,
    MAX_ANSWERS,
    MAX_CHOICES,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_LINES,
    MAX_KEY_CODES,
    MAX_POINTS,
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    count,
    size_text,
    too_long,
)
from app.content.yamlmarks import LineDict, load_yaml
from app.codes.model import needs_phrase
from app.codes.shapes import is_icd10cm, is_procedure, procedure_system
from app.grading.parse import normalize_icd10cm, normalize_modifier, normalize_procedure

QUESTION_TYPES = {
    "single": "Single choice",
    "multiple": "Multiple response",
    "truefalse": "True / false",
    "short": "Short answer",
    "code": "Short code entry",
    "case": "Full coding case",
    "scenario": "Claim scenario (cause and action)",
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TOP_KEYS = {"kind", "slug", "title", "instructions", "questions"}
QUESTION_KEYS = {
    "single": {"type", "prompt", "points", "feedback", "choices"},
    "multiple": {"type", "prompt", "points", "feedback", "choices"},
    "truefalse": {"type", "prompt", "points", "feedback", "answer"},
    "short": {"type", "prompt", "points", "feedback", "answers"},
    "code": {"type", "prompt", "points", "feedback", "key"},
    "case": {"type", "prompt", "points", "feedback", "case"},
    "scenario": {"type", "prompt", "points", "feedback", "scenario"},
}
CHOICE_KEYS = {"text", "correct", "feedback"}
KEY_ENTRY_KEYS = {"diagnoses": {"code", "accept", "optional"},
                  "procedures": {"code", "accept", "optional", "modifiers", "units"}}


class QuizFileErrors(Exception):
    """Every problem found in one quiz file (at least one)."""

    #: problems listed at most (a file of 20,000 bad lines is not 20,000 messages)
    SHOWN = 50

    def __init__(self, errors: list[ContentError]) -> None:
        errors = list(errors)
        if len(errors) > self.SHOWN:
            rest = len(errors) - self.SHOWN
            errors = [*errors[:self.SHOWN], ContentError(errors[0].path, None, f"… and {rest} more problem(s)")]
        self.errors = errors
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class QuizData:
    title: str
    instructions: str = ""
    questions: tuple = ()
    slug: str = ""
    #: line of each question in its file (for code-check errors); empty for web-made quizzes
    question_lines: tuple = field(default=(), compare=False)


# --- questions: validation shared by files and web forms ------------------------------------

def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80].strip("-") or "quiz"


def tidy_points(value) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else round(number, 2)


def question_problems(q: dict) -> dict[str, str]:
    """Structural problems of a canonical question: field name -> message (codes are checked apart)."""
    problems: dict[str, str] = {}
    kind = q.get("type")
    if kind not in QUESTION_TYPES:
        return {"type": f"unknown question type '{kind}' (use one of: {', '.join(QUESTION_TYPES)})"}
    if not str(q.get("prompt") or "").strip() and kind not in ("case", "scenario"):  # their own text is the prompt
        problems["prompt"] = "Write the question's text."
    for name in ("prompt", "feedback"):
        message = too_long(name, len(str(q.get(name) or "")))
        if message:
            problems[name] = message
    points = q.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= MAX_POINTS:
        problems["points"] = f"Points must be a number above 0 and at most {MAX_POINTS}."
    if kind in ("single", "multiple"):
        choices = q.get("choices") or []
        correct = sum(1 for c in choices if c.get("correct"))
        texts = [c.get("text", "").strip() for c in choices]
        if len(choices) < 2:
            problems["choices"] = "Give at least two choices."
        elif len(choices) > MAX_CHOICES:
            problems["choices"] = f"At most {MAX_CHOICES} choices."
        elif any(not t for t in texts):
            problems["choices"] = "Every choice needs its text."
        elif _first_too_long("choice", texts):
            problems["choices"] = _first_too_long("choice", texts)
        elif _first_too_long("choice_feedback", [c.get("feedback") for c in choices]):
            problems["choices"] = _first_too_long("choice_feedback", [c.get("feedback") for c in choices])
        elif len(set(texts)) != len(texts):
            problems["choices"] = "Two choices have the same text."
        elif kind == "single" and correct != 1:
            problems["choices"] = f"Mark exactly one choice as correct (now {correct})."
        elif kind == "multiple" and correct < 1:
            problems["choices"] = "Mark at least one choice as correct."
    elif kind == "truefalse":
        if not isinstance(q.get("answer"), bool):
            problems["answer"] = "Say whether the statement is true or false."
    elif kind == "short":
        answers = q.get("answers") or []
        if not answers or any(not str(a).strip() for a in answers):
            problems["answers"] = "Give at least one accepted answer."
        elif len(answers) > MAX_ANSWERS:
            problems["answers"] = f"{len(answers)} accepted answers, over the {MAX_ANSWERS}-answer limit."
        elif _first_too_long("answer", answers):
            problems["answers"] = _first_too_long("answer", answers)
    elif kind == "code":
        key = q.get("key") or {}
        if not key.get("diagnoses") and not key.get("procedures"):
            problems["key"] = "Give at least one code in the answer key."
        for section in ("diagnoses", "procedures"):
            codes = sum(1 + len(e.get("accept", [])) for e in key.get(section) or [])
            if codes > MAX_KEY_CODES:
                problems[section] = f"{codes} {section} codes in the key, over the {MAX_KEY_CODES}-code limit."
    elif kind == "case":
        if not isinstance(q.get("case"), str) or not SLUG_RE.match(q["case"]):
            problems["case"] = "Choose the coding case (its slug)."
    elif kind == "scenario":
        if not isinstance(q.get("scenario"), str) or not SLUG_RE.match(q["scenario"]):
            problems["scenario"] = "Choose the claim scenario (its slug)."
    return problems


def _first_too_long(field: str, values) -> str | None:
    return next((m for m in (too_long(field, len(str(v or ""))) for v in values) if m), None)


def quiz_problems(title, instructions) -> dict[str, str]:
    """Problems of a quiz's own fields (title, instructions): field name -> message."""
    problems: dict[str, str] = {}
    for name, value in (("title", title), ("instructions", instructions)):
        message = too_long(name, len(str(value or "")))
        if message:
            problems[name] = message
    if CONTROL_CHARS.search(str(title or "")):
        problems["title"] = "The title has a control character (such as NUL) in it."
    return problems


# --- whole files: size, lines and encoding, checked before any parsing --------------------------

def check_quiz_text(text: str, path: str) -> None:
    """Refuse a quiz file over the size or line limit, or holding control characters (NUL ...),
    before it is parsed (QuizFileErrors naming the limit or the line)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_IMPORT_BYTES:
        raise QuizFileErrors([ContentError(path, None, f"the file is {size_text(size)}, over the "
                                                       f"{size_text(MAX_IMPORT_BYTES)} limit; nothing was read")])
    lines = text.count("\n") + 1
    if lines > MAX_IMPORT_LINES:
        raise QuizFileErrors([ContentError(path, None, f"the file has {count(lines)} lines, over the "
                                                       f"{count(MAX_IMPORT_LINES)}-line limit; nothing was read")])
    bad = CONTROL_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise QuizFileErrors([ContentError(path, line, f"control character U+{ord(bad.group()):04X} in the text "
                                                       "(is this a text file?)")])
    surrogate = re.search("[\ud800-\udfff]", text)
    if surrogate:
        raise QuizFileErrors([ContentError(path, text.count("\n", 0, surrogate.start()) + 1,
                                           "the text is not valid Unicode")])


def decode_quiz_bytes(data: bytes, path: str) -> str:
    """A quiz file's bytes as text: UTF-8 (a BOM is allowed), at most ``MAX_IMPORT_BYTES``.
    Anything else is refused with what it is and where (QuizFileErrors)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise QuizFileErrors([ContentError(path, None, f"the file is over the {size_text(MAX_IMPORT_BYTES)} limit; "
                                                       "nothing was read")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise QuizFileErrors([ContentError(path, 1, "the file is UTF-16 text: save it as UTF-8")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise QuizFileErrors([ContentError(path, line, f"the file is not UTF-8 text (byte 0x{data[exc.start]:02X}); "
                                                       "save it as UTF-8")]) from None
    check_quiz_text(text, path)
    return text


def title_from_path(path: str) -> str:
    """A GIFT or Aiken quiz's default title: its file name, without control characters."""
    stem = CONTROL_CHARS.sub("", Path(path).stem)
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or "Imported quiz"


# --- answer keys: one line per entry, as the web form shows them ------------------------------

_UNITS_RE = re.compile(r"^[x×](\d{1,3})$", re.IGNORECASE)


def parse_key_lines(text: str, kind: str) -> tuple[list[dict], list[str]]:
    """Key entries from lines like ``E11.22``, ``E11.22 or E11.29``, ``Z79.4 optional``,
    ``99214-25 x1`` (modifiers after hyphens, units after x). Returns (entries, problems)."""
    entries, problems = [], []
    for n, raw in enumerate((text or "").splitlines(), 1):
        tokens = raw.replace(",", " ").split()
        if not tokens:
            continue
        entry = _key_code(tokens[0], kind)
        i = 1
        while i < len(tokens):
            token = tokens[i]
            units = _UNITS_RE.match(token)
            if token.lower() == "or" and i + 1 < len(tokens):
                entry.setdefault("accept", []).append(_key_code(tokens[i + 1], kind)["code"])
                i += 2
                continue
            if token.lower() == "optional":
                entry["optional"] = True
            elif units and kind == "procedures":
                if int(units.group(1)) != 1:
                    entry["units"] = int(units.group(1))
            else:
                problems.append(f"line {n}: '{token}' is not understood (write CODE, 'or CODE', "
                                f"'optional'{', -MOD, xUNITS' if kind == 'procedures' else ''}).")
            i += 1
        entries.append(entry)
    return entries, problems


def _key_code(token: str, kind: str) -> dict:
    if kind == "diagnoses":
        return {"code": normalize_icd10cm(token)}
    code, *mods = token.split("-")
    entry: dict = {"code": normalize_procedure(code)}
    mods = [normalize_modifier(m) for m in mods if m]
    if mods:
        entry["modifiers"] = mods
    return entry


def format_key_lines(entries: list[dict], kind: str) -> str:
    """The inverse of :func:`parse_key_lines`."""
    lines = []
    for e in entries or []:
        text = e["code"] + "".join(f"-{m}" for m in e.get("modifiers", []))
        if e.get("units", 1) != 1:
            text += f" x{e['units']}"
        for alt in e.get("accept", []):
            text += f" or {alt}"
        if e.get("optional"):
            text += " optional"
        lines.append(text)
    return "\n".join(lines)


def key_code_problems(key: dict, codes) -> dict[str, list[str]]:
    """Check a code question's key against a code set: {'diagnoses'|'procedures': [messages]}.

    Diagnoses must be valid, billable ICD-10-CM codes (a header names what it lacks, e.g. a 7th
    character); procedures known CPT or HCPCS codes; modifiers known modifiers.
    """
    found: dict[str, list[str]] = {}

    def icd(code: str) -> None:
        if not is_icd10cm(code, dot_optional=True):
            found.setdefault("diagnoses", []).append(f"{code}: not an ICD-10-CM code.")
            return
        entry = codes.get("icd10cm", code)
        if entry is None:
            found.setdefault("diagnoses", []).append(f"{code}: not a valid ICD-10-CM code.")
        elif not entry.billable:
            detail = (codes.missing_detail("icd10cm", code) or "").strip()
            if not detail:
                message = f"{code}: not billable (a header, not a complete code)."
            else:
                message = f"{code}: not billable — {needs_phrase(detail, subject='')}."
            found.setdefault("diagnoses", []).append(message)

    def px(code: str) -> None:
        if not is_procedure(code):
            found.setdefault("procedures", []).append(f"{code}: not a CPT or HCPCS code.")
            return
        system = procedure_system(code)
        entry = codes.get(system, code)
        if entry is None:
            found.setdefault("procedures", []).append(f"{code}: unknown {system.upper()} code.")
        elif system == "hcpcs" and not getattr(entry, "billable", True):
            found.setdefault("procedures", []).append(f"{code}: not a billable HCPCS code.")

    for e in (key or {}).get("diagnoses", []):
        for code in [e["code"], *e.get("accept", [])]:
            icd(code)
    for e in (key or {}).get("procedures", []):
        for code in [e["code"], *e.get("accept", [])]:
            px(code)
        for mod in e.get("modifiers", []):
            if codes.get("modifier", mod) is None:
                found.setdefault("procedures", []).append(f"{mod}: unknown modifier.")
    return found


def quiz_code_errors(quiz: QuizData, codes, path: str = "<quiz>", case_slugs=None,
                     scenario_slugs=None) -> list[ContentError]:
    """Every code problem of every code question (and, given ``case_slugs``, every unknown case),
    located at its question's line."""
    errors = []
    for i, q in enumerate(quiz.questions):
        line = quiz.question_lines[i] if i < len(quiz.question_lines) else None
        if q["type"] == "case" and case_slugs is not None and q["case"] not in case_slugs:
            errors.append(ContentError(path, line, f"question {i + 1}: no coding case '{q['case']}'"))
        if q["type"] == "scenario" and scenario_slugs is not None and q["scenario"] not in scenario_slugs:
            errors.append(ContentError(path, line, f"question {i + 1}: no claim scenario '{q['scenario']}'"))
        if q["type"] != "code":
            continue
        for messages in key_code_problems(q["key"], codes).values():
            errors.extend(ContentError(path, line, f"question {i + 1}: {m}") for m in messages)
    return errors


# --- YAML -------------------------------------------------------------------------------------

def load_quiz_yaml(text: str, path: str = "<quiz>") -> QuizData:
    """Parse and validate one YAML quiz; raises QuizFileErrors listing every problem with its line."""
    check_quiz_text(text, path)
    try:
        data = load_yaml(text, path)
    except ContentError as exc:
        raise QuizFileErrors([exc]) from None
    errors: list[ContentError] = []

    def err(line, message):
        errors.append(ContentError(path, line, message))

    if not isinstance(data, LineDict):
        raise QuizFileErrors([ContentError(path, 1, "a quiz file is a mapping (kind, slug, title, questions)")])
    bad = _control_char_line(data, data.line)
    if bad is not None:  # written as a YAML escape ("\0", "\x1b"): the raw text had none
        raise QuizFileErrors([ContentError(path, bad, "a control character (such as NUL) in a value")])
    for key in data:
        if key not in TOP_KEYS:
            err(data.line_of(key), f"unknown field '{key}' (allowed: {', '.join(sorted(TOP_KEYS))})")
    if data.get("kind") != "quiz":
        err(data.line_of("kind"), "kind must be 'quiz'")
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        err(data.line_of("slug"), "slug must be lowercase letters, digits and hyphens")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        err(data.line_of("title"), "title is required text")
        title = ""
    instructions = data.get("instructions", "")
    if instructions is None:
        instructions = ""
    if not isinstance(instructions, str):
        err(data.line_of("instructions"), "instructions must be text (Markdown)")
        instructions = ""
    instructions = instructions.strip("\n")
    for name, message in quiz_problems(title.strip(), instructions).items():
        err(data.line_of(name), message)
    raw_questions = data.get("questions")
    questions, lines = [], []
    if not isinstance(raw_questions, list) or not raw_questions:
        err(data.line_of("questions"), "questions must be a non-empty list")
        raw_questions = []
    elif len(raw_questions) > MAX_QUESTIONS:
        err(data.line_of("questions"), f"{len(raw_questions)} questions, over the {MAX_QUESTIONS}-question limit")
        raise QuizFileErrors(errors)
    for n, raw in enumerate(raw_questions, 1):
        line = raw.line if isinstance(raw, LineDict) else data.line_of("questions")
        q = _question_from_yaml(raw, n, line, err)
        if q is not None:
            questions.append(q)
            lines.append(line)
    if errors:
        raise QuizFileErrors(errors)
    return QuizData(title=title.strip(), instructions=instructions, questions=tuple(questions),
                    slug=slug, question_lines=tuple(lines))


def _control_char_line(node, line: int) -> int | None:
    """The line of the first string (key or value) holding a control character, or None."""
    if isinstance(node, str):
        return line if CONTROL_CHARS.search(node) else None
    if isinstance(node, LineDict):
        for key, value in node.items():
            found = _control_char_line(key, node.line_of(key)) or _control_char_line(value, node.line_of(key))
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _control_char_line(value, line)
            if found is not None:
                return found
    return None


def _question_from_yaml(raw, n, line, err) -> dict | None:
    if not isinstance(raw, LineDict):
        err(line, f"question {n}: must be a mapping with type, prompt, ...")
        return None
    kind = raw.get("type")
    if kind not in QUESTION_TYPES:
        err(raw.line_of("type"), f"question {n}: type must be one of {', '.join(QUESTION_TYPES)}")
        return None
    bad = False
    for key in raw:
        if key not in QUESTION_KEYS[kind]:
            err(raw.line_of(key), f"question {n}: unknown field '{key}' for a {kind} question "
                                  f"(allowed: {', '.join(sorted(QUESTION_KEYS[kind]))})")
            bad = True
    q: dict = {"type": kind, "prompt": _text(raw.get("prompt")), "points": raw.get("points", 1)}
    if isinstance(q["points"], (int, float)) and not isinstance(q["points"], bool) and q["points"] > 0:
        q["points"] = tidy_points(q["points"])
    if kind in ("single", "multiple"):
        choices = raw.get("choices")
        if not isinstance(choices, list):
            err(raw.line_of("choices"), f"question {n}: choices must be a list")
            return None
        q["choices"] = []
        for c in choices:
            if not isinstance(c, LineDict) or not isinstance(c.get("text"), (str, int, float)):
                err(raw.line_of("choices"), f"question {n}: each choice is a mapping with text and correct")
                return None
            for key in c:
                if key not in CHOICE_KEYS:
                    err(c.line_of(key), f"question {n}: unknown choice field '{key}'")
                    bad = True
            if "correct" in c and not isinstance(c["correct"], bool):
                err(c.line_of("correct"), f"question {n}: correct must be true or false")
                bad = True
            choice = {"text": str(c["text"]).strip(), "correct": c.get("correct") is True}
            if _text(c.get("feedback")):
                choice["feedback"] = _text(c.get("feedback"))
            q["choices"].append(choice)
    elif kind == "truefalse":
        q["answer"] = raw.get("answer")
    elif kind == "case":
        q["case"] = raw.get("case")
    elif kind == "scenario":
        q["scenario"] = raw.get("scenario")
    elif kind == "short":
        answers = raw.get("answers")
        q["answers"] = [str(a).strip() for a in answers] if isinstance(answers, list) else []
    elif kind == "code":
        key = raw.get("key")
        if not isinstance(key, LineDict):
            err(raw.line_of("key"), f"question {n}: key must be a mapping with diagnoses and/or procedures")
            return None
        q["key"] = {}
        for section in key:
            if section not in KEY_ENTRY_KEYS:
                err(key.line_of(section), f"question {n}: key has only diagnoses and procedures, not '{section}'")
                bad = True
                continue
            entries = key[section] or []
            if not isinstance(entries, list):
                err(key.line_of(section), f"question {n}: {section} must be a list")
                bad = True
                continue
            canon = []
            for e in entries:
                entry = _key_entry_from_yaml(e, section, n, key.line_of(section), err)
                if entry is None:
                    bad = True
                else:
                    canon.append(entry)
            if canon:
                q["key"][section] = canon
        q["key"] = {s: q["key"][s] for s in ("diagnoses", "procedures") if s in q["key"]}
    if _text(raw.get("feedback")):
        q["feedback"] = _text(raw.get("feedback"))
    for field_name, message in question_problems(q).items():
        err(raw.line_of(field_name if field_name in raw else "type"), f"question {n}: {message}")
        bad = True
    return None if bad else q


def _key_entry_from_yaml(e, section, n, line, err) -> dict | None:
    normalize = normalize_icd10cm if section == "diagnoses" else normalize_procedure
    if isinstance(e, (str, int)) and not isinstance(e, bool):
        return {"code": normalize(str(e))}
    if not isinstance(e, LineDict) or not isinstance(e.get("code"), (str, int)):
        err(line, f"question {n}: each {section} entry is a code or a mapping with code")
        return None
    for key in e:
        if key not in KEY_ENTRY_KEYS[section]:
            err(e.line_of(key), f"question {n}: unknown key-entry field '{key}' "
                                f"(allowed: {', '.join(sorted(KEY_ENTRY_KEYS[section]))})")
            return None
    entry: dict = {"code": normalize(str(e["code"]))}
    if e.get("modifiers"):
        mods = e["modifiers"] if isinstance(e["modifiers"], list) else [e["modifiers"]]
        entry["modifiers"] = [normalize_modifier(str(m)) for m in mods]
    if "units" in e:
        if isinstance(e["units"], bool) or not isinstance(e["units"], int) or not 1 <= e["units"] <= 999:
            err(e.line_of("units"), f"question {n}: units must be a whole number from 1 to 999")
            return None
        if e["units"] != 1:
            entry["units"] = e["units"]
    if e.get("accept"):
        alts = e["accept"] if isinstance(e["accept"], list) else [e["accept"]]
        entry["accept"] = [normalize(str(a)) for a in alts]
    if e.get("optional") is True:
        entry["optional"] = True
    return entry


def _text(value) -> str:
    if value is None:
        return ""
    return value.strip("\n") if isinstance(value, str) else str(value)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)

_QUESTION_ORDER = ("type", "case", "scenario", "prompt", "points", "choices", "answer", "answers", "key", "feedback")


def dump_quiz_yaml(quiz: QuizData) -> str:
    """The quiz as a YAML file (canonical order), which ``load_quiz_yaml`` reads back unchanged."""
    questions = []
    for q in quiz.questions:
        questions.append({k: q[k] for k in _QUESTION_ORDER if k in q and q[k] not in ("", None)})
    data = {"kind": "quiz", "slug": quiz.slug, "title": quiz.title}
    if quiz.instructions:
        data["instructions"] = quiz.instructions
    data["questions"] = questions
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


def _export_bound(quiz: QuizData) -> tuple[int, int]:
    """A cheap upper bound of the (bytes, lines) of ``dump_quiz_yaml(quiz)``: each scalar at most
    tripled by quoting and escapes, plus an indented line for each newline and each fold at width 100."""
    size, lines = 300, 10

    def add(value) -> None:
        nonlocal size, lines
        if isinstance(value, dict):
            for k, v in value.items():
                add(k)
                add(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                add(v)
        else:
            text = str(value)
            n = len(text.encode("utf-8", "surrogatepass"))
            breaks = text.count("\n") + n // 60 + 1
            size += 3 * n + 16 * breaks
            lines += breaks + 1

    add([quiz.title, quiz.instructions, quiz.slug, list(quiz.questions)])
    return size, lines


def _fits(size: int, lines: int) -> bool:
    return size <= MAX_IMPORT_BYTES and lines <= MAX_IMPORT_LINES


def _file_size(quiz: QuizData) -> tuple[int, int]:
    text = dump_quiz_yaml(quiz)
    return len(text.encode("utf-8")), text.count("\n") + 1


def growth_problem(before: QuizData | None, after: QuizData) -> str | None:
    """Why a web edit from ``before`` to ``after`` would take the quiz past a quiz-file limit (the
    question count, or an export the import doors would refuse), or None. A quiz that is already
    past one (imported before the limit) may keep its size or shrink."""
    n_before = len(before.questions) if before else 0
    if len(after.questions) > MAX_QUESTIONS and len(after.questions) > n_before:
        return f"The quiz already has {n_before} questions: {MAX_QUESTIONS} is the limit. Start a second quiz."
    if _fits(*_export_bound(after)):
        return None
    size, lines = _file_size(after)  # only for a quiz near the limit: the exact size of its file
    if _fits(size, lines):
        return None
    if before is not None and not _fits(*_export_bound(before)):  # past a limit already: it may shrink
        old_size, old_lines = _file_size(before)
        if size <= old_size and lines <= old_lines:
            return None
    if size > MAX_IMPORT_BYTES:
        return (f"With this change the quiz's file would be {size_text(size)}, over the "
                f"{size_text(MAX_IMPORT_BYTES)} limit of a quiz file. Shorten the text or start a second quiz.")
    return (f"With this change the quiz's file would have {count(lines)} lines, over the "
            f"{count(MAX_IMPORT_LINES)}-line limit of a quiz file. Shorten the text or start a second quiz.")


# --- Moodle GIFT --------------------------------------------------------------------------------

_GIFT_ESCAPES = {"\\~": "~", "\\=": "=", "\\#": "#", "\\{": "{", "\\}": "}", "\\:": ":", "\\n": "\n", "\\\\": "\\"}
_GIFT_UNESCAPE = re.compile(r"\\[~=#{}:n\\]")


def _unescape(text: str) -> str:
    return _GIFT_UNESCAPE.sub(lambda m: _GIFT_ESCAPES[m.group(0)], text).strip()


def _split_unescaped(text: str, chars: str) -> list[tuple[str, str]]:
    """Split at each unescaped char of ``chars``: [(marker, piece), ...] (first marker '')."""
    parts, marker, buf, i = [], "", [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i:i + 2])
            i += 2
            continue
        if ch in chars:
            parts.append((marker, "".join(buf)))
            marker, buf = ch, []
        else:
            buf.append(ch)
        i += 1
    parts.append((marker, "".join(buf)))
    return parts


def _find_unescaped(text: str, char: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def load_gift(text: str, path: str = "<gift>", title: str = "", slug: str = "") -> QuizData:
    """Moodle GIFT: multiple choice (one or several right answers), true/false and short answer.

    Numeric, matching and essay questions are refused with their line, as is anything malformed;
    raises QuizFileErrors with every problem.
    """
    check_quiz_text(text, path)
    errors: list[ContentError] = []
    questions, lines = [], []
    try:
        for n, (start, block) in enumerate(_gift_blocks(text, path), 1):
            if n > MAX_QUESTIONS:
                errors.append(ContentError(path, start, f"question {n} starts here, over the "
                                                        f"{MAX_QUESTIONS}-question limit"))
                break
            try:
                q = _gift_question(block, start, path)
            except ContentError as exc:
                errors.append(exc)
                continue
            questions.append(q)
            lines.append(start)
    except ContentError as exc:  # an answer block opened inside another
        errors.append(exc)
    if not questions and not errors:
        errors.append(ContentError(path, None, "no questions found (GIFT questions end with an {answer} block)"))
    title = title or title_from_path(path)
    errors.extend(ContentError(path, None, m) for m in quiz_problems(title, "").values())
    if errors:
        raise QuizFileErrors(errors)
    return QuizData(title=title, questions=tuple(questions), slug=slug or slugify(title), question_lines=tuple(lines))


def _gift_blocks(text: str, path: str = "<gift>"):
    """(first line number, text) of each question: blocks separated by blank lines, comments dropped.
    An answer block opened inside another raises ContentError (GIFT answer blocks do not nest)."""
    block, start, size = [], None, 0
    depth = 0
    for n, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        stripped = line.strip()
        if stripped.startswith("//") and depth == 0:
            continue
        if stripped.startswith("$CATEGORY:") and depth == 0:
            continue
        if not stripped and depth == 0:
            if block:
                yield start, "\n".join(block)
            block, start = [], None
            continue
        if start is None:
            start, size = n, 0
        block.append(line)
        size += len(line) + 1
        if size > MAX_QUESTION_CHARS:
            raise ContentError(path, start, f"the question starting here runs past the {count(MAX_QUESTION_CHARS)}-"
                                            "character limit of one question (a missing blank line or } ?)")
        for brace in re.findall(r"(?<!\\)[{}]", line):
            depth = depth + 1 if brace == "{" else max(depth - 1, 0)
            if depth > 1:
                raise ContentError(path, n, "an answer block { is opened inside another: GIFT answer blocks "
                                            "do not nest (write a literal brace as \\{)")
    if block:
        yield start, "\n".join(block)


def _gift_question(block: str, line: int, path: str) -> dict:
    def fail(message, at=line):
        raise ContentError(path, at, message)

    body = block.strip()
    name = ""
    if body.startswith("::"):
        end = body.find("::", 2)
        if end < 0:
            fail("a question title starts with :: and must end with ::")
        name, body = body[2:end].strip(), body[end + 2:].strip()
    body = re.sub(r"^\[(markdown|plain|moodle|html)\]\s*", "", body)
    open_at = _find_unescaped(body, "{")
    if open_at < 0:
        fail("no answer block: a GIFT question needs {…} with its answers")
    close_at = _find_unescaped(body, "}", open_at)
    if close_at < 0:
        fail("the answer block { is never closed with }")
    answer_line = line + body[:open_at].count("\n")
    before, answers, after = body[:open_at].strip(), body[open_at + 1:close_at].strip(), body[close_at + 1:].strip()
    if _find_unescaped(after, "{") >= 0:
        fail("only one answer block per question is supported", answer_line)
    prompt = _unescape(f"{before} _____ {after}" if after else before)
    if not prompt:
        prompt = name
    if not prompt:
        fail("the question has no text")
    general = ""
    if "####" in answers:
        answers, general = answers.split("####", 1)
        answers, general = answers.strip(), _unescape(general)
    q: dict
    upper = answers.split("#", 1)[0].strip().upper()
    if upper in ("T", "TRUE", "F", "FALSE"):
        q = {"type": "truefalse", "prompt": prompt, "points": 1, "answer": upper.startswith("T")}
        pieces = _split_unescaped(answers, "#")
        feedback = [_unescape(p) for _m, p in pieces[1:] if _unescape(p)]
        general = general or (feedback[0] if feedback else "")
    elif not answers:
        fail("essay questions (empty {}) are not supported", answer_line)
    elif answers.startswith("#"):
        fail("numeric questions ({#...}) are not supported", answer_line)
    else:
        items = [(m, p) for m, p in _split_unescaped(answers, "=~") if m or p.strip()]
        if items and items[0][0] == "":
            fail("each answer must start with = (right) or ~ (wrong)", answer_line)
        if any("->" in p for _m, p in items):
            fail("matching questions (a -> b) are not supported", answer_line)
        short = all(m == "=" for m, _p in items)
        if len(items) > (MAX_ANSWERS if short else MAX_CHOICES):  # before each is read
            fail(f"{len(items)} accepted answers, over the {MAX_ANSWERS}-answer limit" if short
                 else f"{len(items)} choices, over the {MAX_CHOICES}-choice limit", answer_line)
        choices = []
        for marker, piece in items:
            text, _sep, feedback = _split_feedback(piece)
            weight = None
            m = re.match(r"^%(-?\d+(?:\.\d+)?)%", text)
            if m:
                weight, text = float(m.group(1)), text[m.end():]
            text = _unescape(text)
            if not text:
                fail("an answer has no text", answer_line)
            correct = marker == "=" or (weight is not None and weight > 0)
            choice = {"text": text, "correct": correct}
            if feedback:
                choice["feedback"] = feedback
            choices.append(choice)
        if all(m == "=" for m, _p in items):
            q = {"type": "short", "prompt": prompt, "points": 1, "answers": [c["text"] for c in choices]}
        else:
            right = sum(1 for c in choices if c["correct"])
            q = {"type": "multiple" if right > 1 else "single", "prompt": prompt, "points": 1, "choices": choices}
    if general:
        q["feedback"] = general
    for _field, message in question_problems(q).items():
        fail(message, answer_line)
    return q


def _split_feedback(piece: str) -> tuple[str, str, str]:
    at = _find_unescaped(piece, "#")
    if at < 0:
        return piece.strip(), "", ""
    return piece[:at].strip(), "#", _unescape(piece[at + 1:])


# --- Aiken --------------------------------------------------------------------------------------

_AIKEN_OPTION = re.compile(r"^([A-Z])[.)]\s+(.+)$")


def _aiken_answer(line: str) -> str | None:
    """The letter of an ``ANSWER: X`` line (stripped), or None. No regex: ``ANSWER:`` and 20,000 spaces
    made the old pattern backtrack for minutes."""
    if line[:7].upper() != "ANSWER:":
        return None
    rest = line[7:].strip()
    return None if any(c.isspace() for c in rest) else rest


def load_aiken(text: str, path: str = "<aiken>", title: str = "", slug: str = "") -> QuizData:
    """Aiken: single-choice questions (stem, lettered options ``A.``/``A)``, ``ANSWER: X``)."""
    check_quiz_text(text, path)
    errors: list[ContentError] = []
    questions, lines = [], []
    stem, stem_line, options = [], None, []
    started = size = 0

    def finish(answer: str, at: int):
        nonlocal stem, stem_line, options, size
        try:
            if not stem:
                raise ContentError(path, at, "ANSWER: without a question before it")
            if len(options) < 2:
                raise ContentError(path, stem_line, "a question needs at least two lettered options (A. …, B. …)")
            letters = [o[0] for o in options]
            if letters != [chr(ord("A") + i) for i in range(len(letters))]:
                raise ContentError(path, stem_line, f"options must be lettered A, B, C … in order (found {', '.join(letters)})")
            if answer.upper() not in letters:
                raise ContentError(path, at, f"ANSWER: '{answer}' is not one of the options {', '.join(letters)}")
            q = {"type": "single", "prompt": " ".join(stem), "points": 1,
                 "choices": [{"text": t, "correct": letter == answer.upper()} for letter, t in options]}
            for _field, message in question_problems(q).items():
                raise ContentError(path, stem_line, message)
            questions.append(q)
            lines.append(stem_line)
        except ContentError as exc:
            errors.append(exc)
        stem, stem_line, options, size = [], None, [], 0

    for n, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        size += len(line) + 1
        if size > MAX_QUESTION_CHARS:
            errors.append(ContentError(path, stem_line or n, f"the question starting here runs past the "
                                                             f"{count(MAX_QUESTION_CHARS)}-character limit of one "
                                                             "question (a missing ANSWER: line?)"))
            stem = []
            break
        answer = _aiken_answer(line)
        option = _AIKEN_OPTION.match(line)
        if answer is not None:
            finish(answer, n)
        elif option and stem:
            options.append((option.group(1), option.group(2).strip()))
        elif options:
            errors.append(ContentError(path, n, "expected another option (B. …) or the ANSWER: line"))
            stem, stem_line, options, size = [], None, [], 0
        else:
            if not stem:
                started += 1
                if started > MAX_QUESTIONS:
                    errors.append(ContentError(path, n, f"question {started} starts here, over the "
                                                        f"{MAX_QUESTIONS}-question limit"))
                    break
            stem.append(line)
            stem_line = stem_line or n
    if stem:
        errors.append(ContentError(path, stem_line, "question without an ANSWER: line"))
    if not questions and not errors:
        errors.append(ContentError(path, None, "no questions found"))
    title = title or title_from_path(path)
    errors.extend(ContentError(path, None, m) for m in quiz_problems(title, "").values())
    if errors:
        raise QuizFileErrors(errors)
    return QuizData(title=title, questions=tuple(questions), slug=slug or slugify(title), question_lines=tuple(lines))


def load_quiz_file(text: str, path: str, title: str = "", fmt: str | None = None) -> QuizData:
    """Any supported quiz file, by ``fmt`` ('yaml', 'gift', 'aiken') or the file's extension."""
    fmt = fmt or {".yml": "yaml", ".yaml": "yaml", ".gift": "gift", ".txt": "aiken", ".aiken": "aiken"}.get(
        Path(path).suffix.lower())
    if fmt == "yaml":
        return load_quiz_yaml(text, path)
    if fmt == "gift":
        return load_gift(text, path, title=title)
    if fmt == "aiken":
        return load_aiken(text, path, title=title)
    raise QuizFileErrors([ContentError(path, None, "unknown quiz file type: use .yml, .gift or .txt (Aiken)")])


# --- grading (pure, except code questions which take the grader's result) ------------------------

def normalise_short(text: str) -> str:
    return " ".join(str(text).lower().split())

"""Quiz question types: one small class per type, found by its id (``q["type"]``).

Each type owns what differs between types: the fields a file entry may hold and their checks,
reading the entry from a YAML file and from the question editor, reading a student's answer from
the posted form, grading it, naming an answer for the gradebook, and the template partial that
shows it (``templates/quizzes/types/``: macros ``take``, ``result`` and ``editor``). Callers ask
:func:`question_type`; a new type is one class here and its partial. Written like
``app/claims/rules.py``: ``@register`` adds a class, one method per job.

Pure module: no Flask, no database. Grading gets what the service looked up (the code set, the
cases and scenarios the questions name, the scenario scorer) in a :class:`GradingContext`.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from app.claims.scenarios import ACTIONS, CAUSES
from app.content.limits import MAX_ANSWERS, MAX_CHOICES, MAX_KEY_CODES, MAX_POINTS, too_long
from app.content.reader import SLUG_RE
from app.content.yamlmarks import LineDict
from app.grading import grade_case
from app.params import small_digits
from app.codes.model import needs_phrase
from app.codes.shapes import is_icd10cm, is_procedure, procedure_system
from app.grading.parse import normalize_icd10cm, normalize_modifier, normalize_procedure

#: fields every question has, whatever its type
COMMON_FIELDS = ("type", "prompt", "points", "feedback")
CHOICE_KEYS = {"text", "correct", "feedback"}
KEY_ENTRY_KEYS = {"diagnoses": {"code", "accept", "optional"},
                  "procedures": {"code", "accept", "optional", "modifiers", "units"}}


@dataclass(frozen=True)
class GradingContext:
    """What grading needs beyond the question and the answer, looked up by the caller."""

    codes: Any = None
    #: case slug -> a case with ``answer_key``
    cases: Mapping = field(default_factory=dict)
    #: scenario slug -> a claim scenario, scored by ``score_scenario(scenario, causes, action)``
    scenarios: Mapping = field(default_factory=dict)
    score_scenario: Callable | None = None


@dataclass(frozen=True)
class Graded:
    """One answer's credit (0..1), with the grader's lines (code questions) or reasons (scenarios)."""

    credit: float
    lines: list | None = None
    reasons: list | None = None


class QuestionType:
    """One type of quiz question. Subclasses set the class attributes and override the jobs."""

    id: str = ""
    label: str = ""
    #: fields a file entry may hold besides COMMON_FIELDS
    fields: tuple[str, ...] = ()
    #: the template partial with the ``take``, ``result`` and ``editor`` macros
    partial: str = ""
    #: problem field -> editor form field it is shown on
    form_fields: Mapping[str, str] = {}
    #: False where the case or scenario brings its own text
    prompt_required: bool = True
    #: ("case", "coding case"): the question names another piece of content by its slug in q[ref]
    refers_to: tuple[str, str] | None = None

    def problems(self, q: dict) -> dict[str, str]:
        """This type's structural problems: field -> message (code-set checks are apart)."""
        return {}

    def from_file(self, raw: LineDict, q: dict, n: int, err) -> bool | None:
        """Fill ``q`` from a YAML entry; report with ``err(line, message)``. True: a problem was
        found (keep reading); None: the entry cannot be read further."""
        return False

    def from_form(self, form, q: dict) -> dict[str, str]:
        """Fill ``q`` from the question editor; return problems reading it."""
        return {}

    def parse(self, q: dict, form, name: str):
        """The student's answer from the posted form (a MultiDict), or None when blank."""
        return str(form.get(name, ""))[:300].strip() or None

    def grade(self, q: dict, answer, ctx: GradingContext) -> Graded:
        """Credit for an answer (never None: unanswered questions are not graded)."""
        return Graded(0.0)

    def label_answer(self, q: dict, answer) -> str:
        """A student's answer in words, for "most common wrong answers"."""
        if isinstance(answer, dict):  # code questions: the codes typed
            return " ".join(answer.get("diagnoses", []) + answer.get("procedures", [])) or "(nothing)"
        return str(answer)

    def code_problems(self, q: dict, codes) -> dict[str, list[str]]:
        """Problems of the codes the question names, against a code set: field -> messages."""
        return {}


_TYPES: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: add a question type to the registry (ids are unique)."""
    if cls.id in _TYPES:
        raise ValueError(f"question type {cls.id} registered twice")
    _TYPES[cls.id] = cls()
    return cls


def question_type(kind) -> QuestionType | None:
    """The registered type with this id, or None."""
    return _TYPES.get(kind) if isinstance(kind, str) else None


def question_types() -> tuple[QuestionType, ...]:
    """Every type, in the order the editor offers them."""
    return tuple(_TYPES.values())


def type_labels() -> dict[str, str]:
    """id -> label, in the editor's order."""
    return {t.id: t.label for t in _TYPES.values()}


def editor_partials() -> tuple[str, ...]:
    """Each partial once (types may share one), in the editor's order."""
    return tuple(dict.fromkeys(t.partial for t in _TYPES.values()))


def tidy_points(value) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else round(number, 2)


def text_value(value) -> str:
    if value is None:
        return ""
    return value.strip("\n") if isinstance(value, str) else str(value)


def question_problems(q: dict) -> dict[str, str]:
    """Structural problems of a canonical question: field name -> message (codes are checked apart)."""
    kind = q.get("type")
    qtype = question_type(kind)
    if qtype is None:
        return {"type": f"unknown question type '{kind}' (use one of: {', '.join(_TYPES)})"}
    problems: dict[str, str] = {}
    if not str(q.get("prompt") or "").strip() and qtype.prompt_required:
        problems["prompt"] = "Write the question's text."
    for name in ("prompt", "feedback"):
        message = too_long(name, len(str(q.get(name) or "")))
        if message:
            problems[name] = message
    points = q.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= MAX_POINTS:
        problems["points"] = f"Points must be a number above 0 and at most {MAX_POINTS}."
    problems.update(qtype.problems(q))
    return problems


def label_answer(q: dict, answer) -> str:
    """A student's answer in words, for "most common wrong answers"."""
    if answer is None:
        return "(nothing)"
    return (question_type(q.get("type")) or QuestionType()).label_answer(q, answer)


def _first_too_long(name: str, values) -> str | None:
    return next((m for m in (too_long(name, len(str(v or ""))) for v in values) if m), None)


def _index(value: str, below: int) -> int | None:
    """A posted choice number: at most three digits, below ``below``."""
    return int(value) if small_digits(value, 3) and int(value) < below else None


# --- choices ------------------------------------------------------------------------------------

class _Choices(QuestionType):
    fields = ("choices",)
    partial = "quizzes/types/_choices.html"
    form_fields = {}

    def problems(self, q):
        choices = q.get("choices") or []
        correct = sum(1 for c in choices if c.get("correct"))
        texts = [c.get("text", "").strip() for c in choices]
        if len(choices) < 2:
            return {"choices": "Give at least two choices."}
        if len(choices) > MAX_CHOICES:
            return {"choices": f"At most {MAX_CHOICES} choices."}
        if any(not t for t in texts):
            return {"choices": "Every choice needs its text."}
        message = (_first_too_long("choice", texts)
                   or _first_too_long("choice_feedback", [c.get("feedback") for c in choices]))
        if message:
            return {"choices": message}
        if len(set(texts)) != len(texts):
            return {"choices": "Two choices have the same text."}
        message = self.correct_problem(correct)
        return {"choices": message} if message else {}

    def correct_problem(self, correct: int) -> str | None:
        raise NotImplementedError

    def from_file(self, raw, q, n, err):
        choices = raw.get("choices")
        if not isinstance(choices, list):
            err(raw.line_of("choices"), f"question {n}: choices must be a list")
            return None
        bad = False
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
            if text_value(c.get("feedback")):
                choice["feedback"] = text_value(c.get("feedback"))
            q["choices"].append(choice)
        return bad

    def from_form(self, form, q):
        q["choices"] = []
        for entry in form.choices.entries:
            text = (entry.form.text.data or "").strip()
            if not text:
                continue
            choice = {"text": text, "correct": bool(entry.form.correct.data)}
            if (entry.form.feedback.data or "").strip():
                choice["feedback"] = entry.form.feedback.data.strip()
            q["choices"].append(choice)
        return {}

    @staticmethod
    def choice_text(choice) -> str:
        return str(choice["text"] if isinstance(choice, dict) else choice)


@register
class SingleChoice(_Choices):
    id = "single"
    label = "Single choice"

    def correct_problem(self, correct):
        return f"Mark exactly one choice as correct (now {correct})." if correct != 1 else None

    def parse(self, q, form, name):
        return _index(form.get(name, ""), len(q["choices"]))

    def grade(self, q, answer, ctx):
        return Graded(1.0 if q["choices"][answer]["correct"] else 0.0)

    def label_answer(self, q, answer):
        return self.choice_text(q["choices"][answer])


@register
class MultipleResponse(_Choices):
    id = "multiple"
    label = "Multiple response"

    def correct_problem(self, correct):
        return "Mark at least one choice as correct." if correct < 1 else None

    def parse(self, q, form, name):
        picked = {_index(v, len(q["choices"])) for v in form.getlist(name)}
        return sorted(picked - {None}) or None

    def grade(self, q, answer, ctx):
        right = {i for i, c in enumerate(q["choices"]) if c["correct"]}
        picked = set(answer)
        # Each right pick earns its share; each wrong pick costs a share (never below zero).
        return Graded(max(0.0, (len(picked & right) - len(picked - right)) / len(right)))

    def label_answer(self, q, answer):
        return " + ".join(self.choice_text(c) for i, c in enumerate(q["choices"]) if i in answer)


# --- true / false and short answer ---------------------------------------------------------------

@register
class TrueFalse(QuestionType):
    id = "truefalse"
    label = "True / false"
    fields = ("answer",)
    partial = "quizzes/types/_truefalse.html"
    form_fields = {"answer": "answer"}

    def problems(self, q):
        return {} if isinstance(q.get("answer"), bool) else {"answer": "Say whether the statement is true or false."}

    def from_file(self, raw, q, n, err):
        q["answer"] = raw.get("answer")
        return False

    def from_form(self, form, q):
        q["answer"] = {"true": True, "false": False}.get(form.answer.data)
        return {}

    def parse(self, q, form, name):
        return {"true": True, "false": False}.get(form.get(name, ""))

    def grade(self, q, answer, ctx):
        return Graded(1.0 if answer == q["answer"] else 0.0)

    def label_answer(self, q, answer):
        return "true" if answer else "false"


def normalise_short(text: str) -> str:
    return " ".join(str(text).lower().split())


@register
class ShortAnswer(QuestionType):
    id = "short"
    label = "Short answer"
    fields = ("answers",)
    partial = "quizzes/types/_short.html"
    form_fields = {"answers": "answers"}

    def problems(self, q):
        answers = q.get("answers") or []
        if not answers or any(not str(a).strip() for a in answers):
            return {"answers": "Give at least one accepted answer."}
        if len(answers) > MAX_ANSWERS:
            return {"answers": f"{len(answers)} accepted answers, over the {MAX_ANSWERS}-answer limit."}
        message = _first_too_long("answer", answers)
        return {"answers": message} if message else {}

    def from_file(self, raw, q, n, err):
        answers = raw.get("answers")
        q["answers"] = [str(a).strip() for a in answers] if isinstance(answers, list) else []
        return False

    def from_form(self, form, q):
        q["answers"] = [a.strip() for a in (form.answers.data or "").splitlines() if a.strip()]
        return {}

    def grade(self, q, answer, ctx):
        return Graded(1.0 if normalise_short(answer) in {normalise_short(a) for a in q["answers"]} else 0.0)


# --- codes: a short answer key, or a whole coding case --------------------------------------------

_UNITS_RE = re.compile(r"^[x×](\d{1,3})$", re.IGNORECASE)
_UNITS_ALONE = re.compile(r"^[x×]\d{1,3}$", re.IGNORECASE)
#: units written after the code or its last modifier: 17003x5, 99213-25x1 (not a modifier such as -X1)
_UNITS_SUFFIX = re.compile(r"(?<=[0-9A-Za-z])(?<!-.)[x×](\d{1,3})$", re.IGNORECASE)


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


def _procedure(text: str) -> dict:
    """One procedure line as typed: CODE, modifiers after hyphens, units after x."""
    units = 1
    match = _UNITS_SUFFIX.search(text)
    if match and match.start() > 0 and text[match.start() - 1] != "-":
        units, text = int(match.group(1)), text[:match.start()]
    code, *mods = text.split("-")
    return {"code": code, "modifiers": [m for m in mods if m], "units": units}


class _Codes(QuestionType):
    """Codes typed in two boxes (diagnoses, procedures), graded by the coding grader."""

    partial = "quizzes/types/_codes.html"

    def key(self, q: dict, ctx: GradingContext) -> dict:
        raise NotImplementedError

    def parse(self, q, form, name):
        dx = [c for c in str(form.get(f"{name}_dx", ""))[:300].replace(",", " ").split() if c]
        px = []
        for token in str(form.get(f"{name}_px", ""))[:300].replace(",", " ").split():
            if px and _UNITS_ALONE.match(token):
                px[-1] += token  # "17003 x5" is one line: 17003 with 5 units
            else:
                px.append(token)
        return {"diagnoses": dx, "procedures": px} if dx or px else None

    def grade(self, q, answer, ctx):
        response = {"diagnoses": answer["diagnoses"], "procedures": [_procedure(p) for p in answer["procedures"]]}
        result = grade_case(self.key(q, ctx), response, codes=ctx.codes)
        return Graded(result.score, lines=[dataclasses.asdict(line) for line in result.lines])


@register
class CodeEntry(_Codes):
    id = "code"
    label = "Short code entry"
    fields = ("key",)
    form_fields = {"key": "key_diagnoses", "diagnoses": "key_diagnoses", "procedures": "key_procedures"}

    def problems(self, q):
        problems = {}
        key = q.get("key") or {}
        if not key.get("diagnoses") and not key.get("procedures"):
            problems["key"] = "Give at least one code in the answer key."
        for section in ("diagnoses", "procedures"):
            codes = sum(1 + len(e.get("accept", [])) for e in key.get(section) or [])
            if codes > MAX_KEY_CODES:
                problems[section] = f"{codes} {section} codes in the key, over the {MAX_KEY_CODES}-code limit."
        return problems

    def from_file(self, raw, q, n, err):
        key = raw.get("key")
        if not isinstance(key, LineDict):
            err(raw.line_of("key"), f"question {n}: key must be a mapping with diagnoses and/or procedures")
            return None
        bad = False
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
        return bad

    def from_form(self, form, q):
        problems = {}
        q["key"] = {}
        for section, box in (("diagnoses", form.key_diagnoses), ("procedures", form.key_procedures)):
            entries, bad = parse_key_lines(box.data, section)
            if bad:
                problems[section] = " ".join(bad)
            if entries:
                q["key"][section] = entries
        return problems

    def key(self, q, ctx):
        return q["key"]

    def code_problems(self, q, codes):
        return key_code_problems(q.get("key") or {}, codes)


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


class _Reference(QuestionType):
    """A question on another piece of content, named by its slug in ``q[field]``."""

    prompt_required = False  # the case or scenario's own text is the prompt
    refers_to: tuple[str, str]
    choose: str = ""

    def problems(self, q):
        name = self.refers_to[0]
        return {} if isinstance(q.get(name), str) and SLUG_RE.match(q[name]) else {name: self.choose}

    def from_file(self, raw, q, n, err):
        q[self.refers_to[0]] = raw.get(self.refers_to[0])
        return False

    def from_form(self, form, q):
        q[self.refers_to[0]] = getattr(form, self.refers_to[0]).data or None
        return {}


@register
class CaseQuestion(_Reference, _Codes):
    id = "case"
    label = "Full coding case"
    fields = ("case",)
    refers_to = ("case", "coding case")
    form_fields = {"case": "case"}
    choose = "Choose the coding case (its slug)."

    def key(self, q, ctx):
        case = ctx.cases.get(q.get("case"))
        return case.answer_key if case else {}


@register
class ScenarioQuestion(_Reference):
    id = "scenario"
    label = "Claim scenario (cause and action)"
    fields = ("scenario",)
    partial = "quizzes/types/_scenario.html"
    refers_to = ("scenario", "claim scenario")
    form_fields = {"scenario": "scenario"}
    choose = "Choose the claim scenario (its slug)."

    def parse(self, q, form, name):
        causes = sorted({c for c in form.getlist(f"{name}_cause") if c in CAUSES})
        action = form.get(f"{name}_action", "")
        action = action if action in ACTIONS else None
        return {"causes": causes, "action": action} if causes or action else None

    def grade(self, q, answer, ctx):
        scenario = ctx.scenarios.get(q["scenario"])
        if scenario is None or ctx.score_scenario is None:
            return Graded(0.0, reasons=[])
        credit, reasons = ctx.score_scenario(scenario, answer["causes"], answer["action"])
        return Graded(credit, reasons=reasons)

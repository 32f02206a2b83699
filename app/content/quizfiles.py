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
from app.content.reader import SLUG_RE
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
from app.content.question_types import (  # noqa: F401 - key lines and problems are also read from here
    COMMON_FIELDS,
    format_key_lines,
    key_code_problems,
    parse_key_lines,
    question_problems,
    question_type,
    question_types,
    text_value,
    tidy_points,
    type_labels,
)
from app.content.yamlmarks import LineDict, load_yaml

TOP_KEYS = {"kind", "slug", "title", "instructions", "questions"}
#: id -> label of every question type (app/content/question_types.py), in the editor's order
QUESTION_TYPES = type_labels()
#: the fields a file entry of each type may hold
QUESTION_KEYS = {t.id: {*COMMON_FIELDS, *t.fields} for t in question_types()}


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


def quiz_code_errors(quiz: QuizData, codes, path: str = "<quiz>", case_slugs=None,
                     scenario_slugs=None) -> list[ContentError]:
    """Every code problem of every code question (and, given ``case_slugs``, every unknown case),
    located at its question's line."""
    known = {"case": case_slugs, "scenario": scenario_slugs}
    errors = []
    for i, q in enumerate(quiz.questions):
        line = quiz.question_lines[i] if i < len(quiz.question_lines) else None
        qtype = question_type(q["type"])
        if qtype.refers_to and known[qtype.refers_to[0]] is not None:
            name, noun = qtype.refers_to
            if q[name] not in known[name]:
                errors.append(ContentError(path, line, f"question {i + 1}: no {noun} '{q[name]}'"))
        for messages in qtype.code_problems(q, codes).values():
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
    qtype = question_type(kind)
    if qtype is None:
        err(raw.line_of("type"), f"question {n}: type must be one of {', '.join(QUESTION_TYPES)}")
        return None
    bad = False
    for key in raw:
        if key not in QUESTION_KEYS[kind]:
            err(raw.line_of(key), f"question {n}: unknown field '{key}' for a {kind} question "
                                  f"(allowed: {', '.join(sorted(QUESTION_KEYS[kind]))})")
            bad = True
    q: dict = {"type": kind, "prompt": text_value(raw.get("prompt")), "points": raw.get("points", 1)}
    if isinstance(q["points"], (int, float)) and not isinstance(q["points"], bool) and q["points"] > 0:
        q["points"] = tidy_points(q["points"])
    found = qtype.from_file(raw, q, n, err)
    if found is None:
        return None
    bad = bad or found
    if text_value(raw.get("feedback")):
        q["feedback"] = text_value(raw.get("feedback"))
    for field_name, message in question_problems(q).items():
        err(raw.line_of(field_name if field_name in raw else "type"), f"question {n}: {message}")
        bad = True
    return None if bad else q


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)

#: a question's fields in its file: the type, what it names, the common fields, then each type's own
_QUESTION_ORDER = tuple(dict.fromkeys((
    "type", *(t.refers_to[0] for t in question_types() if t.refers_to), "prompt", "points",
    *(f for t in question_types() for f in t.fields), "feedback")))


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
    return _plain_quiz(path, title, slug, questions, lines, errors,
                       "no questions found (GIFT questions end with an {answer} block)")


def _plain_quiz(path: str, title: str, slug: str, questions: list, lines: list, errors: list,
                none_found: str) -> QuizData:
    """A GIFT or Aiken file's quiz (titled after the file unless given), or every problem found."""
    if not questions and not errors:
        errors.append(ContentError(path, None, none_found))
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
    return _plain_quiz(path, title, slug, questions, lines, errors, "no questions found")


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

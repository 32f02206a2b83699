"""The one set of limits for instructor quiz content, whatever the door it comes in by.

The web editor's forms, the import page, ``flask content import-quiz`` and each reader (YAML, GIFT,
Aiken) take their limits from here, and every refusal names the limit it hit ("... over the
200-question limit"). Nothing is ever cut to fit: a file or field over a limit is refused whole.

Pure module (no Flask). The app-wide request limit reads :data:`MAX_IMPORT_BYTES` from here to size
the import route's larger ``MAX_CONTENT_LENGTH``.
"""
from __future__ import annotations

import re

# --- a whole file (checked before any parsing) --------------------------------------------------

#: bytes of one uploaded or CLI-imported quiz file (a full 200-question quiz is about 300 kB)
MAX_IMPORT_BYTES = 1_000_000
#: lines of one quiz file
MAX_IMPORT_LINES = 20_000

# --- YAML structure (every YAML file read by the site, content/ included) -----------------------

#: collections inside collections (a quiz uses 6: questions > question > key > procedures > entry > list)
MAX_YAML_DEPTH = 12
#: values (scalars, lists and mappings) in one YAML file
MAX_YAML_NODES = 100_000

# --- a quiz --------------------------------------------------------------------------------------

MAX_QUESTIONS = 200
MAX_CHOICES = 10
MAX_POINTS = 100
#: accepted answers of a short-answer question
MAX_ANSWERS = 20
#: codes in one section (diagnoses or procedures) of a code question's key, alternatives included
MAX_KEY_CODES = 30

#: characters of each text field, by field
FIELD_LIMITS = {
    "title": 200,
    "instructions": 20_000,
    "prompt": 10_000,
    "feedback": 10_000,
    "choice": 500,
    "choice_feedback": 1_000,
    "answer": 200,
}
#: characters of one GIFT or Aiken question as written (every field at its longest, with markup room);
#: a longer one is usually a missing blank line or an unclosed brace, and is refused before it is parsed
MAX_QUESTION_CHARS = (FIELD_LIMITS["prompt"] + FIELD_LIMITS["feedback"]
                      + MAX_CHOICES * (FIELD_LIMITS["choice"] + FIELD_LIMITS["choice_feedback"]) + 5_000)
#: what each field is called in a message
FIELD_NAMES = {
    "title": "title",
    "instructions": "instructions",
    "prompt": "question text",
    "feedback": "feedback",
    "choice": "choice",
    "choice_feedback": "choice feedback",
    "answer": "accepted answer",
}
#: the web form's box of accepted answers (one a line): every answer at its longest, with its newline
MAX_ANSWERS_BOX = MAX_ANSWERS * (FIELD_LIMITS["answer"] + 1)
#: the web form's boxes of key codes (one entry a line)
MAX_KEY_BOX = 2_000

#: characters no quiz text may hold (C0 controls but tab, newline and carriage return; DEL)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def count(n: int) -> str:
    return f"{n:,}"


def too_long(field: str, length: int) -> str | None:
    """The message for a text field over its limit, or None."""
    limit = FIELD_LIMITS[field]
    if length <= limit:
        return None
    return f"The {FIELD_NAMES[field]} is {count(length)} characters, over the {count(limit)}-character limit."


def size_text(n: int) -> str:
    return f"{n / 1_000_000:g} MB ({count(n)} bytes)" if n >= 1_000_000 else f"{count(n)} bytes"

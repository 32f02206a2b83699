"""Uploaded file names made safe to show and to store: a GIFT or Aiken quiz is named after its file."""
from __future__ import annotations

import unicodedata

#: the longest file name kept (before its extension); a quiz title is at most 200 characters
MAX_STEM = 100


def clean_upload_name(filename: str | None, default: str = "upload") -> str:
    """The last part of an uploaded file's name (a browser may send a path), without control or format
    characters (NUL, escape sequences, right-to-left overrides), its stem cut to ``MAX_STEM`` characters and
    its extension kept (it picks the format). ``default`` when nothing is left."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.split())  # tabs and line breaks become one space
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    if len(suffix) > 10:  # no real extension is this long: it is all stem
        stem, suffix, dot = name, "", ""
    stem = stem[:MAX_STEM].strip()
    if not stem.strip(". "):
        return default + (dot + suffix if suffix else "")
    return stem + (dot + suffix if suffix else "")

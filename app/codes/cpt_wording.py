"""The CPT wording rule: one owner for what our CPT labels and teaching text may say.

CPT descriptors belong to the AMA. Our CPT labels (``data/cpt_2026_labels.csv``) and the wording
of CPT-source modifiers (``data/modifiers_2026.csv``, ``source=cpt``) are at most six words of our
own naming the kind of service, and never take a descriptor's phrase shapes (site lists, size
bands, "with/without" clauses, "each additional", ...). The shapes are data, kept with a reason
each, in ``data/cpt_descriptor_shapes.txt``.

``data/cpt_retired_labels.sha256`` holds SHA-256 digests (never the text) of labels this project
retired because they copied or followed AMA wording: a label may not bring one back, and teaching
text may not quote one (see :func:`text_problems`).

* :func:`label_problems` -- the problems of one label (over six words, a descriptor shape, a retired label)
* :func:`text_problems` -- descriptor shapes near a CPT code number, and quotes of retired labels, in free text
* :func:`check_labels_file` -- every row of a labels CSV, each problem with file and line

Pure Python (``re``, ``hashlib``, ``csv``): no Flask, no database.
"""
from __future__ import annotations

import bisect
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .shapes import CPT_PATTERN

DATA_DIR = Path(__file__).resolve().parent / "data"
SHAPES_PATH = DATA_DIR / "cpt_descriptor_shapes.txt"
RETIRED_PATH = DATA_DIR / "cpt_retired_labels.sha256"
LABEL_FILES = (("cpt_2026_labels.csv", "label", None), ("modifiers_2026.csv", "description", "cpt"))

MAX_WORDS = 6
# how far (characters) from a CPT code number a descriptor shape counts as "next to" it
NEAR = 160
# a retired label is flagged in free text when it has at least this many words (shorter ones are
# plain clinical names such as "lipid panel") or when it is marked ``verbatim`` in the digest file
MIN_QUOTE_WORDS = 4


class CptWordingError(ValueError):
    """A labels file breaks the CPT wording rule (the message names file, line and problem)."""


@dataclass(frozen=True)
class Shape:
    scope: str          # "text" (labels and text near a code) or "label" (labels only)
    pattern: re.Pattern
    source: str         # the regex as written
    why: str
    line: int


def _compile(regex: str) -> re.Pattern:
    # a literal space matches any white space (a phrase may be folded over YAML lines)
    regex = regex.replace(" ?", r"\s*")
    return re.compile(regex.replace(" ", r"\s+"), re.IGNORECASE)


@lru_cache(maxsize=4)
def load_shapes(path: Path = SHAPES_PATH) -> tuple[Shape, ...]:
    """The descriptor phrase shapes of ``path`` (see the file's header for its format)."""
    shapes = []
    for no, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = re.match(r"^(text|label)\s+(.*?)(?:\s{2,}#\s*(.*))?$", raw.rstrip())
        if not m:
            raise ValueError(f"{path}, line {no}: expected '<text|label> <regex>  # why'")
        scope, regex, why = m.group(1), m.group(2).strip(), (m.group(3) or "").strip()
        try:
            pattern = _compile(regex)
        except re.error as exc:
            raise ValueError(f"{path}, line {no}: bad regex {regex!r}: {exc}") from exc
        shapes.append(Shape(scope, pattern, regex, why, no))
    return tuple(shapes)


def words(text: str) -> list[str]:
    """Words of a label: split on white space and slashes (a slash list is several words)."""
    return [w for w in re.split(r"[\s/]+", text.strip()) if w]


def tokens(text: str) -> list[str]:
    """Lower-case letters/digits runs: the unit a retired label is compared by."""
    return re.findall(r"[a-z0-9]+", text.lower())


def digest(text: str) -> str:
    return hashlib.sha256(" ".join(tokens(text)).encode("utf-8")).hexdigest()


def head_digest(text: str) -> str:
    """Digest prefix of a label's first two tokens (where, in a text, a retired label could start)."""
    return hashlib.sha256(" ".join(tokens(text)[:2]).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Retired:
    digest: str
    n_tokens: int
    verbatim: bool      # the audit found it verbatim in an AMA descriptor
    head: str = ""      # :func:`head_digest` of the label


@lru_cache(maxsize=4)
def load_retired(path: Path = RETIRED_PATH) -> dict[str, Retired]:
    """Digests of retired labels (``<sha256> <token count> <label|verbatim> <head>`` a line)."""
    out: dict[str, Retired] = {}
    if not Path(path).exists():
        return out
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        h, n, kind, head = raw.split()
        out[h] = Retired(h, int(n), kind == "verbatim", head)
    return out


def _shape_problems(text: str, scopes: tuple[str, ...]) -> list[str]:
    out = []
    for s in load_shapes():
        if s.scope in scopes:
            m = s.pattern.search(text)
            if m:
                out.append(f"descriptor shape {m.group(0).strip()!r} ({s.why or s.source})")
    return out


def label_problems(label: str) -> list[str]:
    """Why ``label`` breaks the CPT wording rule (empty list: it is fine)."""
    problems = []
    label = (label or "").strip()
    if not label:
        return ["empty label"]
    n = len(words(label))
    if n > MAX_WORDS:
        problems.append(f"{n} words (at most {MAX_WORDS})")
    problems.extend(_shape_problems(label, ("text", "label")))
    if digest(label) in load_retired():
        problems.append("a retired label (it copied or followed AMA wording): write a new one")
    return problems


_CODE_RE = re.compile(rf"(?<![\w.$])({CPT_PATTERN})(?![\w])")


@dataclass(frozen=True)
class TextProblem:
    offset: int         # character offset in the text
    message: str


def _retired_windows(text: str) -> Iterable[tuple[int, str]]:
    quotable = [r for r in load_retired().values() if r.verbatim or r.n_tokens >= MIN_QUOTE_WORDS]
    if not quotable:
        return
    by_head: dict[str, dict[int, dict[str, Retired]]] = {}
    for r in quotable:
        by_head.setdefault(r.head, {}).setdefault(r.n_tokens, {})[r.digest] = r
    toks = [(m.start(), m.group(0)) for m in re.finditer(r"[a-z0-9]+", text.lower())]
    words_only = [t for _, t in toks]
    for i in range(len(toks)):
        head = hashlib.sha256(" ".join(words_only[i:i + 2]).encode("utf-8")).hexdigest()[:16]
        for n, digests in by_head.get(head, {}).items():
            if i + n > len(toks):
                continue
            joined = " ".join(words_only[i:i + n])
            if hashlib.sha256(joined.encode("utf-8")).hexdigest() in digests:
                yield toks[i][0], joined


def _code_near(text: str, codes, starts, lo: int, hi: int) -> str | None:
    """The CPT number nearest to text[lo:hi] within NEAR characters and in the same paragraph."""
    i = bisect.bisect_left(starts, lo)
    best = None
    for j in (i - 2, i - 1, i, i + 1):
        if not 0 <= j < len(codes):
            continue
        cs, ce, code = codes[j]
        gap = lo - ce if ce <= lo else cs - hi if cs >= hi else 0
        if gap > NEAR:
            continue
        a, b = (ce, lo) if ce <= lo else (hi, cs)
        if gap and "\n\n" in text[a:b]:
            continue  # a blank line between: another paragraph
        if best is None or gap < best[0]:
            best = (gap, code)
    return best[1] if best else None


def text_problems(text: str, cpt_codes: Iterable[str] | None = None) -> list[TextProblem]:
    """Problems in free teaching text (a vignette, a rationale, a lesson).

    * a ``text``-scope descriptor shape within :data:`NEAR` characters of a CPT code number
      (``cpt_codes``: the code numbers that count, e.g. those of our labels file; None: any
      five-character CPT-like number), in the same paragraph;
    * a quote of a retired label (at least :data:`MIN_QUOTE_WORDS` words, or one the audit found
      verbatim in a descriptor), anywhere.
    """
    text = text or ""
    known = None if cpt_codes is None else set(cpt_codes)
    codes = [(m.start(), m.end(), m.group(1)) for m in _CODE_RE.finditer(text)
             if known is None or m.group(1) in known]
    out: list[TextProblem] = []
    if codes:
        starts = [c[0] for c in codes]
        for s in load_shapes():
            if s.scope != "text":
                continue
            for m in s.pattern.finditer(text):
                code = _code_near(text, codes, starts, m.start(), m.end())
                if code is not None:
                    out.append(TextProblem(m.start(), f"descriptor shape {' '.join(m.group(0).split())!r} next to "
                                                      f"CPT {code} ({s.why or s.source})"))
    for offset, quoted in _retired_windows(text):
        out.append(TextProblem(offset, f"quotes a retired CPT label ({quoted!r}): it copied or followed AMA "
                                       "wording; say it in plain clinical words"))
    out.sort(key=lambda p: p.offset)
    return out


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def check_labels_file(path: Path, column: str = "label", source: str | None = None) -> list[str]:
    """Every row of a curated labels CSV held to the rule: ``'<file>, line N: <code>: problem'`` each.

    ``source``: only rows whose ``source`` column equals it (``"cpt"`` in the modifier file:
    HCPCS Level II rows are CMS public wording).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    problems: list[str] = []
    header: list[str] | None = None
    reader = csv.reader(io.StringIO(text))
    for rec in reader:
        no = reader.line_num  # the record's last physical line (a quoted cell may span lines)
        if not rec or not "".join(rec).strip() or rec[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip() for c in rec]
            continue
        row = dict(zip(header, (c.strip() for c in rec)))
        if source is not None and row.get("source", "").lower() != source:
            continue
        for p in label_problems(row.get(column, "")):
            problems.append(f"{path}, line {no}: {row.get('code', '?')}: {p}")
    return problems


def check_label_files(data_dir: Path = DATA_DIR) -> list[str]:
    """:func:`check_labels_file` over our CPT labels and the CPT rows of the modifier file."""
    out: list[str] = []
    for name, column, source in LABEL_FILES:
        out.extend(check_labels_file(Path(data_dir) / name, column, source))
    return out


@lru_cache(maxsize=2)
def cpt_code_numbers(path: Path = DATA_DIR / "cpt_2026_labels.csv") -> frozenset[str]:
    """The CPT code numbers of our labels file (the numbers :func:`text_problems` looks near)."""
    text = Path(path).read_text(encoding="utf-8")
    rows = csv.reader(io.StringIO("".join(ln for ln in text.splitlines(True) if not ln.lstrip().startswith("#"))))
    next(rows, None)
    return frozenset(r[0].strip() for r in rows if r and r[0].strip())

"""Build the read-only code-set database (SQLite + FTS5) once, from offline sources.

Sources:

* ICD-10-CM: the tabular list shipped in the PyPI package ``simple_icd_10_cm`` (CDC, FY2026,
  April 1, 2026 update). Every chapter, block, category, subcategory and code is stored with its
  tabular-list notes and the 7th-character table that applies to it.
* HCPCS Level II, modifiers, place-of-service codes and CPT code *numbers* with our own labels:
  the curated CSV files in ``app/codes/data/`` (each states its source and year in a header comment).

Nothing here runs on a request path. Usage::

    python -m app.codes.build [PATH]        # default: <repo>/instance/codes.sqlite

No Flask and no SQLAlchemy here: stdlib ``sqlite3`` only.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

from ._schema import SCHEMA_VERSION
from .cpt_wording import CptWordingError, check_label_files
from .model import CPT, HCPCS, ICD10CM, MODIFIER, POS
from .shapes import ICD10CM_PATTERN, is_cpt

DATA_DIR = Path(__file__).resolve().parent / "data"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = REPO_ROOT / "instance" / "codes.sqlite"

ICD10CM_RELEASE = "ICD-10-CM FY2026 (April 1, 2026 update)"
HCPCS_RELEASE = "HCPCS Level II 2026 (curated subset)"
HCPCS_MODIFIER_RELEASE = "HCPCS Level II 2026 modifiers (CMS wording)"
CPT_MODIFIER_RELEASE = "CPT 2026 modifier numbers (our own wording)"
POS_RELEASE = "CMS Place of Service code set (2026)"
CPT_RELEASE = "CPT 2026 code numbers (our own labels; no AMA descriptors)"
CPT_LICENSED_RELEASE = "CPT 2026 (licensed descriptors imported by the institution)"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE codes (
    id INTEGER PRIMARY KEY,
    system TEXT NOT NULL,
    code TEXT NOT NULL,
    code_key TEXT NOT NULL,            -- code without dot (prefix search)
    description TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',     -- extra explanatory text (e.g. the CMS definition of a POS)
    kind TEXT NOT NULL,
    parent TEXT,
    billable INTEGER NOT NULL,
    chapter TEXT,
    own_wording INTEGER NOT NULL DEFAULT 0,
    release TEXT NOT NULL,
    sort INTEGER NOT NULL,
    notes TEXT,                        -- JSON object of note lists (ICD-10-CM), NULL when none
    seventh_owner TEXT,                -- code whose 7th-character table applies
    excludes1_refs TEXT,               -- JSON list: refs of this code and its ancestors
    UNIQUE (system, code)
);
CREATE INDEX codes_key ON codes (system, code_key);
CREATE INDEX codes_parent ON codes (system, parent, sort);
CREATE TABLE seventh (
    owner TEXT NOT NULL, char TEXT NOT NULL, meaning TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (owner, char)
);
-- descriptions alone (ranked first: bm25 length normalisation is not skewed by long term lists)
-- sys holds one token per row ("syscpt") so a system filter is an index lookup, not a scan
-- prefix indexes for 2-6 characters: "fract"* reads one prefix entry instead of merging every token
-- that starts so (a three-word query "fract femur neck" 1.2 ms -> 0.3 ms)
CREATE VIRTUAL TABLE desc_fts USING fts5(
    description, sys, tokenize='porter unicode61 remove_diacritics 2', prefix='2 3 4 5 6'
);
-- descriptions + inclusion terms (and category / definition text for curated systems)
CREATE VIRTUAL TABLE codes_fts USING fts5(
    description, terms, sys, tokenize='porter unicode61 remove_diacritics 2', prefix='2 3 4 5 6'
);
-- block and category headings only (~2,200 rows): a broad query ("fracture", 20,000 matches)
-- is ranked here, because ranking every match in desc_fts costs ~30 ms
CREATE VIRTUAL TABLE head_fts USING fts5(
    description, tokenize='porter unicode61 remove_diacritics 2', prefix='2 3 4 5 6'
);
"""

# --------------------------------------------------------------------------------------------
# Excludes1 reference parsing
# --------------------------------------------------------------------------------------------

# one ICD-10-CM shape inside and outside parentheses (app/codes/shapes.py: QA0 yes; "NOS",
# "HIV", "LAC" no)
_CODE = ICD10CM_PATTERN
_REF_RE = re.compile(
    rf"(?<![0-9A-Za-z.])({_CODE})"          # first code
    rf"(?:(?:\s*-\s*({_CODE}))"             # ... a range I10-I16
    rf"|(\.?-))?"                           # ... or a trailing dash E10.- / O24.4-
    rf"(?![0-9A-Za-z])"
)
_PAREN_RE = re.compile(r"\(([^()]*)\)")
_BARE_REF_RE = re.compile(
    rf"(?<![0-9A-Za-z.])({_CODE})(?:(?:\s*-\s*({_CODE}))|(\.?-))?(?![0-9A-Za-z])"
)


def parse_code_refs(text: str) -> list[str]:
    """Code references in a note text: prefixes (``E10`` for ``E10.-``) and ranges (``I10-I16``).

    >>> parse_code_refs("type 1 diabetes mellitus (E10.-)")
    ['E10']
    >>> parse_code_refs("gestational diabetes (O24.4-)")
    ['O24.4']
    >>> parse_code_refs("hypertensive disease (I10-I16)")
    ['I10-I16']
    >>> parse_code_refs("(E08.22, E09.22, E10.22)")
    ['E08.22', 'E09.22', 'E10.22']
    """
    out: list[str] = []

    def add(regex, chunk):
        for m in regex.finditer(chunk):
            first, last = m.group(1), m.group(2)
            ref = f"{first}-{last}" if last else first
            if ref not in out:
                out.append(ref)

    text = text or ""
    for group in _PAREN_RE.findall(text):
        add(_REF_RE, group)
    # a few notes cite codes outside parentheses ("... classified in H90.-", "... Z87.821")
    add(_BARE_REF_RE, _PAREN_RE.sub(" ", text))
    return out


# --------------------------------------------------------------------------------------------
# ICD-10-CM
# --------------------------------------------------------------------------------------------

def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _split(text: str | None) -> list[str]:
    return [_clean(t) for t in (text or "").split("\n") if _clean(t)]


def _icd_rows() -> Iterator[tuple[dict, list[tuple[str, str, str]], str]]:
    """Yield (row, seventh-table rows, fts terms) for every ICD-10-CM node in tabular order."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from simple_icd_10_cm import simple_icd_10_cm as icd  # slow (~1.5 s), build time only

    chapters = icd._chapter_list  # the parsed tabular tree (nodes in tabular order)
    code_of: dict[int, str] = {}
    sort = 0

    def node_code(node) -> str:
        name = _clean(node.name)
        if node.type == "section" and "-" not in name:
            # a block holding a single category has the category's name (B99): key it as a range
            return f"{name}-{name}"
        return name

    def walk(node, parent_code, chapter, inherited_refs):
        nonlocal sort
        sort += 1
        code = node_code(node)
        code_of[id(node)] = code
        t = node.type
        leaf = not node.children
        billable = leaf and t not in ("chapter", "section")
        if t == "chapter":
            kind = "chapter"
        elif t == "section":
            kind = "block"
        elif billable:
            kind = "code"
        elif t == "category":
            kind = "category"
        else:
            kind = "subcategory"

        seventh: list[tuple[str, str, str]] = []
        owner = None
        if node.seven_chr_def:
            owner = code
            for ch, text in node.seven_chr_def.items():
                parts = [_clean(p) for p in text.split("/", 1)]
                seventh.append((ch, parts[0], parts[1] if len(parts) > 1 else ""))
        elif node.seven_chr_def_ancestor is not None and t not in ("chapter", "section"):
            owner = code_of.get(id(node.seven_chr_def_ancestor))

        description = _clean(node.description)
        if t == "extended subcategory":
            # the library appends the 7th-character text (and any note after a '/'): keep the title
            description = description.split("/", 1)[0].strip()

        notes = {
            "includes": [_clean(x) for x in node.includes],
            "inclusion_terms": [_clean(x) for x in node.inclusion_term],
            "excludes1": [_clean(x) for x in node.excludes1],
            "excludes2": [_clean(x) for x in node.excludes2],
            "code_first": _split(node.code_first),
            "code_also": _split(node.code_also),
            "use_additional": _split(node.use_additional_code),
            "notes": _split(node.notes),
            "seventh_note": _split(node.seven_chr_note),
        }
        notes = {k: v for k, v in notes.items() if v}

        own_refs: list[str] = []
        for note in notes.get("excludes1", ()):
            for ref in parse_code_refs(note):
                if ref not in own_refs:
                    own_refs.append(ref)
        refs = own_refs + [r for r in inherited_refs if r not in own_refs]

        row = {
            "system": ICD10CM,
            "code": code,
            "code_key": code.replace(".", "") if kind not in ("chapter", "block") else code,
            "description": description,
            "detail": "",
            "kind": kind,
            "parent": parent_code,
            "billable": int(billable),
            "chapter": chapter,
            "own_wording": 0,
            "release": ICD10CM_RELEASE,
            "sort": sort,
            "notes": json.dumps(notes, ensure_ascii=False) if notes else None,
            "seventh_owner": owner,
            "excludes1_refs": json.dumps(refs) if refs else None,
        }
        terms = " ".join(notes.get("inclusion_terms", []) + notes.get("includes", []))
        yield row, seventh, terms
        for child in node.children:
            yield from walk(child, code, chapter, refs)

    for ch in chapters:
        yield from walk(ch, None, _clean(ch.name), [])


# --------------------------------------------------------------------------------------------
# Curated CSV files
# --------------------------------------------------------------------------------------------

def read_data_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a curated CSV file; lines starting with '#' are header comments (source, year)."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = [ln for ln in f if not ln.lstrip().startswith("#") and ln.strip()]
    rows = list(csv.DictReader(io.StringIO("".join(lines))))
    return [{k.strip(): (v or "").strip() for k, v in r.items() if k} for r in rows]


def _curated_rows(data_dir: Path | None = None) -> Iterator[tuple[dict, str]]:
    data_dir = Path(data_dir or DATA_DIR)
    sort = 0

    def row(system, code, description, detail="", own=False, release="", kind="code"):
        nonlocal sort
        sort += 1
        return {
            "system": system, "code": code, "code_key": code, "description": description,
            "detail": detail, "kind": kind, "parent": None, "billable": 1,
            "chapter": None, "own_wording": int(own), "release": release, "sort": sort,
            "notes": None, "seventh_owner": None, "excludes1_refs": None,
        }

    for r in read_data_csv(data_dir / "hcpcs_2026.csv"):
        yield row(HCPCS, r["code"], r["long_description"], release=HCPCS_RELEASE), r.get("category", "")
    for r in read_data_csv(data_dir / "modifiers_2026.csv"):
        cpt = r["source"].lower() == "cpt"
        yield row(MODIFIER, r["code"], r["description"], own=cpt,
                  release=CPT_MODIFIER_RELEASE if cpt else HCPCS_MODIFIER_RELEASE), ""
    for r in read_data_csv(data_dir / "pos_2026.csv"):
        yield row(POS, r["code"], r["name"], r["description"], release=POS_RELEASE), ""
    for r in read_data_csv(data_dir / "cpt_2026_labels.csv"):
        yield row(CPT, r["code"], r["label"], own=True, release=CPT_RELEASE), r.get("section", "")


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------

_COLS = ("system", "code", "code_key", "description", "detail", "kind", "parent",
         "billable", "chapter", "own_wording", "release", "sort", "notes", "seventh_owner",
         "excludes1_refs")
_INSERT = f"INSERT INTO codes ({', '.join(_COLS)}) VALUES ({', '.join('?' * len(_COLS))})"  # nosec B608 - constant column list


def _insert(conn: sqlite3.Connection, rows: Iterable[tuple[dict, str]], counts: dict) -> None:
    cur = conn.cursor()
    fts = []
    for r, terms in rows:
        cur.execute(_INSERT, tuple(r[c] for c in _COLS))
        if r["kind"] in ("block", "category"):
            cur.execute("INSERT INTO head_fts (rowid, description) VALUES (?, ?)", (cur.lastrowid, r["description"]))
        fts.append((cur.lastrowid, r["description"], " ".join(x for x in (terms, r["detail"]) if x),
                    "sys" + r["system"]))
        c = counts.setdefault(r["system"], {"entries": 0, "billable": 0})
        c["entries"] += 1
        c["billable"] += r["billable"]
    cur.executemany("INSERT INTO codes_fts (rowid, description, terms, sys) VALUES (?, ?, ?, ?)", fts)
    cur.executemany("INSERT INTO desc_fts (rowid, description, sys) VALUES (?, ?, ?)",
                    [(r, d, sy) for r, d, _, sy in fts])


def check_cpt_wording(data_dir: str | Path | None = None) -> None:
    """Refuse labels that break the CPT wording rule (:mod:`app.codes.cpt_wording`).

    Our CPT labels and the CPT rows of the modifier file are checked; a :class:`CptWordingError`
    names every file, line and problem. A licensed import (:func:`import_cpt_descriptors`) is
    exempt: it carries the AMA's own descriptors under the institution's licence.
    """
    problems = check_label_files(Path(data_dir or DATA_DIR))
    if problems:
        raise CptWordingError("CPT labels break the wording rule (at most six words of our own, no "
                              "descriptor phrase shapes; see docs/authoring.md):\n  " + "\n  ".join(problems))


def build_codes_db(path: str | Path = DEFAULT_DB_PATH, cpt_descriptors: str | Path | None = None,
                   data_dir: str | Path | None = None) -> dict:
    """Build the code-set database at ``path`` atomically; return counts per system.

    The file is written to a temporary file in the same directory and moved into place with
    ``os.replace``, so readers never see a half-built file. Returns
    ``{system: {"entries": n, "billable": m}, ..., "seconds": t}``.

    ``cpt_descriptors``: an institution's licensed CPT descriptor file (see
    :func:`import_cpt_descriptors`), applied before the file is moved into place -- a rebuild
    otherwise brings back our own CPT labels.

    ``data_dir``: the curated CSV files (default ``app/codes/data``). Their CPT labels are held to the
    wording rule first (:func:`check_cpt_wording`); nothing is written when one breaks it.
    """
    t0 = time.perf_counter()
    check_cpt_wording(data_dir)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    counts: dict = {}
    try:
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.executescript(_SCHEMA)
            sevenths: list[tuple[str, str, str, str]] = []

            def icd():
                for row, seventh, terms in _icd_rows():
                    sevenths.extend((row["code"], ch, meaning, note) for ch, meaning, note in seventh)
                    yield row, terms

            _insert(conn, icd(), counts)
            conn.executemany("INSERT INTO seventh VALUES (?, ?, ?, ?)", sevenths)
            _insert(conn, _curated_rows(data_dir), counts)
            meta = {
                "schema_version": SCHEMA_VERSION,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "release": ICD10CM_RELEASE,
                "release." + ICD10CM: ICD10CM_RELEASE,
                "release." + HCPCS: HCPCS_RELEASE,
                "release." + MODIFIER: f"{HCPCS_MODIFIER_RELEASE}; {CPT_MODIFIER_RELEASE}",
                "release." + POS: POS_RELEASE,
                "release." + CPT: CPT_RELEASE,
                "counts": json.dumps(counts),
            }
            conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            conn.execute("INSERT INTO codes_fts (codes_fts) VALUES ('optimize')")
            conn.execute("INSERT INTO desc_fts (desc_fts) VALUES ('optimize')")
            conn.execute("INSERT INTO head_fts (head_fts) VALUES ('optimize')")
            conn.commit()
            conn.execute("VACUUM")
        finally:
            conn.close()
        if cpt_descriptors is not None:
            import_cpt_descriptors(tmp, cpt_descriptors)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    return counts


# --------------------------------------------------------------------------------------------
# Licensed CPT descriptors
# --------------------------------------------------------------------------------------------

class CptImportError(ValueError):
    """The descriptor file is invalid; nothing was changed."""


def import_cpt_descriptors(db_path: str | Path, csv_path: str | Path) -> int:
    """Replace our CPT labels with an institution's licensed descriptors (CSV: code,descriptor).

    The whole file is validated first; on any error a :class:`CptImportError` names the line and
    the database is left unchanged. Codes not yet in the database are added. Returns the number
    of codes written. Open code sets cache entries: reopen them after an import.
    """
    db_path, csv_path = Path(db_path), Path(csv_path)
    if not db_path.exists():
        raise CptImportError(f"code database {db_path} does not exist (run `flask codes build`)")
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CptImportError(f"{csv_path}: cannot read file: {exc}") from exc
    reader = csv.reader(io.StringIO(text))
    rows: dict[str, str] = {}
    header_seen = False
    try:
        records = [(reader.line_num, rec) for rec in reader]  # line_num: physical line (quoted newlines)
    except csv.Error as exc:
        raise CptImportError(f"{csv_path}, line {reader.line_num}: malformed CSV: {exc}") from exc
    for line_no, rec in records:
        if not rec or all(not c.strip() for c in rec) or rec[0].lstrip().startswith("#"):
            continue
        if not header_seen:
            header = [c.strip().lower() for c in rec]
            if header[:2] != ["code", "descriptor"]:
                raise CptImportError(f"{csv_path}, line {line_no}: header must be 'code,descriptor', got {','.join(rec)!r}")
            header_seen = True
            continue
        if len(rec) != 2:
            raise CptImportError(f"{csv_path}, line {line_no}: expected 2 columns (code,descriptor), got {len(rec)}")
        code, desc = rec[0].strip().upper(), rec[1].strip()
        if not is_cpt(code):
            raise CptImportError(f"{csv_path}, line {line_no}: {rec[0]!r} is not a CPT code "
                                 "(5 digits, or 4 digits then A, F, M, T or U)")
        if not desc:
            raise CptImportError(f"{csv_path}, line {line_no}: empty descriptor for {code}")
        if code in rows:
            raise CptImportError(f"{csv_path}, line {line_no}: duplicate code {code}")
        rows[code] = desc
    if not header_seen:
        raise CptImportError(f"{csv_path}: empty file (expected header 'code,descriptor')")
    if not rows:
        raise CptImportError(f"{csv_path}: no descriptor rows")

    conn = sqlite3.connect(db_path)
    try:
        with conn:  # one transaction: all or nothing
            next_sort = conn.execute("SELECT COALESCE(MAX(sort), 0) FROM codes WHERE system = ?", (CPT,)).fetchone()[0]
            for code, desc in rows.items():
                found = conn.execute("SELECT id FROM codes WHERE system = ? AND code = ?", (CPT, code)).fetchone()
                if found:
                    rid = found[0]
                    conn.execute("UPDATE codes SET description = ?, own_wording = 0, release = ? WHERE id = ?",
                                 (desc, CPT_LICENSED_RELEASE, rid))
                    conn.execute("UPDATE codes_fts SET description = ? WHERE rowid = ?", (desc, rid))
                    conn.execute("UPDATE desc_fts SET description = ? WHERE rowid = ?", (desc, rid))
                else:
                    next_sort += 1
                    cur = conn.execute(_INSERT, (CPT, code, code, desc, "", "code", None, 1, None, 0,
                                                 CPT_LICENSED_RELEASE, next_sort, None, None, None))
                    rid = cur.lastrowid
                    conn.execute("INSERT INTO codes_fts (rowid, description, terms, sys) VALUES (?, ?, '', ?)",
                                 (rid, desc, "sys" + CPT))
                    conn.execute("INSERT INTO desc_fts (rowid, description, sys) VALUES (?, ?, ?)",
                                 (rid, desc, "sys" + CPT))
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('release.cpt', ?)", (CPT_LICENSED_RELEASE,))
    finally:
        conn.close()
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else Path(os.environ.get("CODESET_PATH") or DEFAULT_DB_PATH)
    try:
        counts = build_codes_db(path)
    except CptWordingError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"built {path}")
    for system, c in counts.items():
        print(f"  {system}: {c}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Normalising, looking up and searching codes in the code-set database built by ``build.py``.

Pure Python, stdlib ``sqlite3`` only (no Flask, no SQLAlchemy). The database is opened read-only,
one connection per thread; entries are cached, so a repeated lookup costs a few microseconds.
"""
from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import threading
import weakref
from pathlib import Path

from ._schema import SCHEMA_VERSION
from .model import CPT, HCPCS, ICD10CM, MODIFIER, POS, SYSTEMS, Code
from .shapes import is_cpt, is_hcpcs, is_icd10cm, is_modifier, is_pos

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = REPO_ROOT / "instance" / "codes.sqlite"

__all__ = [
    "normalize", "SqliteCodeSet", "CodeSetMissing", "open_codeset", "default_codeset",
    "set_default_codeset", "default_codeset_path",
]

# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def normalize(system: str, raw) -> str | None:
    """Canonical spelling of ``raw`` in ``system``, or None if it cannot be a code. Never raises.

    Case, spaces and a missing or misplaced dot are forgiven: ``e1122`` -> ``E11.22``,
    `` s72001a`` -> ``S72.001A``, ``"99214 "`` -> ``99214``, ``j 1885`` -> ``J1885``,
    ``-25`` -> ``25`` (modifier), ``2`` -> ``02`` (POS). This checks the shape only; whether the
    code exists is :meth:`SqliteCodeSet.get`'s business.
    """
    try:
        if not isinstance(raw, str) or system not in SYSTEMS:
            return None
        s = _SPACES.sub("", raw).upper()
        if not s or len(s) > 12:
            return None
        if system == ICD10CM:
            if s.endswith("-"):          # tabular notation "E11.-" names the category
                s = s[:-1]
            s = s.replace(".", "")
            if not is_icd10cm(s, dot_optional=True):
                return None
            return s if len(s) == 3 else f"{s[:3]}.{s[3:]}"
        if system == CPT:
            return s if is_cpt(s) else None
        if system == HCPCS:
            return s if is_hcpcs(s) else None
        if system == MODIFIER:
            s = s.lstrip("-")
            return s if is_modifier(s) else None
        if system == POS:
            return s.zfill(2) if is_pos(s.zfill(2)) else None
    except Exception:  # pragma: no cover - belt and braces: normalise never raises
        return None
    return None


def _key(code: str) -> str:
    return code.replace(".", "")


_ORDINAL = {4: "4th", 5: "5th", 6: "6th", 7: "7th"}


# --------------------------------------------------------------------------------------------
# The code set
# --------------------------------------------------------------------------------------------

class CodeSetMissing(RuntimeError):
    """The code-set database file does not exist (build it with ``flask codes build``)."""


class _Conn:
    """A thread's connection; closed when the thread (and so its thread-local) goes away."""

    __slots__ = ("conn", "__weakref__")

    def __init__(self, conn: sqlite3.Connection):
        self.conn: sqlite3.Connection | None = conn

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # pragma: no cover
                pass

    def __del__(self):
        self.close()


_ROW_COLS = ("system, code, description, detail, kind, parent, billable, chapter, own_wording, "
             "release, notes, seventh_owner, excludes1_refs")


class SqliteCodeSet:
    """Read-only code set backed by the SQLite file made by :func:`app.codes.build.build_codes_db`.

    Implements the :class:`app.codes.model.CodeSet` protocol plus browsing and search. Safe to
    share between threads (one read-only connection per thread).
    """

    def __init__(self, path: str | Path, cache_size: int = 8192):
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise CodeSetMissing(
                f"code-set database {self.path} not found: build it with `flask codes build` "
                f"(or `python -m app.codes.build {self.path}`)"
            )
        self._uri = self.path.as_uri() + "?mode=ro"
        self._local = threading.local()
        # weak: a connection lives as long as its thread (threaded servers start many threads)
        self._conns: weakref.WeakSet[_Conn] = weakref.WeakSet()
        self._conns_lock = threading.Lock()
        try:
            meta = dict(self._conn().execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            self.close()
            raise CodeSetMissing(
                f"{self.path} is not a code-set database ({exc}): rebuild it with `flask codes build`"
            ) from exc
        if meta.get("schema_version") != SCHEMA_VERSION:
            self.close()
            raise CodeSetMissing(
                f"{self.path} was built by another version of app.codes (schema "
                f"{meta.get('schema_version')!r}, need {SCHEMA_VERSION!r}): rebuild it with `flask codes build`"
            )
        self.meta = meta
        #: the ICD-10-CM release label, e.g. "ICD-10-CM FY2026 (April 1, 2026 update)"
        self.release: str = meta.get("release", "")
        #: release label per system
        self.releases: dict[str, str] = {s: meta.get("release." + s, "") for s in SYSTEMS}
        self._get_cached = functools.lru_cache(maxsize=cache_size)(self._load)
        self._seventh_cached = functools.lru_cache(maxsize=1024)(self._load_seventh)
        self._children_cached = functools.lru_cache(maxsize=2048)(self._load_children)
        self._refs_cached = functools.lru_cache(maxsize=cache_size)(self._load_refs)

    # -- connections ---------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        holder = getattr(self._local, "conn", None)
        if holder is None or holder.conn is None:
            conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            holder = _Conn(conn)
            self._local.conn = holder
            with self._conns_lock:
                self._conns.add(holder)
        return holder.conn

    def close(self) -> None:
        """Close every connection this code set opened (call on shutdown or in tests)."""
        with self._conns_lock:
            for holder in list(self._conns):
                holder.close()
            self._conns.clear()
        self._local = threading.local()

    # -- loading -------------------------------------------------------------------------------
    def _load_seventh(self, owner: str) -> tuple[tuple[str, str], ...]:
        rows = self._conn().execute(
            "SELECT char, meaning FROM seventh WHERE owner = ? ORDER BY rowid", (owner,)
        ).fetchall()
        return tuple((c, m) for c, m in rows)

    def _row_to_code(self, row) -> Code:
        (system, code, description, detail, kind, parent, billable, chapter, own, release,
         notes, seventh_owner, _refs) = row
        n = json.loads(notes) if notes else {}
        return Code(
            system=system, code=code, description=description, billable=bool(billable),
            kind=kind, parent=parent, release=release, own_wording=bool(own),
            includes=tuple(n.get("includes", ())),
            inclusion_terms=tuple(n.get("inclusion_terms", ())),
            excludes1=tuple(n.get("excludes1", ())),
            excludes2=tuple(n.get("excludes2", ())),
            code_first=tuple(n.get("code_first", ())),
            code_also=tuple(n.get("code_also", ())),
            use_additional=tuple(n.get("use_additional", ())),
            seventh_characters=self._seventh_cached(seventh_owner) if seventh_owner else (),
            notes=tuple(n.get("notes", ())),
            seventh_note=" ".join(n.get("seventh_note", ())),
            chapter=chapter,
            detail=detail or "",
        )

    def _load(self, system: str, code: str) -> Code | None:
        row = self._conn().execute(
            f"SELECT {_ROW_COLS} FROM codes WHERE system = ? AND code = ?", (system, code)  # nosec B608 - constant columns
        ).fetchone()
        return self._row_to_code(row) if row else None

    def _canonical(self, system: str, raw) -> str | None:
        code = normalize(system, raw)
        if code is None and system == ICD10CM and isinstance(raw, str):
            # chapters ("1".."22") and blocks ("A00-A09") are addressed by their exact names
            s = raw.strip().upper()
            if s and len(s) <= 15:
                return s
        return code

    # -- the CodeSet protocol ------------------------------------------------------------------
    def get(self, system: str, code) -> Code | None:
        """The entry for ``code`` in any spelling (``e1122``, ``E11.22 ``), or None."""
        try:
            canon = self._canonical(system, code)
            if canon is None:
                return None
            return self._get_cached(system, canon)
        except sqlite3.Error:
            raise
        except Exception:
            return None

    def is_valid(self, system: str, code) -> bool:
        """Whether the code exists in the code set (billable or not)."""
        return self.get(system, code) is not None

    def is_billable(self, system: str, code) -> bool:
        """Whether the code exists and can be reported on a claim."""
        c = self.get(system, code)
        return bool(c and c.billable)

    def excludes1_refs(self, code) -> tuple[str, ...]:
        """Code refs (``E10``, ``O24.4``, ``I10-I16``) in the Excludes1 notes of an ICD-10-CM code
        and of its ancestors (category, block, chapter); () if the code does not exist."""
        canon = self._canonical(ICD10CM, code)
        return self._refs_cached(canon) if canon else ()

    def _load_refs(self, code: str) -> tuple[str, ...]:
        row = self._conn().execute(
            "SELECT excludes1_refs FROM codes WHERE system = ? AND code = ?", (ICD10CM, code)
        ).fetchone()
        return tuple(json.loads(row[0])) if row and row[0] else ()

    def missing_detail(self, system: str, code) -> str | None:
        """What a non-billable ICD-10-CM entry lacks, in plain words; None for a billable code and
        for other systems.

        For a code that does not exist, a hint when one is sensible, else None: a placeholder-X
        slip (``S01.01A`` -> "needs a placeholder X before the 7th character: S01.01XA"), or the
        nearest existing header and what it needs (``T81.4XXA`` -> "T81.4 needs more characters
        (a 5th character): pick one of T81.40, ..."; ``S72.001Z`` -> "S72.001 needs a 7th
        character (A ..., ...)"). None when the nearest existing ancestor is billable (``E11.99``).
        Never raises on odd input.
        """
        try:
            return self._missing_detail(system, code)
        except sqlite3.Error:
            raise
        except Exception:  # pragma: no cover - garbage in, None out
            return None

    def _missing_detail(self, system: str, code) -> str | None:
        if system != ICD10CM:
            return None
        entry = self.get(system, code)
        if entry is None:
            return self._placeholder_hint(code)
        if entry.billable:
            return None
        if entry.kind == "chapter":
            return f"chapter {entry.code} is a heading, not a code: pick a code within it"
        if entry.kind == "block":
            return f"{entry.code} is a block (a range of categories), not a code: pick a code within it"
        kids = self.children(system, entry.code)
        if not kids:  # pragma: no cover - every ICD-10-CM header has children
            return "is a heading, not a code"
        key = _key(entry.code)
        if all(len(_key(k.code)) == 7 and k.billable for k in kids) and entry.seventh_characters:
            # every child adds the 7th character, with placeholder X where the code is short
            pad = 6 - len(key)
            chars = [_key(k.code)[-1] for k in kids]
            meaning = dict(entry.seventh_characters)
            table = ", ".join(f"{c} {meaning.get(c, '')}".strip() for c in chars)
            if pad > 0:
                xs = "X" * pad
                example = kids[0].code
                what = "a placeholder X" if pad == 1 else f"placeholders {xs}"
                return (f"needs {what} then a 7th character ({table}): "
                        f"e.g. {example}")
            return f"needs a 7th character ({table})"
        child_len = min(len(_key(k.code)) for k in kids)
        pos = _ORDINAL.get(len(key) + 1, f"{len(key) + 1}th")
        names = [k.code for k in kids]
        if len(names) > 12:
            listed = ", ".join(names[:10]) + f", ... ({len(names)} in all)"
        else:
            listed = ", ".join(names)
        if child_len > len(key) + 1 or any(k.code.endswith("X") and not k.billable for k in kids):
            return f"needs more characters (starting with a placeholder X): pick one of {listed}"
        return f"needs more characters (a {pos} character): pick one of {listed}"

    def _placeholder_hint(self, code) -> str | None:
        """For a code that doesn't exist: would it exist with placeholder X (or a 7th char)?"""
        key = normalize(ICD10CM, code)
        if key is None:
            return None
        key = _key(key)
        # "S0101A" -> "S0101XA", "T07A" -> "T07XXXA": X padding before a 7th character
        if 4 <= len(key) <= 6 and key[-1].isalpha():
            candidate = key[:-1].ljust(6, "X") + key[-1]
            c = self.get(ICD10CM, candidate)
            if c is not None and c.billable:
                return f"needs a placeholder X before the 7th character: {c.code}"
        # "S0101X" -> children of "S01.01": only the 7th character is missing
        stripped = key.rstrip("X")
        if stripped != key and len(stripped) >= 3:
            base = self.get(ICD10CM, stripped)
            if base is not None and not base.billable:
                kids = [k for k in self.children(ICD10CM, base.code) if _key(k.code).startswith(key)]
                if kids and all(len(_key(k.code)) == 7 for k in kids):
                    meaning = dict(base.seventh_characters)
                    table = ", ".join(f"{_key(k.code)[-1]} {meaning.get(_key(k.code)[-1], '')}".strip() for k in kids)
                    return f"needs a 7th character ({table})"
        # the nearest existing ancestor is a header: say what it needs ("T81.4XXA": T81.4 was
        # expanded in FY2024 and needs a 5th character; "S72.001Z": Z is no valid 7th character)
        for n in range(len(key) - 1, 2, -1):
            base = self.get(ICD10CM, key[:n])
            if base is not None:
                if base.billable:
                    return None
                detail = self.missing_detail(ICD10CM, base.code)
                return f"{base.code} {detail}" if detail else None
        return None

    def placeholder_fix(self, code) -> str | None:
        """The existing billable code a placeholder-X slip meant (``S01.01A`` -> ``S01.01XA``)."""
        key = normalize(ICD10CM, code)
        if key is None or self.get(ICD10CM, key) is not None:
            return None
        key = _key(key)
        if 4 <= len(key) <= 6 and key[-1].isalpha():
            c = self.get(ICD10CM, key[:-1].ljust(6, "X") + key[-1])
            if c is not None and c.billable:
                return c.code
        return None

    # -- browsing --------------------------------------------------------------------------------
    def _load_children(self, system: str, code: str | None) -> tuple[Code, ...]:
        if code is None:
            rows = self._conn().execute(
                "SELECT code FROM codes WHERE system = ? AND parent IS NULL ORDER BY sort", (system,)
            ).fetchall()
        else:
            rows = self._conn().execute(
                "SELECT code FROM codes WHERE system = ? AND parent = ? ORDER BY sort", (system, code)
            ).fetchall()
        return tuple(self._get_cached(system, r[0]) for r in rows)

    def children(self, system: str, code=None) -> list[Code]:
        """Direct children in tabular order; ``code=None`` lists the top level (ICD-10-CM
        chapters, or every code of a flat system)."""
        if code is None:
            return list(self._children_cached(system, None))
        entry = self.get(system, code)
        return list(self._children_cached(system, entry.code)) if entry else []

    def ancestors(self, code, system: str = ICD10CM) -> list[Code]:
        """Ancestors of a code, nearest first (parent, ..., block, chapter)."""
        out: list[Code] = []
        entry = self.get(system, code)
        while entry is not None and entry.parent:
            entry = self._get_cached(system, entry.parent)
            if entry is not None:
                out.append(entry)
        return out

    def notes_in_effect(self, code) -> dict[str, list[tuple[str, str]]]:
        """Every tabular note that applies to an ICD-10-CM code, its own and its ancestors',
        as ``{kind: [(from_code, text), ...]}`` (kinds: includes, inclusion_terms, excludes1,
        excludes2, code_first, code_also, use_additional, notes)."""
        entry = self.get(ICD10CM, code)
        if entry is None:
            return {}
        out: dict[str, list[tuple[str, str]]] = {}
        for e in [entry, *self.ancestors(entry.code)]:
            for kind in ("includes", "inclusion_terms", "excludes1", "excludes2", "code_first",
                         "code_also", "use_additional", "notes"):
                for text in getattr(e, kind):
                    out.setdefault(kind, []).append((e.code, text))
        return out

    # -- search ----------------------------------------------------------------------------------
    #: above this many description matches a query is answered from the headings first
    BROAD_QUERY = 3000
    _STOP = frozenset("a an and as at by for from in is of on or the to with without nos".split())
    _WORD = re.compile(r"[0-9a-z]+")

    def _code_like(self, q: str, system: str | None) -> list[tuple[str, str]]:
        """(system, key prefix) pairs if the query looks like (the start of) a code."""
        s = _SPACES.sub("", q).upper().rstrip("-")
        out = []
        for sy in ([system] if system else list(SYSTEMS)):
            if sy == ICD10CM:
                k = s.replace(".", "")
                if re.fullmatch(r"[A-Z][0-9][0-9A-Z]{0,5}|[A-Z][A-Z][0-9][0-9A-Z]{0,4}", k):
                    out.append((sy, k))
            elif sy == CPT and re.fullmatch(r"[0-9]{2,4}[0-9A-Z]?", s):
                out.append((sy, s))
            elif sy == HCPCS and re.fullmatch(r"[A-V][0-9]{0,4}", s) and len(s) >= 2:
                out.append((sy, s))
            elif sy == MODIFIER and re.fullmatch(r"-?[0-9A-Z]{2}", s):
                out.append((sy, s.lstrip("-")))
            elif sy == POS and re.fullmatch(r"[0-9]{1,2}", s):
                out.append((sy, s.zfill(2) if len(s) == 1 else s))
        return out

    def search(self, query, system: str | None = None, limit: int = 20) -> list[Code]:
        """Codes matching ``query``, best first.

        A query shaped like a code (``E11.2``, ``992``, ``J18``) is a code-prefix search, exact
        match first, then shorter codes. Otherwise a full-text search on descriptions and
        inclusion terms with prefix matching per word ("diab kidn", "fract femur neck").
        Empty or garbage queries return [].
        """
        try:
            if not isinstance(query, str) or (system is not None and system not in SYSTEMS):
                return []
            limit = max(1, min(int(limit), 500))
            q = query.strip()[:200]
            if not q:
                return []
            results: list[Code] = []
            seen: set[tuple[str, str]] = set()

            def add(c: Code | None):
                if c is not None and (c.system, c.code) not in seen and len(results) < limit:
                    seen.add((c.system, c.code))
                    results.append(c)

            conn = self._conn()
            for sy, prefix in self._code_like(q, system):
                # exact first, then by length, then tabular/code order
                rows = conn.execute(
                    "SELECT code FROM codes WHERE system = ? AND code_key >= ? AND code_key < ? "
                    "AND kind NOT IN ('chapter', 'block') "
                    "ORDER BY code_key != ?, length(code_key), sort LIMIT ?",
                    (sy, prefix, prefix + "\uffff", prefix, limit),
                ).fetchall()
                for (code,) in rows:
                    add(self._get_cached(sy, code))
            if results:
                if len(results) > 1:
                    # several systems matched (e.g. "J18": HCPCS and ICD-10-CM): exact matches first
                    want = _SPACES.sub("", q).upper()
                    results.sort(key=lambda c: (c.code.replace(".", "") != want.replace(".", "")))
                return results[:limit]

            words = [w for w in self._WORD.findall(q.lower()) if len(w) <= 40][:10]
            terms = [w for w in words if w not in self._STOP] or words
            if not terms:
                return []
            # every word as a prefix; whole-word hits are OR'd in so they rank higher
            # ("office" before "official"); the OR branch never widens the result set
            # (a one-character word is matched whole: "a*" would match most of the tabular list)
            prefix = " AND ".join(f'"{w}"*' if len(w) > 1 else f'"{w}"' for w in terms)
            whole = " AND ".join(f'"{w}"' for w in terms)
            words_match = f"({prefix}) OR ({whole})"
            matches = conn.execute("SELECT count(*) FROM desc_fts WHERE desc_fts MATCH ?",
                                   (f"{{description}} : ({prefix})",)).fetchone()[0]
            if matches > self.BROAD_QUERY:
                # Too broad to rank every match quickly: the best-ranked headings, then matches in
                # tabular order (the student narrows the query from there).
                for sql, args in (
                    ("SELECT c.system, c.code FROM head_fts f CROSS JOIN codes c ON c.id = f.rowid "
                     "WHERE head_fts MATCH ? AND (? IS NULL OR c.system = ?) ORDER BY bm25(head_fts) LIMIT ?",
                     (words_match, system, system, limit)),
                    ("SELECT c.system, c.code FROM desc_fts f CROSS JOIN codes c ON c.id = f.rowid "
                     "WHERE desc_fts MATCH ? AND (? IS NULL OR c.system = ?) LIMIT ?",
                     (f"{{description}} : ({prefix})", system, system, limit * 2)),
                ):
                    for sy, code in conn.execute(sql, args).fetchall():
                        add(self._get_cached(sy, code))
                return results
            # descriptions first, then entries matched through their inclusion terms / definitions
            for table, cols, rank in (
                ("desc_fts", "description", "bm25(desc_fts, 1.0, 0.0)"),
                ("codes_fts", "description terms", "bm25(codes_fts, 10.0, 3.0, 0.0)"),
            ):
                if len(results) >= limit:
                    break
                match = f"{{{cols}}} : ({words_match})"
                # The system is filtered on the joined row, not as an FTS term: a "sys" term
                # matches every ICD-10-CM row and made each query intersect ~98,000 postings
                # (2-5 ms). CROSS JOIN keeps SQLite scanning the FTS matches first.
                rows = conn.execute(  # nosec B608 - table and rank come from the constant tuple above
                    f"SELECT c.system, c.code FROM {table} f CROSS JOIN codes c ON c.id = f.rowid "
                    f"WHERE {table} MATCH ? AND (? IS NULL OR c.system = ?) "
                    f"ORDER BY {rank} + (c.kind = 'code' AND length(c.code_key) = 7) * 2.0 "
                    "+ (c.kind IN ('chapter', 'block')) * 1.0 LIMIT ?",
                    (match, system, system, limit + len(results)),
                ).fetchall()
                for sy, code in rows:
                    add(self._get_cached(sy, code))
            return results
        except sqlite3.OperationalError:
            return []

    def __repr__(self) -> str:
        return f"SqliteCodeSet({str(self.path)!r}, release={getattr(self, 'release', '')!r})"


# --------------------------------------------------------------------------------------------
# Module-level default code set
# --------------------------------------------------------------------------------------------

_default: SqliteCodeSet | None = None
_default_lock = threading.Lock()


def default_codeset_path() -> Path:
    """``$CODESET_PATH`` if set, else ``<repo>/instance/codes.sqlite``."""
    env = os.environ.get("CODESET_PATH")
    return Path(env) if env else DEFAULT_DB_PATH


def open_codeset(path: str | Path | None = None) -> SqliteCodeSet:
    """Open the code-set database at ``path`` (default: :func:`default_codeset_path`)."""
    return SqliteCodeSet(path if path is not None else default_codeset_path())


def default_codeset() -> SqliteCodeSet:
    """The process-wide code set used when none is passed (opened lazily on first use).

    Raises :class:`CodeSetMissing` (naming ``flask codes build``) if the file does not exist.
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = open_codeset()
    return _default


def set_default_codeset(cs) -> None:
    """Replace the process-wide code set (``None`` resets it to lazy opening of the default path)."""
    global _default
    with _default_lock:
        _default = cs

"""Dated pay and outlook figures (``content/figures.yml``): loaded, checked, and expanded into text.

One home for every figure the role-fit result page and the lessons show. Lessons write
``[[figure:ID]]`` for one figure inside a sentence and ``[[figures:ID, ID]]`` (alone on a line) for a
Markdown table; both expand to the value with its period and source, so a lesson cannot drift from
the data file. Pure Python: no Flask, no database.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from app.content.errors import ContentError
from app.content.reader import Reader
from app.content.yamlmarks import LineDict

FIELDS = ("id", "label", "value", "unit", "measure", "period", "source", "edition", "table", "url",
          "retrieved", "found_via")
OPTIONAL = ("note",)
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
YEAR_RE = re.compile(r"\b(19|20)\d\d\b")
FIGURE_RE = re.compile(r"\[\[figure:\s*([^\]\s]+)\s*\]\]")
TABLE_RE = re.compile(r"^\[\[figures:\s*([^\]]+)\]\][ \t]*$", re.M)  # [ \t]: never the blank line after it
ANY_TOKEN_RE = re.compile(r"\[\[figures?:[^\]]*\]\]")


@dataclass(frozen=True)
class Figure:
    id: str
    label: str
    value: str
    unit: str
    measure: str
    period: str
    source: str
    edition: str
    table: str
    url: str
    retrieved: dt.date
    found_via: tuple[str, ...]
    note: str = ""

    @property
    def citation(self) -> str:
        """Source, edition, table and retrieved date, as shown beside the figure."""
        return f"{self.source}, {self.edition}, {self.table}; retrieved {self.retrieved.isoformat()}"

    def inline(self) -> str:
        """The figure inside a sentence: value, measure and period, then its source."""
        return f"{self.value} ({self.measure}, {self.period}; source: {self.source}, {self.edition})"


def load_figures(path: str | Path) -> dict[str, Figure]:
    """Every figure by id; a ContentError names the file and the entry's line."""
    path = Path(path)
    if not path.exists():
        return {}
    data = Reader(path).data()
    if not isinstance(data, dict) or not isinstance(data.get("figures"), list) or not data["figures"]:
        raise ContentError(path, 1, "expected 'figures:' with a list of figures")

    figures: dict[str, Figure] = {}
    for index, item in enumerate(data["figures"]):
        if not isinstance(item, dict):
            raise ContentError(path, data["figures"].line_of(index), f"figures[{index}]: expected a mapping")
        fid = str(item.get("id", "")).strip()
        line = item.line if isinstance(item, LineDict) else None
        if not ID_RE.match(fid):
            raise ContentError(path, line, f"figures[{index}]: id must be lower-case words joined by hyphens")
        if fid in figures:
            raise ContentError(path, line, f"{fid}: duplicate id")
        unknown = set(item) - set(FIELDS) - set(OPTIONAL)
        if unknown:
            raise ContentError(path, line, f"{fid}: unknown field(s): {', '.join(sorted(unknown))}")
        missing = [k for k in FIELDS if item.get(k) in (None, "", [])]
        if missing:
            raise ContentError(path, line, f"{fid}: missing {', '.join(missing)} (every figure shows its "
                                           "period, source, edition, table, URL and retrieved date)")
        if not YEAR_RE.search(str(item["period"])):
            raise ContentError(path, line, f"{fid}: period '{item['period']}' names no year")
        if "average" in str(item["measure"]).lower() and "median" in str(item["measure"]).lower():
            raise ContentError(path, line, f"{fid}: a median is a median, not an average")
        retrieved = item["retrieved"]
        if not isinstance(retrieved, dt.date):
            raise ContentError(path, line, f"{fid}: retrieved must be a date (YYYY-MM-DD)")
        urls = item["found_via"] if isinstance(item["found_via"], list) else [item["found_via"]]
        if not all(str(u).startswith("https://") or str(u).startswith("http://") for u in [item["url"], *urls]):
            raise ContentError(path, line, f"{fid}: url and found_via must be web addresses")
        figures[fid] = Figure(
            id=fid, label=str(item["label"]).strip(), value=str(item["value"]).strip(),
            unit=str(item["unit"]).strip(), measure=str(item["measure"]).strip(),
            period=str(item["period"]).strip(), source=str(item["source"]).strip(),
            edition=str(item["edition"]).strip(), table=str(item["table"]).strip(), url=str(item["url"]).strip(),
            retrieved=retrieved, found_via=tuple(str(u) for u in urls), note=str(item.get("note") or "").strip(),
        )
    return figures


def _table(ids: list[str], figures: dict[str, Figure]) -> str:
    rows = ["| Figure | Value | Period | Source (edition; page or table; retrieved) |", "|---|---|---|---|"]
    for fid in ids:
        f = figures[fid]
        label = f.label + (f" — {f.note}" if f.note else "")
        rows.append(f"| {label} | {f.value} ({f.measure}) | {f.period} | [{f.source}]({f.url}), {f.edition}; "
                    f"{f.table}; retrieved {f.retrieved.isoformat()} |")
    return "\n".join(rows)


def unknown_figure_refs(text: str, figures: dict[str, Figure]) -> list[tuple[int, str]]:
    """(line, problem) for each figure token in ``text`` that names no figure or is malformed."""
    problems = []
    for i, line in enumerate(text.splitlines(), 1):
        for token in ANY_TOKEN_RE.findall(line):
            inner = token[2:-2]
            kind, _, rest = inner.partition(":")
            ids = [x.strip() for x in rest.split(",")] if kind == "figures" else [rest.strip()]
            if kind == "figures" and not TABLE_RE.match(line.strip()):
                problems.append((i, f"{token}: a figures table must stand alone on its line"))
            for fid in ids:
                if fid not in figures:
                    problems.append((i, f"{token}: no figure '{fid}' in content/figures.yml"))
    return problems


def copied_figures(text: str, figures: dict[str, Figure]) -> list[tuple[int, str]]:
    """(line, problem) where a figure's number is typed into the text instead of named by its token:
    a typed copy would not change when content/figures.yml does."""
    problems = []
    numbers = {}
    for f in figures.values():
        for number in re.findall(r"[$+-]?\d[\d,.]*%?", f.value):
            if len(number.strip("$+-%,.")) >= 2 or number.endswith("%"):  # "$50,250", "$24.16", "+7%"
                numbers.setdefault(number, f.id)
    for i, line in enumerate(text.splitlines(), 1):
        bare = ANY_TOKEN_RE.sub("", line)
        for number, fid in numbers.items():
            if re.search(rf"(?<![\w$.,]){re.escape(number)}(?![\d,]*\d)", bare):
                problems.append((i, f"{number}: write [[figure:{fid}]] so the figure comes from content/figures.yml"))
    return problems


def expand_figures(text: str, figures: dict[str, Figure]) -> str:
    """Replace figure tokens by the figures (call ``unknown_figure_refs`` first)."""
    text = TABLE_RE.sub(lambda m: _table([x.strip() for x in m.group(1).split(",")], figures), text)
    return FIGURE_RE.sub(lambda m: figures[m.group(1)].inline(), text)

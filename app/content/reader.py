"""Reading content files: the one way every loader (cases, questions, scenarios, lessons, figures,
role fit) turns a YAML file into checked values whose problems name the file and the line.

A file is read with the project's bounded YAML loader (:func:`app.content.yamlmarks.load_yaml`:
aliases, anchors, deep nesting and too many values are refused before anything is built), which
keeps the line of every key and list item. A :class:`Reader` hands the values out as
:class:`Node` (a value and its line) through typed getters that raise
:class:`~app.content.errors.ContentError` with the file and the line; :func:`load_dir` is the
directory loop (sorted ``*.yml`` / ``*.yaml``, the slug is the file name). Pure: no Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from app.content.errors import ContentError
from app.content.yamlmarks import LineDict, LineList, load_yaml

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
T = TypeVar("T")


@dataclass(frozen=True)
class Node:
    """A value read from a file and the line it starts on."""

    value: Any
    line: int


def value_line(data: LineDict, key) -> int:
    """The line a key's value starts on: a mapping's or list's own line, else the key's."""
    line = getattr(data.get(key), "line", 0)
    return line or data.line_of(key)


def line_at(data: Any, path: Iterable) -> int | None:
    """The line of the deepest value found along ``path`` (keys and list positions) from ``data``."""
    line = getattr(data, "line", None) or None
    for step in path:
        if isinstance(data, LineDict) and step in data:
            line, data = value_line(data, step), data[step]
        elif isinstance(data, LineList) and isinstance(step, int) and 0 <= step < len(data):
            line, data = getattr(data[step], "line", 0) or data.line_of(step), data[step]
        else:
            break
    return line


def read_text(path: str | Path) -> str:
    """A content file's text (UTF-8); a ContentError when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(str(path), None, f"cannot read file: {exc}") from exc


class Reader:
    """One content file's values, handed out through typed getters that name the file and line."""

    def __init__(self, path: str | Path, text: str | None = None, line_offset: int = 0) -> None:
        """``text``: the YAML when it is not the whole file (a lesson's front matter), starting
        ``line_offset`` lines into it."""
        self.path = str(path)
        self.source = read_text(path) if text is None else text
        self.line_offset = line_offset

    def err(self, where: Node | int | None, message: str) -> ContentError:
        return ContentError(self.path, where.line if isinstance(where, Node) else where, message)

    def data(self) -> Any:
        """The file's YAML as plain values that keep their lines (LineDict, LineList)."""
        return load_yaml(self.source, self.path, line_offset=self.line_offset)

    def root(self, what: str) -> Node:
        """The file's top-level mapping; an empty file or another shape is refused."""
        data = self.data()
        if data is None:
            raise ContentError(self.path, 1, "the file is empty")
        if not isinstance(data, LineDict):
            raise ContentError(self.path, getattr(data, "line", 1), f"{what} must be a mapping of fields")
        return Node(data, data.line)

    def mapping(self, node: Node, what: str) -> dict[str, tuple[Node, Node]]:
        """Keys of a mapping -> (key, value); refuses other values, keys that are not plain names and
        keys written twice."""
        data = node.value
        if not isinstance(data, LineDict):
            raise self.err(node, f"{what} must be a mapping")
        out: dict[str, tuple[Node, Node]] = {}
        repeated = getattr(data, "repeated", {})
        for key in data:
            if isinstance(key, (LineDict, LineList, tuple)):
                raise self.err(data.line, f"{what}: keys must be plain names")
            name = str(key)
            if key in repeated:
                raise self.err(repeated[key], f"{what}: duplicate key '{name}'")
            out[name] = (Node(key, data.line_of(key)), Node(data[key], value_line(data, key)))
        return out

    def check_keys(self, fields: dict[str, tuple[Node, Node]], allowed: Iterable[str], what: str) -> None:
        allowed = set(allowed)
        for key, (knode, _v) in fields.items():
            if key not in allowed:
                raise self.err(knode, f"{what}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")

    def string(self, node: Node, what: str, *, nonempty: bool = True) -> str:
        if not isinstance(node.value, str):
            hint = " (quote it)" if isinstance(node.value, (int, float)) else ""
            raise self.err(node, f"{what} must be a string{hint}")
        if nonempty and not node.value.strip():
            raise self.err(node, f"{what} must not be empty")
        return node.value

    def integer(self, node: Node, what: str) -> int:
        if not isinstance(node.value, int) or isinstance(node.value, bool):
            raise self.err(node, f"{what} must be an integer")
        return node.value

    def boolean(self, node: Node, what: str) -> bool:
        if not isinstance(node.value, bool):
            raise self.err(node, f"{what} must be true or false")
        return node.value

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node.value, list):
            raise self.err(node, f"{what} must be a list")
        return [Node(item, getattr(item, "line", 0) or node.value.line_of(i)) for i, item in enumerate(node.value)]


def yaml_files(directory: Path) -> list[Path]:
    """The ``*.yml`` / ``*.yaml`` files of a directory, sorted by name."""
    return sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def read_dir(directory: str | Path, load: Callable[[Path], T], slug: Callable[[T], tuple[str, int | None]],
             clash: str = "slug '{slug}' is also used by {other}",
             check: Callable[[T], list[ContentError]] | None = None) -> tuple[list[T], list[ContentError]]:
    """Every YAML file of ``directory`` read with ``load`` (sorted by file name), and every problem in
    file order: a file's ContentError, a slug (``slug(item)``: the slug and its line) that an earlier
    file has (``x.yml`` and ``x.yaml``) with the ``clash`` message, and what ``check(item)`` finds (an
    item with a problem is left out). A missing directory holds nothing."""
    directory = Path(directory)
    items: list[T] = []
    errors: list[ContentError] = []
    seen: dict[str, str] = {}
    for path in yaml_files(directory) if directory.is_dir() else ():
        try:
            item = load(path)
        except ContentError as exc:
            errors.append(exc)
            continue
        name, line = slug(item)
        if name in seen:
            errors.append(ContentError(str(path), line, clash.format(slug=name, other=seen[name])))
            continue
        seen[name] = str(path)
        problems = check(item) if check else []
        errors.extend(problems)
        if not problems:
            items.append(item)
    return items, errors


def load_dir(directory: str | Path, load: Callable[[Path], T], what: str,
             slug: Callable[[T], tuple[str, int | None]],
             clash: str = "slug '{slug}' is also used by {other}") -> list[T]:
    """:func:`read_dir` for a loader that stops at the first problem: raises it (or that the
    directory is missing, naming it as ``what``)."""
    if not Path(directory).is_dir():
        raise ContentError(str(directory), None, f"{what} directory not found")
    items, errors = read_dir(directory, load, slug, clash)
    if errors:
        raise errors[0]
    return items


def check_slug(r: Reader, slug: str, line: int | None, path: Path, what: str = "slug") -> str:
    """A slug field: lowercase words joined by single hyphens, equal to the file name."""
    if not SLUG_RE.match(slug):
        raise r.err(line, f"{what} '{slug}' must be lowercase letters, digits and single hyphens")
    if slug != path.stem:
        raise r.err(line, f"{what} '{slug}' must equal the file name '{path.stem}'")
    return slug

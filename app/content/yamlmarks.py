"""YAML parsing that remembers the line of every mapping key and list item, so errors can name it.

Every YAML file the site reads through :func:`load_yaml` (content files and instructors' quiz
uploads alike) is first walked as a stream of parser events, which refuses before anything is
built: anchors and aliases (``&a`` / ``*a``: a few hundred bytes of nested aliases expand to
megabytes), collections nested deeper than ``MAX_YAML_DEPTH``, and more than ``MAX_YAML_NODES``
values. Only then is the document composed and constructed (by libyaml when it is installed: the
depth bound also keeps its recursive composer safe).
"""
from __future__ import annotations

import yaml
from yaml.constructor import ConstructorError

from app.content.errors import ContentError
from app.content.limits import MAX_YAML_DEPTH, MAX_YAML_NODES, count

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_Base):
    def construct_object(self, node, deep=False):
        # A value the safe constructor cannot build (2026-02-30, an int of 5,000 digits) is a
        # located YAML error, not a ValueError escaping the loader.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as exc:
            what = "not a real date" if node.tag == "tag:yaml.org,2002:timestamp" else "unreadable value"
            raise ConstructorError(None, None, f"{what} ({exc})", node.start_mark) from None


def _construct_mapping(loader, node, deep=False):
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for k, _ in node.value:
        if isinstance(k, yaml.ScalarNode):
            if k.value in mapping.key_lines and k.value not in mapping.repeated:
                mapping.repeated = {**mapping.repeated, k.value: k.start_mark.line + 1}
            mapping.key_lines[k.value] = k.start_mark.line + 1
    return mapping


def _construct_sequence(loader, node, deep=False):
    sequence = LineList(loader.construct_sequence(node, deep=True))
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class LineDict(dict):
    """A dict from YAML that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict
    #: key -> line of its second appearance (YAML keeps the last value; the content reader refuses it)
    repeated: dict = {}

    def line_of(self, key) -> int:
        return getattr(self, "key_lines", {}).get(key, self.line)


class LineList(list):
    """A list from YAML that knows its own line and the line of each item."""

    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


def _too_deep(limit: int) -> str:
    return f"lists and mappings are nested more than {limit} deep, over the {limit}-level limit"


def check_shape(text: str, path, line_offset: int = 0, max_depth: int = MAX_YAML_DEPTH,
                max_nodes: int = MAX_YAML_NODES) -> None:
    """Walk the parser's events and refuse aliases, anchors, deep nesting and too many values
    (a ContentError naming the line and the limit); syntax errors are left to the caller."""
    depth = nodes = 0

    def fail(event, message):
        raise ContentError(path, event.start_mark.line + 1 + line_offset, message)

    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, yaml.AliasEvent):
            fail(event, f"YAML aliases (*{event.anchor}) are not allowed: write the value out in full")
        if isinstance(event, yaml.NodeEvent):
            if event.anchor is not None:
                fail(event, f"YAML anchors (&{event.anchor}) are not allowed: write each value out in full")
            nodes += 1
            if nodes > max_nodes:
                fail(event, f"the file has more than {count(max_nodes)} YAML values, over the "
                            f"{count(max_nodes)}-value limit")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                fail(event, _too_deep(max_depth))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_yaml(text: str, path, line_offset: int = 0):
    """Parse YAML text; a syntax error, an alias or anchor, nesting past ``MAX_YAML_DEPTH`` or more
    than ``MAX_YAML_NODES`` values becomes a ContentError with the file and line."""
    try:
        check_shape(text, path, line_offset)
        data = yaml.load(text, Loader=_LineLoader)  # nosec B506 - _LineLoader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else None
        if "nesting depth" in str(exc.problem):  # libyaml's own bound, met while it reads ahead
            raise ContentError(path, line, _too_deep(MAX_YAML_DEPTH)) from None
        kind = "YAML value error" if isinstance(exc, ConstructorError) else "YAML syntax error"
        raise ContentError(path, line, f"{kind}: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, None, f"YAML error: {exc}") from None
    except (UnicodeError, RecursionError) as exc:  # a lone surrogate; nesting the bound above should stop
        raise ContentError(path, None, f"YAML error: {type(exc).__name__}") from None
    if line_offset and data is not None:
        _shift(data, line_offset)
    return data


def _shift(node, offset: int) -> None:
    if isinstance(node, LineDict):
        node.line += offset
        node.key_lines = {k: v + offset for k, v in node.key_lines.items()}
        node.repeated = {k: v + offset for k, v in node.repeated.items()}
        for v in node.values():
            _shift(v, offset)
    elif isinstance(node, list):
        if isinstance(node, LineList):
            node.line += offset
            node.item_lines = [v + offset for v in node.item_lines]
        for v in node:
            _shift(v, offset)

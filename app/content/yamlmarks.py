"""YAML parsing that remembers the line of every mapping key, so errors can name it."""
from __future__ import annotations

import yaml

from app.content.errors import ContentError


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node, deep=False):
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if hasattr(k, "value")}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class LineDict(dict):
    """A dict from YAML that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key) -> int:
        return getattr(self, "key_lines", {}).get(key, self.line)


def load_yaml(text: str, path, line_offset: int = 0):
    """Parse YAML text; a syntax error becomes a ContentError with the file and line."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # nosec B506 - _LineLoader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else None
        raise ContentError(path, line, f"YAML syntax error: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, None, f"YAML error: {exc}") from None
    if line_offset and data is not None:
        _shift(data, line_offset)
    return data


def _shift(node, offset: int) -> None:
    if isinstance(node, LineDict):
        node.line += offset
        node.key_lines = {k: v + offset for k, v in node.key_lines.items()}
        for v in node.values():
            _shift(v, offset)
    elif isinstance(node, list):
        for v in node:
            _shift(v, offset)

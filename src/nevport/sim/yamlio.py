"""YAML loading that remembers where each value came from, and typed field access.

Files are composed into plain ``dict``/``list`` values wrapped in :class:`Node`, which
keeps the file name, line and dotted field path, so every schema error can say
``file:line: field: expected ..., got ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nevport.sim.errors import SchemaError

_SCALARS = yaml.SafeLoader("")


@dataclass(frozen=True)
class Node:
    """One YAML value with its origin."""

    value: Any
    file: str
    line: int
    path: str

    def fail(self, message: str) -> SchemaError:
        return SchemaError(self.file, self.line, self.path or "<root>", message)


def _wrap(node: yaml.Node, file: str, path: str) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Node] = {}
        for key_node, val_node in node.value:
            key = str(key_node.value)
            sub = f"{path}.{key}" if path else key
            if key in out:
                raise SchemaError(file, key_node.start_mark.line + 1, sub, "duplicate key")
            out[key] = _wrap(val_node, file, sub)
        return Node(out, file, line, path)
    if isinstance(node, yaml.SequenceNode):
        items = [_wrap(v, file, f"{path}[{i}]") for i, v in enumerate(node.value)]
        return Node(items, file, line, path)
    # resolve the scalar's implicit tag (int, float, bool, null) exactly as safe_load would
    value = _SCALARS.construct_object(node)
    return Node(value, file, line, path)


def load(path: Path) -> Node:
    """Parse ``path`` into a :class:`Node` tree; syntax errors become SchemaError."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError(name, 0, "<file>", f"cannot read: {exc.strerror}") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise SchemaError(name, line, "<syntax>", str(exc.problem)) from exc
    if root is None:
        raise SchemaError(name, 1, "<root>", "file is empty")
    return _wrap(root, name, "")


def mapping(
    node: Node, allowed: set[str], required: frozenset[str] | set[str] = frozenset()
) -> dict[str, Node]:
    """Return the node's mapping after refusing unknown and missing keys."""
    if not isinstance(node.value, dict):
        raise node.fail(f"expected a mapping, got {type(node.value).__name__}")
    items: dict[str, Node] = node.value
    for key, sub in items.items():
        if key not in allowed:
            raise sub.fail(f"unknown field (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required - items.keys()):
        raise node.fail(f"missing required field '{key}'")
    return items


def seq(node: Node) -> list[Node]:
    if not isinstance(node.value, list):
        raise node.fail(f"expected a list, got {type(node.value).__name__}")
    return list(node.value)


def num(node: Node, lo: float | None = None, hi: float | None = None) -> float:
    """A finite number within [lo, hi]."""
    v = node.value
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise node.fail(f"expected a number, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise node.fail(f"expected a number in [{lo}, {hi}], got {v!r}")
    return float(v)


def text(node: Node, choices: tuple[str, ...] | None = None) -> str:
    v = node.value
    if not isinstance(v, str):
        raise node.fail(f"expected a string, got {v!r}")
    if choices is not None and v not in choices:
        raise node.fail(f"expected one of {', '.join(choices)}, got {v!r}")
    return v


def opt(items: dict[str, Node], key: str) -> Node | None:
    return items.get(key)

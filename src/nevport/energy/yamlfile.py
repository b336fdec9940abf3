"""Data files validated by a pydantic model, with errors naming file, line and field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from nevport.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def line_of(node: yaml.Node | None, path: Sequence[int | str]) -> int | None:
    """The 1-based line of the YAML node at ``path`` (or of its nearest parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == str(key)]
            node = match[0] if match else None
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def parse(model: type[M], text: str, source: str) -> M:
    """``text`` validated as ``model``; the first error names ``source:line`` and the field."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if isinstance(p, int | str)]
        field = ".".join(str(p) for p in loc) or "(top)"
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"{source}:{line_of(root, loc)}: {message}", field=field) from exc

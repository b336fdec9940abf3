"""Parameter expressions in scenario files: numbers, ``$name`` and + - * / between them.

Parsed once with :mod:`ast` (never ``eval``) and evaluated on (B,) arrays of variant values.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from nevport.sim.yamlio import Node

F64 = NDArray[np.float64]
_OPS: dict[type, Callable[[F64, F64], F64]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@dataclass(frozen=True)
class Expr:
    tree: ast.expr
    names: frozenset[str]
    source: str

    def __call__(self, values: Mapping[str, F64], batch: int) -> F64:
        return np.broadcast_to(_eval(self.tree, values), (batch,)).astype(np.float64)


def _eval(node: ast.expr, values: Mapping[str, F64]) -> F64:
    if isinstance(node, ast.Constant):
        return np.asarray(float(cast(float, node.value)))  # _check admitted numbers only
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, values)
    if isinstance(node, ast.BinOp):
        return _OPS[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    raise AssertionError(f"unchecked expression node {ast.dump(node)}")


def _check(node: ast.expr) -> None:
    ok_num = isinstance(node, ast.Constant) and isinstance(node.value, int | float)
    if ok_num or isinstance(node, ast.Name):
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _check(node.operand)
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        _check(node.left)
        _check(node.right)
        return
    raise ValueError("only numbers, $parameters and + - * / are allowed")


def parse_value(node: Node, known: set[str]) -> Expr:
    """A number or an expression string such as ``"$gap + 40"``; names must be ``known``."""
    v = node.value
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise node.fail(f"expected a number or an expression like '$name + 10', got {v!r}")
    src = str(v)
    try:
        tree = ast.parse(re.sub(r"\$([A-Za-z_]\w*)", r"\1", src), mode="eval").body
        _check(tree)
    except (SyntaxError, ValueError) as exc:
        raise node.fail(f"bad expression {src!r}: {exc}") from None
    names = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
    if names - set(re.findall(r"\$([A-Za-z_]\w*)", src)):
        raise node.fail(f"parameters are written $name, got {src!r}")
    unknown = names - known
    if unknown:
        raise node.fail(f"unknown parameter {sorted(unknown)[0]!r} (declared: {sorted(known)})")
    return Expr(tree, names, src)

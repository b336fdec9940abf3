"""Search, sorting and pagination shared by the registry's list queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, String, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from nevport.errors import InvalidInput

S = TypeVar("S", bound=Select[Any])

Columns = Mapping[str, InstrumentedAttribute[Any]]


def contains_any(text: str, columns: Sequence[InstrumentedAttribute[Any]]) -> ColumnElement[bool]:
    """Case-insensitive substring match of ``text`` in any of ``columns``.

    ``%`` and ``_`` in the user's text are escaped so they match themselves.
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def order_by(
    query: S,
    session: Session,
    sort: str | None,
    allowed: Columns,
    tie_break: InstrumentedAttribute[Any],
) -> S:
    """``query`` ordered by ``sort`` ("name_en,-patents"); unknown fields are refused.

    NULLs go last in both directions and text compares by code point on every backend
    (PostgreSQL's locale collation would otherwise order names differently from SQLite).
    The primary key breaks ties so that pages never overlap or skip rows.
    """
    clauses: list[ColumnElement[Any]] = []
    binary_collation = session.get_bind().dialect.name == "postgresql"
    for raw in (sort or "").split(","):
        key = raw.strip()
        if not key:
            continue
        descending = key.startswith("-")
        name = key.lstrip("-+")
        column = allowed.get(name)
        if column is None:
            known = ", ".join(sorted(allowed))
            raise InvalidInput(f"cannot sort by {name!r}; use one of {known}", field="sort")
        expr: ColumnElement[Any] = column.expression
        if binary_collation and isinstance(column.type, String):
            expr = column.collate("C")
        clauses.append((expr.desc() if descending else expr.asc()).nulls_last())
    clauses.append(tie_break.asc())
    return query.order_by(*clauses)


def count(session: Session, query: Select[Any]) -> int:
    """How many rows ``query`` yields, before pagination."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return int(total or 0)

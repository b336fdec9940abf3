"""The query guard: every enterprise-scoped list query passes through ``scoped``."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, false
from sqlalchemy.orm import InstrumentedAttribute

from nevport.auth.service import Principal

S = TypeVar("S", bound=Select[Any])


def scoped(query: S, enterprise_column: InstrumentedAttribute[Any], principal: Principal) -> S:
    """``query`` narrowed to the enterprises ``principal`` may read."""
    if principal.role.sees_all_enterprises:
        return query
    if principal.role.is_enterprise_role and principal.enterprise_id is not None:
        return query.where(enterprise_column == principal.enterprise_id)
    return query.where(false())

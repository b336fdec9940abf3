"""Helpers for the park tests: principals, request bodies, table snapshots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text

from nevport.auth.models import User
from nevport.auth.service import Principal, principal_of
from nevport.db.engine import Database
from nevport.park.models import VehicleMaker

from ..factories import valid_credit_code

PARK_TABLES = ("enterprises", "sites", "enterprise_customers", "projects", "vehicle_makers")


def enterprise_body(n: int, **fields: Any) -> dict[str, Any]:
    """A complete, valid EnterpriseCreate payload; ``n`` keeps names and codes unique."""
    body: dict[str, Any] = {
        "name_zh": f"园区企业{n}",
        "name_en": f"Park Firm {n}",
        "credit_code": valid_credit_code(5000 + n),
        "sector": "electronics",
        "sites": [{"name": "Plant", "latitude": 39.5, "longitude": 116.95}],
    }
    body.update(fields)
    return body


def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the park's tables, to show that a refused request changed nothing."""
    with database.engine.connect() as connection:
        return {
            table: sorted(tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}")))
            for table in PARK_TABLES
        }


@pytest.fixture
def principal(make_user: Callable[..., User]) -> Callable[..., Principal]:
    """A Principal backed by a real user row (audit columns reference users.id)."""

    def make(role: str, enterprise_id: int | None = None) -> Principal:
        return principal_of(make_user(role, enterprise_id))

    return make


@pytest.fixture
def makers(database: Database) -> dict[str, int]:
    """Three vehicle makers, by English name -> id."""
    with database.session() as session:
        rows = [
            VehicleMaker(name_zh="北京奔驰", name_en="Beijing Benz"),
            VehicleMaker(name_zh="小米汽车", name_en="Xiaomi Auto"),
            VehicleMaker(name_zh="理想汽车", name_en="Li Auto"),
        ]
        session.add_all(rows)
        session.flush()
        return {maker.name_en: maker.id for maker in session.scalars(select(VehicleMaker))}

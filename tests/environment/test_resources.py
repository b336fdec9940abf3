"""Reclaimed-water reuse and PV self-consumption from energy-center counters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.energy import service as energy
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.environment.source import SITE_ZONE

from . import plant

# meter code, quantity, growth per hour in the stored unit (m3 or kWh)
COUNTERS = (
    ("W-FRESH", Quantity.water_volume, Decimal(4)),
    ("W-REUSE", Quantity.water_volume, Decimal(2)),
    ("PV", Quantity.pv_energy, Decimal(16)),
    ("GRID", Quantity.active_energy_import, Decimal(36)),
    ("GRID-X", Quantity.active_energy_export, Decimal(4)),
)
ROLES = ("fresh_water", "reclaimed_water", "pv_generation", "grid_import", "grid_export")


def _meters(database: Database, eid: int) -> dict[str, int]:
    ids = {}
    with database.session() as session:
        rows: list[ReadingIn] = []
        for code, quantity, per_hour in COUNTERS:
            meter = energy.create_meter(
                session,
                eid,
                MeterCreate(
                    code=code,
                    name=code,
                    level=MeterLevel.incomer,
                    channels=[ChannelCreate(quantity=quantity)],
                    installed_at=plant.BASE - timedelta(days=1),
                ),
            )
            ids[code] = meter.channels[0].id
            rows += [
                ReadingIn(
                    meter=code,
                    quantity=quantity,
                    ts=plant.BASE + timedelta(hours=h),
                    value=1000 + per_hour * h,
                )
                for h in range(49)
            ]
        ingest(session, eid, rows, zone=SITE_ZONE, now=plant.BASE + timedelta(days=3))
    return ids


def test_ratios_from_counters_and_who_may_set_the_channels(
    client: TestClient,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    auth_headers: Callable[[Any], dict[str, str]],
) -> None:
    firm, other = make_enterprise(), make_enterprise()
    ids = _meters(database, firm.id)
    stranger = _meters(database, other.id)
    admin = auth_headers(make_user(Role.enterprise_admin, firm.id))
    regulator = auth_headers(make_user(Role.regulator))
    base = f"/api/enterprises/{firm.id}/environment"
    body = {
        "channels": {role: [ids[code]] for role, (code, _, _) in zip(ROLES, COUNTERS, strict=True)}
    }
    assert client.put(f"{base}/resource-channels", json=body, headers=regulator).status_code == 403
    theirs = {"channels": {"fresh_water": [stranger["W-FRESH"]]}}
    assert client.put(f"{base}/resource-channels", json=theirs, headers=admin).status_code == 404
    assert client.put(f"{base}/resource-channels", json=body, headers=admin).status_code == 200

    span = {"from": plant.BASE.isoformat(), "to": (plant.BASE + timedelta(days=2)).isoformat()}
    got = client.get(f"{base}/resources", params=span, headers=regulator)
    assert got.status_code == 200, got.text
    out = got.json()
    assert Decimal(out["fresh_water_m3"]) == 4 * 48
    assert out["reuse_ratio"] == pytest.approx(2 / 6)
    assert out["pv_self_consumption"] == pytest.approx(12 / 16)
    assert out["pv_share"] == pytest.approx(12 / (36 + 12))

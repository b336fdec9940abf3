"""Fixtures for the energy center: an enterprise with a metered incomer and a device token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from nevport.auth import service as auth_service
from nevport.db.engine import Database
from nevport.energy import service
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, MeterOut
from nevport.park.models import Enterprise

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSTALLED = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Plant:
    enterprise_id: int
    meter: MeterOut
    energy_channel: int
    power_channel: int
    token: str


@pytest.fixture
def plant(database: Database, make_enterprise: Callable[..., Enterprise]) -> Plant:
    enterprise = make_enterprise()
    with database.session() as session:
        meter = service.create_meter(
            session,
            enterprise.id,
            MeterCreate(
                code="M1",
                name="Incomer",
                level=MeterLevel.incomer,
                installed_at=INSTALLED,
                channels=[
                    ChannelCreate(quantity=Quantity.active_energy_import),
                    ChannelCreate(quantity=Quantity.active_power),
                ],
            ),
        )
        token, _ = auth_service.create_device_token(session, enterprise.id, "collector")
    by_q = {c.quantity: c.id for c in meter.channels}
    return Plant(
        enterprise.id,
        meter,
        by_q[Quantity.active_energy_import],
        by_q[Quantity.active_power],
        token,
    )

"""A small real plant: a spray booth and its VOC treatment, each on its own energy-center
meter, with power readings stored through the energy ingest path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.energy import service as energy
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.environment import service
from nevport.environment.schemas import FacilityCreate, LinkCreate
from nevport.environment.source import SITE_ZONE

# Two days back at midnight UTC: recent enough for the ingest path's 30-day window.
BASE = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)


def admin(user_id: int) -> Principal:
    return Principal(user_id, "park-admin", Role.park_admin, None)


def build(session: Session, enterprise_id: int, principal: Principal) -> None:
    """Meters M-SC1 and M-SB1 (active power) watching facilities SC1 and SB1, linked."""
    channels = {}
    for code in ("SC1", "SB1"):
        meter = energy.create_meter(
            session,
            enterprise_id,
            MeterCreate(
                code=f"M-{code}",
                name=f"{code} feeder",
                level=MeterLevel.equipment,
                channels=[ChannelCreate(quantity=Quantity.active_power)],
                installed_at=BASE - timedelta(days=1),
            ),
        )
        channels[code] = meter.channels[0].id
    for code, kind, rated, standby, running in (
        ("SC1", "production", 40_000, 1_000, 10_000),
        ("SB1", "treatment", 20_000, 500, 5_000),
    ):
        body = FacilityCreate(
            code=code,
            name=code,
            kind=kind,
            channel_id=channels[code],
            rated_w=rated,
            standby_w=standby,
            running_w=running,
            hysteresis_w=200,
        )
        service.create_facility(session, principal, enterprise_id, body)
    service.create_link(
        session, principal, enterprise_id, LinkCreate(production="SC1", treatment="SB1")
    )


def readings(meter: str, segments: Sequence[tuple[int, float]], start: datetime) -> list[ReadingIn]:
    """One reading a minute: ``segments`` of (minutes, W)."""
    out, at = [], start
    for minutes, watts in segments:
        for _ in range(minutes):
            out.append(
                ReadingIn(meter=meter, quantity=Quantity.active_power, ts=at, value=Decimal(watts))
            )
            at += timedelta(minutes=1)
    return out


# 06:00-08:00 idle, 08:00-12:00 the booth runs; its VOC treatment stops at 10:00.
BOOTH = [(120, 300.0), (240, 20_000.0), (120, 300.0)]
VOC = [(120, 100.0), (120, 10_000.0), (240, 100.0)]
DAY_START = BASE + timedelta(hours=6)
DAY_END = DAY_START + timedelta(hours=8)


def store_day(session: Session, enterprise_id: int, start: datetime = DAY_START) -> None:
    rows = readings("M-SC1", BOOTH, start) + readings("M-SB1", VOC, start)
    ingest(session, enterprise_id, rows, zone=SITE_ZONE, now=start + timedelta(days=1))

"""The demo park's supervised plants: a week of simulated power with real violations.

Each chosen enterprise gets a spray booth with its VOC treatment and a welding line with
its fume extraction, each on an energy-center meter, and power readings every
``STEP_MIN`` minutes through the energy ingest path. Most days are compliant; the rest
carry one realistic fault (treatment off mid-shift, started late, under-loaded, the
meter offline, or a maintenance stop the regulator approved), so the supervision pages
show real, explainable events on the first start. ``feed_loop`` keeps readings coming
while the demo portal runs, on compliant days only.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.energy import service as energy
from nevport.energy.ingest import ingest
from nevport.energy.intervals import Resolution
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.environment import curtailment, demo_resources, service, supervise
from nevport.environment.models import AlertLevel, EnvFacility
from nevport.environment.schemas import (
    AlertCreate,
    DecisionIn,
    FacilityCreate,
    LinkCreate,
    MeasureIn,
    PreReportCreate,
)
from nevport.environment.source import SITE_ZONE
from nevport.park import service as park
from nevport.park.schemas import EnterpriseQuery

if TYPE_CHECKING:
    from fastapi import FastAPI

    from nevport.db.engine import Database

PLANTS = 4  # supervised demo enterprises
DAYS = 7  # of history on first start
STEP_MIN = 5  # [min] between two readings of a demo meter
SHIFT = (8 * 60, 20 * 60)  # [min of the park day] production runs 08:00-20:00
METER_PREFIX = "ENV-"
# code, name, kind, rated [W], standby [W], running [W]; a booth's VOC unit draws about
# half the booth's power, a welding line's fume extraction about a quarter.
FACILITIES = (
    ("SC1", "喷涂线 spray booth", "production", 40_000, 1_000, 10_000),
    ("SB1", "VOC 治理 VOC treatment", "treatment", 20_000, 500, 5_000),
    ("SC2", "焊装线 welding line", "production", 30_000, 800, 8_000),
    ("SB2", "烟尘净化 fume extraction", "treatment", 8_000, 200, 2_000),
)
LINKS = (("SC1", "SB1", 0.5), ("SC2", "SB2", 0.25))
FAULTS = ("treatment_off", "late_start", "under_load", "offline", "maintenance")
FAULT_SHARE = 0.4  # of working days carry one fault


def day_kind(enterprise_id: int, day: date) -> str:
    """``compliant`` or one of ``FAULTS``, fixed per enterprise and day (reproducible)."""
    if day.weekday() == 6:
        return "rest"
    digest = hashlib.sha256(f"{enterprise_id}:{day.isoformat()}".encode()).digest()
    draw = int.from_bytes(digest[:4], "big") / 2**32
    if draw >= FAULT_SHARE:
        return "compliant"
    return FAULTS[int(draw / FAULT_SHARE * len(FAULTS))]


def day_power(kind: str, seed: int) -> np.ndarray:
    """(1440, 4) [W] over a park day, columns as ``FACILITIES``; NaN: no reading."""
    rng = np.random.default_rng(seed)
    power = np.tile([300.0, 150.0, 250.0, 80.0], (1440, 1))  # lights and controls at night
    if kind == "rest":
        return power * rng.uniform(0.95, 1.05, size=power.shape)
    start, end = SHIFT
    power[start:end, 0] = 26_000.0
    power[start:end, 2] = 18_000.0
    power[start - 10 : end + 15, 1] = 12_500.0  # treatment leads and trails production
    power[start - 10 : end + 15, 3] = 4_300.0
    if kind == "treatment_off":
        power[600:690, 1] = 150.0  # the VOC fan stops 10:00-11:30 while spraying goes on
    elif kind == "late_start":
        power[start - 10 : start + 40, 1] = 150.0  # started 40 min after the booth
    elif kind == "under_load":
        power[780:900, 3] = 900.0  # fume extraction idling 13:00-15:00
    elif kind == "offline":
        power[840:930, 1] = np.nan  # the VOC meter silent 14:00-15:30
    elif kind == "maintenance":
        power[540:600, 0] = 300.0  # the booth stops 09:00-10:00 for a declared filter change
        power[540:620, 1] = 150.0  # and its VOC unit restarts 20 min late, inside the window
    return power * rng.uniform(0.95, 1.05, size=power.shape)


def _local(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(), SITE_ZONE) + timedelta(minutes=minute)


def readings(enterprise_id: int, start: datetime, end: datetime) -> list[ReadingIn]:
    """The demo meters' readings in [start, end), every ``STEP_MIN`` minutes."""
    out: list[ReadingIn] = []
    at = start.astimezone(SITE_ZONE).replace(second=0, microsecond=0)
    at += timedelta(minutes=-at.minute % STEP_MIN)
    cache: dict[date, np.ndarray] = {}
    while at < end:
        day = at.date()
        if day not in cache:
            cache[day] = day_power(
                day_kind(enterprise_id, day), enterprise_id * 10_000 + day.toordinal()
            )
        row = cache[day][at.hour * 60 + at.minute]
        for (code, *_), watts in zip(FACILITIES, row, strict=True):
            if not np.isnan(watts):
                out.append(
                    ReadingIn(
                        meter=f"{METER_PREFIX}{code}",
                        quantity=Quantity.active_power,
                        ts=at.astimezone(UTC),
                        value=Decimal(int(watts)),
                    )
                )
        at += timedelta(minutes=STEP_MIN)
    return out


def _store(session: Session, enterprise_id: int, start: datetime, end: datetime) -> None:
    """Power readings, and the water and PV counters where the plant has them."""
    rows = readings(enterprise_id, start, end)
    if energy.find_channels(session, enterprise_id, meter_code=demo_resources.COUNTERS[0][0]):
        rows += demo_resources.counter_readings(start, end)
    if rows:
        ingest(session, enterprise_id, rows, zone=SITE_ZONE, now=end)


def _plant(session: Session, principal: Principal, enterprise_id: int, since: datetime) -> None:
    for code, name, kind, rated, standby, running in FACILITIES:
        meter = energy.create_meter(
            session,
            enterprise_id,
            MeterCreate(
                code=f"{METER_PREFIX}{code}",
                name=name,
                level=MeterLevel.equipment,
                channels=[ChannelCreate(quantity=Quantity.active_power)],
                installed_at=since,
            ),
        )
        body = FacilityCreate(
            code=code,
            name=name,
            kind=kind,
            channel_id=meter.channels[0].id,
            rated_w=rated,
            standby_w=standby,
            running_w=running,
            hysteresis_w=standby / 2,
        )
        service.create_facility(session, principal, enterprise_id, body)
    for production, treatment, ratio in LINKS:
        service.create_link(
            session,
            principal,
            enterprise_id,
            LinkCreate(production=production, treatment=treatment, expected_ratio=ratio),
        )


def _chosen(session: Session, principal: Principal, first: int | None) -> list[int]:
    """The demo-account enterprise (so its users see their own plant), then key users."""
    rows = park.list_enterprises(session, principal, EnterpriseQuery(limit=500)).items
    keyed = [row.id for row in rows if row.key_power_user and row.id != first]
    return ([first] if first is not None else []) + sorted(keyed)[: PLANTS - (first is not None)]


def seed(
    session: Session, admin_id: int, regulator_id: int, first: int | None, now: datetime
) -> int:
    """Plants, a week of readings, declarations and their events; if the plants exist
    already, only the readings missed while the demo was stopped. Returns new events."""
    if session.scalar(select(EnvFacility.id).limit(1)) is not None:
        top_up(session, now)
        return 0
    principal = Principal(admin_id, "admin", Role.park_admin, None)
    regulator = Principal(regulator_id, "regulator", Role.regulator, None)
    today = now.astimezone(SITE_ZONE).date()
    start = _local(today - timedelta(days=DAYS), 0)
    chosen = _chosen(session, principal, first)
    for enterprise_id in chosen:
        _plant(session, principal, enterprise_id, start - timedelta(days=1))
        demo_resources.install(session, principal, enterprise_id)
        _store(session, enterprise_id, start, now)
        _declare(session, principal, regulator, enterprise_id, today)
    _alert(session, principal, regulator, chosen, today)
    created = 0
    for enterprise_id in chosen:
        created += supervise.evaluate(session, enterprise_id, start, now)
    return created


def _declare(
    session: Session, admin: Principal, regulator: Principal, enterprise_id: int, today: date
) -> None:
    """Pre-reports: each maintenance day declared and approved; one pending for tomorrow."""
    # The enterprise's own user declares (the demo data is written under the admin's id).
    member = Principal(admin.user_id, admin.username, Role.enterprise_user, enterprise_id)
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        if day_kind(enterprise_id, day) == "maintenance":
            body = PreReportCreate(
                start_at=_local(day, 530),
                end_at=_local(day, 645),
                facility_codes=["SC1", "SB1"],
                reason="VOC 活性炭更换 / activated-carbon change",
                evidence="work order",
            )
            report = service.create_pre_report(session, member, enterprise_id, body)
            decision = DecisionIn(approve=True, note="planned maintenance")
            service.decide_pre_report(session, regulator, enterprise_id, report.id, decision)
    tomorrow = today + timedelta(days=1)
    body = PreReportCreate(
        start_at=_local(tomorrow, 600),
        end_at=_local(tomorrow, 780),
        facility_codes=["SC2", "SB2"],
        reason="焊烟净化器检修 / fume extractor overhaul",
    )
    service.create_pre_report(session, member, enterprise_id, body)


def _alert(
    session: Session, admin: Principal, regulator: Principal, chosen: list[int], today: date
) -> None:
    """A yellow heavy-pollution alert two days ago; the second plant's booth must stop."""
    day = today - timedelta(days=2)
    body = AlertCreate(
        level=AlertLevel.yellow,
        start_at=_local(day, 12 * 60),
        end_at=_local(day, 18 * 60),
        reason="重污染天气黄色预警 / heavy-pollution yellow alert",
    )
    curtailment.declare_alert(session, regulator, body)
    for enterprise_id in chosen[1:2]:
        measure = MeasureIn(facility_codes=["SC1"], measure="停止喷涂作业 / stop spraying")
        curtailment.set_measure(session, admin, enterprise_id, AlertLevel.yellow, measure)


def demo_plants(session: Session) -> list[int]:
    """Enterprises whose facilities are the demo's simulated meters."""
    plants = session.scalars(select(EnvFacility.enterprise_id).distinct()).all()
    code = f"{METER_PREFIX}{FACILITIES[0][0]}"
    return [e for e in sorted(plants) if energy.find_channels(session, e, meter_code=code)]


def top_up(session: Session, now: datetime) -> None:
    """Readings from each plant's last stored sample to ``now`` (ingest skips repeats)."""
    start = now - timedelta(days=DAYS)
    for enterprise_id in demo_plants(session):
        channel = energy.find_channels(
            session, enterprise_id, meter_code=f"{METER_PREFIX}{FACILITIES[0][0]}"
        )[0]
        series = energy.power_series(
            session, enterprise_id, channel.id, start, now, Resolution.quarter, SITE_ZONE
        )
        stored = [p.start for p in series.points if p.value is not None]
        since = stored[-1] if stored else start
        _store(session, enterprise_id, since, now)


FEED_EVERY_S = 60.0  # [s] between two batches of the running demo's readings


async def feed_loop(app: FastAPI) -> None:
    """While the demo portal runs, its meters keep reporting (the history's day model)."""
    database: Database = app.state.db
    cursor = datetime.now(UTC)

    def one_batch(end: datetime) -> None:
        with database.session() as session:
            for enterprise_id in demo_plants(session):
                _store(session, enterprise_id, cursor, end)

    while True:
        await asyncio.sleep(FEED_EVERY_S)
        end = datetime.now(UTC)
        await asyncio.to_thread(one_batch, end)
        cursor = end

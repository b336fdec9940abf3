"""Online monitoring figures for one enterprise: live power, load curves, the meter tree
with its balance, a day x hour heatmap, top consumers and device health.

Callable without HTTP (the pages and reports use it). Every query is filtered by the
enterprise, so a caller that checked tenancy on ``enterprise_id`` is safe. Energy comes
from the stored intervals (exact decimals); "root" meters are those without a parent,
whose sum is the enterprise's consumption.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nevport.energy import service
from nevport.energy.intervals import QUARTER, Resolution
from nevport.energy.models import Channel, EnergyInterval, Meter, MeterLevel, Reading
from nevport.energy.quantities import Quantity

ONLINE_S = 120  # [s] a meter read within this is online (collectors poll every 1-60 s)
STALE_S = 3600  # [s] beyond this a meter is offline; in between it is stale
LIVE_WINDOW = timedelta(minutes=5)  # power readings older than this are not "live"
QUARTERS_PER_HOUR = 4  # kWh per quarter x 4 = mean kW over the quarter
W_PER_KW = Decimal(1000)


@dataclass(frozen=True)
class MeterRow:
    id: int
    code: str
    name: str
    level: MeterLevel
    parent_id: int | None
    energy: int | None  # active_energy_import channel id
    power: int | None  # active_power channel id
    formula: str | None = None  # virtual meters: "A - B + 0.5*C"


def meters(session: Session, enterprise_id: int) -> list[MeterRow]:
    """The enterprise's meters with their energy and power channel ids, in tree order."""
    rows = session.execute(
        select(Meter.id, Meter.code, Meter.name, Meter.level, Meter.parent_id, Meter.formula)
        .where(Meter.enterprise_id == enterprise_id)
        .order_by(Meter.id)
    ).all()
    channels: dict[tuple[int, Quantity], int] = {
        (m, q): c
        for c, m, q in session.execute(
            select(Channel.id, Channel.meter_id, Channel.quantity).where(
                Channel.enterprise_id == enterprise_id,
                Channel.quantity.in_([Quantity.active_energy_import, Quantity.active_power]),
            )
        )
    }
    return [
        MeterRow(
            i,
            code,
            name,
            level,
            parent,
            channels.get((i, Quantity.active_energy_import)),
            channels.get((i, Quantity.active_power)),
            formula,
        )
        for i, code, name, level, parent, formula in rows
    ]


def roots(rows: list[MeterRow]) -> list[MeterRow]:
    return [m for m in rows if m.parent_id is None and m.level is not MeterLevel.virtual]


@dataclass(frozen=True)
class Live:
    at: datetime | None  # newest power reading used
    total_kw: Decimal | None  # sum over root meters; None: none of them reported
    meters: dict[str, Decimal]  # code -> kW, meters with a live power reading


def live_power(session: Session, enterprise_id: int, now: datetime) -> Live:
    rows = meters(session, enterprise_id)
    by_channel = {m.power: m for m in rows if m.power is not None}
    if not by_channel:
        return Live(None, None, {})
    newest = (
        select(Reading.channel_id, func.max(Reading.ts).label("ts"))
        .where(Reading.channel_id.in_(by_channel), Reading.ts >= now - LIVE_WINDOW)
        .group_by(Reading.channel_id)
        .subquery()
    )
    found = session.execute(
        select(Reading.channel_id, Reading.ts, Reading.value).join(
            newest, (Reading.channel_id == newest.c.channel_id) & (Reading.ts == newest.c.ts)
        )
    ).all()
    kw = {by_channel[c].code: v / W_PER_KW for c, _, v in found if v is not None}
    root_codes = {m.code for m in roots(rows)}
    in_roots = [v for code, v in kw.items() if code in root_codes]
    at = max((ts for _, ts, _ in found), default=None)
    return Live(at, sum(in_roots, Decimal(0)) if in_roots else None, kw)


def _sums(
    session: Session, channels: list[int], resolution: Resolution, lo: datetime, hi: datetime
) -> dict[datetime, Decimal]:
    """Per bucket start in [lo, hi): the sum of the channels' known values."""
    if not channels:
        return {}
    rows = session.execute(
        select(EnergyInterval.start, EnergyInterval.value).where(
            EnergyInterval.channel_id.in_(channels),
            EnergyInterval.resolution == resolution.value,
            EnergyInterval.start >= lo,
            EnergyInterval.start < hi,
        )
    )
    out: dict[datetime, Decimal] = defaultdict(Decimal)
    for start, value in rows:
        if value is not None:
            out[start] += value
    return out


def day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class Curves:
    labels: list[str]  # local HH:MM of each quarter
    today: list[float | None]  # [kW] mean over the quarter; None: no data
    yesterday: list[float | None]


def load_curves(session: Session, enterprise_id: int, day: date, zone: ZoneInfo) -> Curves:
    """Root meters' mean power per quarter on ``day`` and on the day before."""
    channels = [m.energy for m in roots(meters(session, enterprise_id)) if m.energy]
    out: list[list[float | None]] = []
    labels: list[str] = []
    for d in (day, day - timedelta(days=1)):
        lo, hi = day_start(d, zone), day_start(d + timedelta(days=1), zone)
        sums = _sums(session, channels, Resolution.quarter, lo, hi)
        grid = [lo + i * QUARTER for i in range(int((hi - lo) / QUARTER))]
        labels = labels or [g.astimezone(zone).strftime("%H:%M") for g in grid]
        out.append([float(sums[g] * QUARTERS_PER_HOUR) if g in sums else None for g in grid])
    return Curves(labels, out[0][: len(labels)], out[1][: len(labels)])


@dataclass(frozen=True)
class TreeNode:
    meter: MeterRow
    depth: int
    energy: Decimal | None  # [kWh] over the period
    children_sum: Decimal | None  # [kWh] of direct children, when it has any
    loss_pct: Decimal | None  # (parent - children) / parent x 100: unmetered use or losses


def meter_tree(session: Session, enterprise_id: int, lo: datetime, hi: datetime) -> list[TreeNode]:
    """Every meter in depth-first order with its energy over [lo, hi) and its balance.

    A virtual meter's energy is its formula evaluated hour by hour; it is shown under
    its parent but never counted in the parent's balance (it meters nothing itself).
    """
    rows = meters(session, enterprise_id)
    energy = channel_energy(session, [m.energy for m in rows if m.energy], lo, hi)
    for m in rows:
        if m.level is MeterLevel.virtual and m.energy:
            total = service.energy_total(session, enterprise_id, m.energy, lo, hi)
            energy.pop(m.energy, None)
            if total is not None:
                energy[m.energy] = total
    children: dict[int | None, list[MeterRow]] = defaultdict(list)
    for m in rows:
        children[m.parent_id].append(m)
    out: list[TreeNode] = []

    def visit(m: MeterRow, depth: int) -> None:
        own = energy.get(m.energy) if m.energy else None
        kids = children.get(m.id, [])
        known = [
            energy[k.energy]
            for k in kids
            if k.energy in energy and k.level is not MeterLevel.virtual
        ]
        kid_sum = sum(known, Decimal(0)) if known else None
        loss = None
        if own and kid_sum is not None:
            loss = ((own - kid_sum) / own * 100).quantize(Decimal("0.1"))
        out.append(TreeNode(m, depth, own, kid_sum, loss))
        for k in kids:
            visit(k, depth + 1)

    for m in children[None]:
        visit(m, 0)
    return out


def channel_energy(
    session: Session, channels: list[int], lo: datetime, hi: datetime
) -> dict[int, Decimal]:
    """[kWh] per channel over [lo, hi) from hourly intervals (whole local hours)."""
    if not channels:
        return {}
    rows = session.execute(
        select(EnergyInterval.channel_id, EnergyInterval.value).where(
            EnergyInterval.channel_id.in_(channels),
            EnergyInterval.resolution == Resolution.hour.value,
            EnergyInterval.start >= lo,
            EnergyInterval.start < hi,
        )
    )
    out: dict[int, Decimal] = defaultdict(Decimal)
    for cid, value in rows:
        if value is not None:
            out[cid] += value
    return dict(out)


def heatmap(
    session: Session, enterprise_id: int, last_day: date, days: int, zone: ZoneInfo
) -> tuple[list[str], list[tuple[int, int, float]]]:
    """Day labels and (hour, day index, kWh) cells of the root meters' hourly energy."""
    channels = [m.energy for m in roots(meters(session, enterprise_id)) if m.energy]
    first = last_day - timedelta(days=days - 1)
    lo, hi = day_start(first, zone), day_start(last_day + timedelta(days=1), zone)
    sums = _sums(session, channels, Resolution.hour, lo, hi)
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    cells = []
    for start, value in sums.items():
        local = start.astimezone(zone)
        cells.append((local.hour, (local.date() - first).days, float(value)))
    return labels, sorted(cells)


def top_consumers(
    session: Session, enterprise_id: int, lo: datetime, hi: datetime, n: int = 10
) -> list[tuple[MeterRow, Decimal]]:
    """The ``n`` leaf meters (equipment, lines) that used most energy over [lo, hi)."""
    rows = meters(session, enterprise_id)
    parents = {m.parent_id for m in rows}
    leaves = [
        m for m in rows if m.id not in parents and m.energy and m.level is not MeterLevel.virtual
    ]
    energy = channel_energy(session, [m.energy for m in leaves if m.energy], lo, hi)
    ranked = [(m, energy[m.energy]) for m in leaves if m.energy in energy]
    return sorted(ranked, key=lambda pair: pair[1], reverse=True)[:n]


@dataclass(frozen=True)
class Health:
    meter: MeterRow
    last_seen: datetime | None
    status: str  # online | stale | offline | never


def device_health(session: Session, enterprise_id: int, now: datetime) -> list[Health]:
    """Each meter's newest reading on any channel, and what that says about it."""
    rows = meters(session, enterprise_id)
    # one index probe per channel; a GROUP BY over the readings would scan them all
    newest = select(func.max(Reading.ts)).where(Reading.channel_id == Channel.id).scalar_subquery()
    last: dict[int, datetime] = {}
    for meter_id, newest_ts in session.execute(
        select(Channel.meter_id, newest).where(Channel.enterprise_id == enterprise_id)
    ):
        if newest_ts is not None and (meter_id not in last or newest_ts > last[meter_id]):
            last[meter_id] = newest_ts
    out = []
    for m in rows:
        if m.level is MeterLevel.virtual:
            continue
        seen = last.get(m.id)
        if seen is None:
            status = "never"
        else:
            age = (now - seen).total_seconds()
            status = "online" if age <= ONLINE_S else "stale" if age <= STALE_S else "offline"
        out.append(Health(m, seen, status))
    return out

"""The energy center's logic, callable without HTTP; other domains use only these functions.

Every function takes the enterprise it acts for and refuses (NotFound) a meter or channel
of another enterprise, so callers that checked tenancy on ``enterprise_id`` are safe.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nevport.energy import readings, virtual
from nevport.energy.aggregate import recompute
from nevport.energy.counters import Flag
from nevport.energy.intervals import QUARTER, Resolution, local_floor
from nevport.energy.models import (
    Channel,
    ChannelConfig,
    ConfigKind,
    EnergyInterval,
    Meter,
    MeterLevel,
    Reading,
)
from nevport.energy.quantities import Quantity
from nevport.energy.readings import PowerTrace
from nevport.energy.schemas import (
    ChannelOut,
    ConfigChange,
    FormulaChange,
    MeterCreate,
    MeterOut,
    Point,
    Series,
)
from nevport.errors import Conflict, InvalidInput, NotFound

MAX_POINTS = 20_000  # per series request; a year of hours is 8,760
SECONDS_PER_HOUR = Decimal(3600)
W_PER_KW = Decimal(1000)
MILLI = Decimal("0.001")


def _channel_out(channel: Channel) -> ChannelOut:
    return ChannelOut(
        id=channel.id,
        meter_id=channel.meter_id,
        enterprise_id=channel.enterprise_id,
        meter_code=channel.meter.code,
        quantity=channel.quantity,
        unit=channel.unit,
    )


def _meter_out(meter: Meter) -> MeterOut:
    return MeterOut(
        id=meter.id,
        code=meter.code,
        name=meter.name,
        level=meter.level,
        parent_id=meter.parent_id,
        site_id=meter.site_id,
        protocol=meter.protocol,
        formula=meter.formula,
        channels=[_channel_out(c) for c in meter.channels],
    )


def create_meter(session: Session, enterprise_id: int, body: MeterCreate) -> MeterOut:
    """A meter with its channels, each with its installed CT/PT ratios."""
    if session.scalar(
        select(Meter.id).where(Meter.enterprise_id == enterprise_id, Meter.code == body.code)
    ):
        raise Conflict(f"meter code {body.code!r} already exists", field="code")
    parent_id = None
    if body.parent_code is not None:
        parent_id = session.scalar(
            select(Meter.id).where(
                Meter.enterprise_id == enterprise_id, Meter.code == body.parent_code
            )
        )
        if parent_id is None:
            raise InvalidInput(
                f"parent meter {body.parent_code!r} does not exist", field="parent_code"
            )
    if len({c.quantity for c in body.channels}) != len(body.channels):
        raise InvalidInput("a quantity appears twice", field="channels")
    formula = _formula(session, enterprise_id, body)
    meter = Meter(
        enterprise_id=enterprise_id,
        site_id=body.site_id,
        parent_id=parent_id,
        code=body.code,
        name=body.name,
        level=body.level,
        protocol=body.protocol,
        address=body.address,
        register_map=body.register_map,
        formula=formula,
    )
    for spec in body.channels:
        channel = Channel(
            enterprise_id=enterprise_id,
            quantity=spec.quantity,
            unit=spec.quantity.unit,
            modulus=spec.modulus,
        )
        channel.history.append(
            ChannelConfig(
                effective_from=body.installed_at.astimezone(UTC),
                kind=ConfigKind.installed,
                ct_ratio=spec.ct_ratio,
                pt_ratio=spec.pt_ratio,
                created_at=datetime.now(UTC),
            )
        )
        meter.channels.append(channel)
    session.add(meter)
    session.flush()
    return _meter_out(meter)


def _formula(session: Session, enterprise_id: int, body: MeterCreate) -> str | None:
    if body.level is not MeterLevel.virtual:
        if body.formula is not None:
            raise InvalidInput(
                f"only a virtual meter has a formula; {body.code!r} is {body.level.value}",
                field="formula",
            )
        return None
    if body.formula is None:
        raise InvalidInput(f"virtual meter {body.code!r} needs a formula", field="formula")
    quantities = [c.quantity for c in body.channels]
    return virtual.validate(session, enterprise_id, body.code, body.formula, quantities)


def change_formula(
    session: Session, enterprise_id: int, code: str, body: FormulaChange
) -> MeterOut:
    """A virtual meter's new formula, checked as at creation (codes, channels, cycles)."""
    meter = session.scalar(
        select(Meter)
        .where(Meter.enterprise_id == enterprise_id, Meter.code == code)
        .options(selectinload(Meter.channels).selectinload(Channel.meter))
    )
    if meter is None:
        raise NotFound(f"enterprise {enterprise_id} has no meter {code!r}")
    if meter.level is not MeterLevel.virtual:
        raise InvalidInput(
            f"only a virtual meter has a formula; {code!r} is {meter.level.value}",
            field="formula",
        )
    quantities = [c.quantity for c in meter.channels]
    meter.formula = virtual.validate(session, enterprise_id, code, body.formula, quantities)
    session.flush()
    return _meter_out(meter)


def list_meters(session: Session, enterprise_id: int) -> list[MeterOut]:
    meters = session.scalars(
        select(Meter)
        .where(Meter.enterprise_id == enterprise_id)
        .options(selectinload(Meter.channels).selectinload(Channel.meter))
        .order_by(Meter.id)
    )
    return [_meter_out(m) for m in meters]


def _channel(session: Session, enterprise_id: int, channel_id: int) -> Channel:
    channel = session.get(
        Channel, channel_id, options=[selectinload(Channel.meter), selectinload(Channel.history)]
    )
    if channel is None or channel.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no energy channel {channel_id}")
    return channel


def get_channel(session: Session, enterprise_id: int, channel_id: int) -> ChannelOut:
    return _channel_out(_channel(session, enterprise_id, channel_id))


def stored_channel(session: Session, enterprise_id: int, channel_id: int) -> ChannelOut:
    """The channel, refused when it is a virtual meter's: those have no readings of their
    own (their values are a formula, evaluated on read), so nothing can watch them."""
    channel = _channel(session, enterprise_id, channel_id)
    if channel.meter.level is MeterLevel.virtual:
        raise InvalidInput(
            f"channel {channel_id} belongs to virtual meter {channel.meter.code!r}, which"
            " stores no readings; use a channel of one of its terms",
            field="channel_id",
        )
    return _channel_out(channel)


def find_channels(
    session: Session,
    enterprise_id: int,
    quantity: Quantity | None = None,
    meter_code: str | None = None,
) -> list[ChannelOut]:
    """Channels of an enterprise, optionally of one quantity or one meter."""
    query = select(Channel).join(Meter).where(Channel.enterprise_id == enterprise_id)
    if quantity is not None:
        query = query.where(Channel.quantity == quantity)
    if meter_code is not None:
        query = query.where(Meter.code == meter_code)
    rows = session.scalars(query.options(selectinload(Channel.meter)).order_by(Channel.id))
    return [_channel_out(c) for c in rows]


def change_config(
    session: Session, enterprise_id: int, channel_id: int, body: ConfigChange, zone: ZoneInfo
) -> None:
    """Record a CT/PT change, replacement or declared reset, then recompute from then on."""
    channel = _channel(session, enterprise_id, channel_id)
    at = body.effective_from.astimezone(UTC)
    if any(row.effective_from == at for row in channel.history):
        raise Conflict(f"channel {channel_id} already has a change at {at.isoformat()}")
    if body.kind in (ConfigKind.replacement, ConfigKind.reset) and body.new_initial is None:
        raise InvalidInput("a replacement or reset needs new_initial", field="new_initial")
    channel.history.append(
        ChannelConfig(
            effective_from=at,
            kind=body.kind,
            ct_ratio=body.ct_ratio,
            pt_ratio=body.pt_ratio,
            old_final=body.old_final,
            new_initial=body.new_initial,
            note=body.note,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    last = session.scalar(
        select(Reading.ts)
        .where(Reading.channel_id == channel_id)
        .order_by(Reading.ts.desc())
        .limit(1)
    )
    if channel.quantity.is_counter and last is not None and last >= at:
        recompute(session, channel, at, last, zone)


def _span(start: datetime, end: datetime, resolution: Resolution, zone: ZoneInfo) -> list[datetime]:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("start and end need a time zone")
    if end <= start:
        raise InvalidInput(
            f"end {end.isoformat()} is not after start {start.isoformat()}", field="end"
        )
    out: list[datetime] = []
    at = local_floor(start.astimezone(UTC), resolution, zone)
    step = {Resolution.quarter: QUARTER, Resolution.hour: timedelta(hours=1)}.get(resolution)
    while at < end and len(out) <= MAX_POINTS:
        out.append(at)
        at = at + step if step else local_floor(at + timedelta(hours=30), resolution, zone)
    if len(out) > MAX_POINTS:
        raise InvalidInput(f"more than {MAX_POINTS} points; shorten the span or coarsen resolution")
    return out


def energy_series(
    session: Session,
    enterprise_id: int,
    channel_id: int,
    start: datetime,
    end: datetime,
    resolution: Resolution,
    zone: ZoneInfo,
) -> Series:
    """Energy per bucket in [start, end); a bucket without data is None with MISSING.
    A virtual meter's channel is its formula over the terms' buckets (``virtual``)."""
    channel = _channel(session, enterprise_id, channel_id)
    if not channel.quantity.is_counter:
        raise InvalidInput(f"channel {channel_id} measures {channel.quantity.value}, not a counter")
    grid = _span(start, end, resolution, zone)
    return Series(
        channel_id=channel_id,
        quantity=channel.quantity,
        unit=channel.unit,
        resolution=resolution.value,
        points=_energy_points(session, channel, grid, resolution, frozenset()),
    )


def _guard(channel: Channel, seen: frozenset[int]) -> frozenset[int]:
    """``seen`` with this virtual meter; a formula that came back to it is refused
    (formulas are checked when written, so only a damaged database gets here)."""
    if channel.meter_id in seen:
        raise InvalidInput(f"virtual meter {channel.meter.code!r} is part of a cycle")
    return seen | {channel.meter_id}


def _energy_points(
    session: Session,
    channel: Channel,
    grid: list[datetime],
    resolution: Resolution,
    seen: frozenset[int],
) -> list[Point]:
    if channel.meter.level is MeterLevel.virtual:
        inner = _guard(channel, seen)
        return virtual.evaluate(
            session, channel, lambda c: _energy_points(session, c, grid, resolution, inner)
        )
    rows = session.execute(
        select(EnergyInterval.start, EnergyInterval.value, EnergyInterval.flags).where(
            EnergyInterval.channel_id == channel.id,
            EnergyInterval.resolution == resolution.value,
            EnergyInterval.start >= grid[0],
            EnergyInterval.start <= grid[-1],
        )
    )
    stored = {s: (v, f) for s, v, f in rows}
    return [
        Point(start=at, value=stored[at][0], flags=stored[at][1])
        if at in stored
        else Point(start=at, value=None, flags=int(Flag.MISSING))
        for at in grid
    ]


def power_series(
    session: Session,
    enterprise_id: int,
    channel_id: int,
    start: datetime,
    end: datetime,
    resolution: Resolution,
    zone: ZoneInfo,
) -> Series:
    """Mean active power [W] per bucket: the mean of power readings on a power channel, or
    energy / duration on an energy counter. None (MISSING) where nothing is known."""
    channel = _channel(session, enterprise_id, channel_id)
    if channel.quantity.is_counter:
        energy = energy_series(session, enterprise_id, channel_id, start, end, resolution, zone)
        points = []
        for i, p in enumerate(energy.points):
            nxt = (
                energy.points[i + 1].start
                if i + 1 < len(energy.points)
                else _next(p.start, resolution, zone)
            )
            seconds = Decimal(int((nxt - p.start).total_seconds()))
            watts = (
                None
                if p.value is None
                else (p.value * W_PER_KW * SECONDS_PER_HOUR / seconds).quantize(MILLI)
            )
            points.append(Point(start=p.start, value=watts, flags=p.flags))
        return Series(
            channel_id=channel_id,
            quantity=Quantity.active_power,
            unit="W",
            resolution=resolution.value,
            points=points,
        )
    grid = _span(start, end, resolution, zone)
    return Series(
        channel_id=channel_id,
        quantity=channel.quantity,
        unit=channel.unit,
        resolution=resolution.value,
        points=_mean_points(session, channel, grid, end, resolution, zone, frozenset()),
    )


def _mean_points(
    session: Session,
    channel: Channel,
    grid: list[datetime],
    end: datetime,
    resolution: Resolution,
    zone: ZoneInfo,
    seen: frozenset[int],
) -> list[Point]:
    """Mean of the channel's readings per bucket of ``grid`` (the last one ends at ``end``)."""
    if channel.meter.level is MeterLevel.virtual:
        inner = _guard(channel, seen)
        return virtual.evaluate(
            session,
            channel,
            lambda c: _mean_points(session, c, grid, end, resolution, zone, inner),
        )
    rows = session.execute(
        select(Reading.ts, Reading.value)
        .where(Reading.channel_id == channel.id, Reading.ts >= grid[0], Reading.ts < end)
        .order_by(Reading.ts)
    )
    sums: dict[datetime, list[Decimal]] = {}
    for ts, value in rows:
        if value is not None:
            sums.setdefault(local_floor(ts, resolution, zone), []).append(value)
    return [
        Point(start=at, value=(sum(sums[at], Decimal(0)) / len(sums[at])).quantize(MILLI), flags=0)
        if at in sums
        else Point(start=at, value=None, flags=int(Flag.MISSING))
        for at in grid
    ]


def energy_total(
    session: Session, enterprise_id: int, channel_id: int, lo: datetime, hi: datetime
) -> Decimal | None:
    """[channel unit] over the whole local hours in [lo, hi): the sum of the known hours,
    None when none is known (for meters whose intervals are not stored: virtual ones)."""
    channel = _channel(session, enterprise_id, channel_id)
    grid, at = [], lo
    while at < hi:
        grid.append(at)
        at += timedelta(hours=1)
    if not grid:
        return None
    known = [
        p.value
        for p in _energy_points(session, channel, grid, Resolution.hour, frozenset())
        if p.value is not None
    ]
    return sum(known, Decimal(0)) if known else None


def _next(at: datetime, resolution: Resolution, zone: ZoneInfo) -> datetime:
    if resolution is Resolution.quarter:
        return at + QUARTER
    if resolution is Resolution.hour:
        return at + timedelta(hours=1)
    return local_floor(at + timedelta(hours=30), resolution, zone)


def power_readings_after(
    session: Session, cursors: dict[int, dict[int, int]], until: datetime | None = None
) -> dict[int, PowerTrace]:
    """Raw power readings for other domains (environmental supervision): each channel's
    readings after its cursor [µs since epoch], by enterprise (``energy.readings``)."""
    return readings.power_readings_after(session, cursors, until)

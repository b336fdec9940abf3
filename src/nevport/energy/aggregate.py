"""Keep a counter channel's 15-minute, hourly and daily intervals in step with its readings.

``recompute`` is called with the time span of newly stored readings and rewrites only
the buckets those readings can change: from the quarter of the ``confirm + 1``-th
reading before the span to the quarter closed by the ``confirm + 1``-th reading after
it, then the hours and local days that contain them (docs/energy/counters.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from nevport.energy.counters import Breakpoint, CounterSpec, Flag, Sample, increments
from nevport.energy.intervals import (
    QUARTER,
    Interval,
    Resolution,
    closing_quarter,
    local_floor,
    quarter_of,
    quarters,
    roll_up,
)
from nevport.energy.models import Channel, ChannelConfig, EnergyInterval, Reading

DEFAULT_SPEC = CounterSpec()


def _near(
    session: Session, channel_id: int, ts: datetime, n: int, *, before: bool
) -> list[Reading]:
    cond = Reading.ts < ts if before else Reading.ts > ts
    order = Reading.ts.desc() if before else Reading.ts.asc()
    query = select(Reading).where(Reading.channel_id == channel_id, cond)
    if before:
        query = query.where(Reading.flags.op("&")(int(Flag.SUSPECT)) == 0)
    rows = list(session.scalars(query.order_by(order).limit(n)))
    return sorted(rows, key=lambda r: r.ts)


def _spec_and_breaks(channel: Channel, since: datetime) -> tuple[CounterSpec, list[Breakpoint]]:
    multiplier = Decimal(1)
    breaks = []
    modulus = channel.modulus or DEFAULT_SPEC.modulus
    for row in channel.history:
        if row.effective_from <= since:
            multiplier = row.multiplier
        elif row.kind != "installed":
            breaks.append(
                Breakpoint(
                    row.effective_from,
                    row.old_final,
                    row.new_initial if row.new_initial is not None else Decimal(0),
                    row.multiplier,
                )
            )
    return CounterSpec(multiplier=multiplier, modulus=modulus), breaks


def _write(
    session: Session,
    channel_id: int,
    res: Resolution,
    lo: datetime,
    hi: datetime,
    rows: list[Interval],
) -> None:
    session.execute(
        delete(EnergyInterval).where(
            EnergyInterval.channel_id == channel_id,
            EnergyInterval.resolution == res.value,
            EnergyInterval.start >= lo,
            EnergyInterval.start <= hi,
        )
    )
    values = [
        {
            "channel_id": channel_id,
            "resolution": res.value,
            "start": r.start,
            "value": r.value,
            "flags": int(r.flags),
        }
        for r in rows
        if lo <= r.start <= hi
    ]
    if values:
        session.execute(insert(EnergyInterval), values)


def recompute(
    session: Session, channel: Channel, t_lo: datetime, t_hi: datetime, zone: ZoneInfo
) -> None:
    """Rewrite the intervals that readings stored in [t_lo, t_hi] can affect."""
    k = DEFAULT_SPEC.confirm + 1
    prevs = _near(session, channel.id, t_lo, k, before=True)
    r_lo = quarter_of(prevs[0].ts if prevs else t_lo)
    anchors = _near(session, channel.id, r_lo, k, before=True)
    nexts = _near(session, channel.id, t_hi, k, before=False)
    r_hi = closing_quarter(nexts[-1].ts if nexts else t_hi)
    first = anchors[0].ts if anchors else r_lo
    beyond = _near(session, channel.id, r_hi + QUARTER, 1, before=False)
    query = select(Reading.ts, Reading.value).where(
        Reading.channel_id == channel.id, Reading.ts >= first
    )
    if beyond:
        query = query.where(Reading.ts <= beyond[0].ts)
    samples = [Sample(ts, value) for ts, value in session.execute(query.order_by(Reading.ts))]
    spec, breaks = _spec_and_breaks(channel, first)
    run = increments(samples, breaks, spec)
    _write(session, channel.id, Resolution.quarter, r_lo, r_hi, quarters(run.increments))
    if run.skipped:
        session.execute(
            update(Reading)
            .where(Reading.channel_id == channel.id, Reading.ts.in_(run.skipped))
            .values(flags=Reading.flags.op("|")(int(Flag.SUSPECT)))
        )
    for res in (Resolution.hour, Resolution.day):
        lo = local_floor(r_lo, res, zone)
        hi = local_floor(r_hi, res, zone)
        upto = local_floor(
            hi + timedelta(days=1 if res is Resolution.day else 0, hours=1), res, zone
        )
        stored = session.execute(
            select(EnergyInterval.start, EnergyInterval.value, EnergyInterval.flags).where(
                and_(
                    EnergyInterval.channel_id == channel.id,
                    EnergyInterval.resolution == Resolution.quarter.value,
                    EnergyInterval.start >= lo,
                    EnergyInterval.start < upto,
                )
            )
        )
        qs = [Interval(s, v, Flag(f)) for s, v, f in stored]
        _write(session, channel.id, res, lo, hi, roll_up(qs, res, zone))


def breakpoint_from(config: ChannelConfig) -> Breakpoint:
    return Breakpoint(
        config.effective_from,
        config.old_final,
        config.new_initial or Decimal(0),
        config.multiplier,
    )

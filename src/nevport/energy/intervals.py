"""Increments -> 15-minute intervals, and 15-minute intervals -> hours and days (pure).

An increment spanning several buckets is shared by time when its span is at most
``max_gap``; a longer gap leaves the buckets inside it NULL (``MISSING``) and puts the
whole increment in the bucket where the gap closes (``GAP``), since spreading a long
outage would invent a load profile. Shares are rounded down to ``QUANTUM`` and the
last share takes the remainder, so every bucket sum is exact.

Buckets are labelled by their start in UTC and hold the energy of (start, end]. The
15-minute grid in UTC is also the local grid of every zone in use today (all offsets
are whole quarter hours); hours and days are cut in the site's zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from nevport.energy.counters import Flag, Increment

QUARTER = timedelta(minutes=15)
MAX_GAP = timedelta(hours=1)  # longest outage shared by time (docs/energy/counters.md)
QUANTUM = Decimal("0.000001")  # [kWh] 1 mWh: finer than any meter's resolution
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
TINY = timedelta(microseconds=1)


class Resolution(StrEnum):
    quarter = "15m"
    hour = "1h"
    day = "1d"


@dataclass(frozen=True)
class Interval:
    start: datetime  # UTC
    value: Decimal | None  # None means unknown, never zero
    flags: Flag = Flag.OK


def quarter_of(ts: datetime) -> datetime:
    """Start of the 15-minute bucket containing ``ts``."""
    return EPOCH + ((ts - EPOCH) // QUARTER) * QUARTER


def closing_quarter(ts: datetime) -> datetime:
    """The bucket an instant closes: a reading at 10:15:00 ends the 10:00 bucket."""
    return quarter_of(ts - TINY)


def local_floor(ts: datetime, resolution: Resolution, zone: ZoneInfo) -> datetime:
    """Start (UTC) of the hour or day in ``zone`` that contains ``ts``."""
    if resolution is Resolution.quarter:
        return quarter_of(ts)
    local = ts.astimezone(zone)
    if resolution is Resolution.hour:
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def _shares(inc: Increment, max_gap: timedelta) -> list[tuple[datetime, Decimal, Flag]]:
    last = closing_quarter(inc.end)
    first = quarter_of(inc.start)
    if first == last or inc.end - inc.start > max_gap:
        gap = Flag.GAP if first != last else Flag.OK
        return [(last, inc.energy, inc.flags | gap)]
    span = (inc.end - inc.start).total_seconds()
    out: list[tuple[datetime, Decimal, Flag]] = []
    given = Decimal(0)
    bucket = first
    estimated = Flag.ESTIMATED if inc.end - inc.start > QUARTER else Flag.OK
    while bucket < last:
        overlap = (min(bucket + QUARTER, inc.end) - max(bucket, inc.start)).total_seconds()
        share = (inc.energy * Decimal(overlap) / Decimal(span)).quantize(QUANTUM, ROUND_DOWN)
        out.append((bucket, share, inc.flags | estimated))
        given += share
        bucket += QUARTER
    out.append((last, inc.energy - given, inc.flags | estimated))
    return out


def quarters(increments: Iterable[Increment], max_gap: timedelta = MAX_GAP) -> list[Interval]:
    """15-minute intervals from the first increment's start to the last one's end."""
    values: dict[datetime, Decimal] = defaultdict(Decimal)
    flags: dict[datetime, Flag] = defaultdict(lambda: Flag.OK)
    lo: datetime | None = None
    hi: datetime | None = None
    for inc in increments:
        lo = min(lo or inc.start, quarter_of(inc.start))
        hi = max(hi or inc.end, closing_quarter(inc.end))
        for bucket, share, flag in _shares(inc, max_gap):
            values[bucket] += share
            flags[bucket] |= flag
    if lo is None or hi is None:
        return []
    out = []
    bucket = lo
    while bucket <= hi:
        if bucket in values:
            out.append(Interval(bucket, values[bucket], flags[bucket]))
        else:
            out.append(Interval(bucket, None, Flag.MISSING))
        bucket += QUARTER
    return out


def _quarters_in(start: datetime, resolution: Resolution, zone: ZoneInfo) -> int:
    if resolution is Resolution.quarter:
        return 1
    if resolution is Resolution.hour:
        return 4
    local = start.astimezone(zone)
    following = (local + timedelta(hours=36)).replace(hour=0)  # next local midnight
    return int((following.astimezone(UTC) - start) / QUARTER)


def roll_up(quarters: Sequence[Interval], resolution: Resolution, zone: ZoneInfo) -> list[Interval]:
    """Hours or days as sums of their quarters; NULL only when every quarter is NULL."""
    groups: dict[datetime, list[Interval]] = defaultdict(list)
    for q in quarters:
        groups[local_floor(q.start, resolution, zone)].append(q)
    out = []
    for start in sorted(groups):
        members = groups[start]
        known = [q.value for q in members if q.value is not None]
        flags = Flag.OK
        for q in members:
            flags |= q.flags
        if len(members) < _quarters_in(start, resolution, zone):
            flags |= Flag.MISSING
        out.append(Interval(start, sum(known, Decimal(0)) if known else None, flags))
    return out


QUARTER_US = 15 * 60 * 10**6  # [us] one quarter hour; Unix time is on the quarter grid
UNIX = datetime(1970, 1, 1, tzinfo=UTC)


def rising_quarters(
    samples: Sequence[tuple[int, int]],
    multiplier: Decimal = Decimal(1),
    max_gap: timedelta = MAX_GAP,
) -> list[Interval]:
    """``quarters(increments(...))`` for a counter that never goes backward.

    ``samples`` are (Unix time [us], register value [micro-units]) sorted by time, none
    going backward: the common case of every batch (a healthy meter, no breakpoints),
    done in integers without an Increment per reading. An increment inside one quarter
    adds to it directly; one that crosses a boundary is shared by ``_shares`` as usual.
    Tests check equality with the general path.
    """
    if len(samples) < 2:
        return []
    sums: dict[int, int] = defaultdict(int)  # [micro-units] raw register increase
    shared: list[tuple[datetime, Decimal, Flag]] = []
    prev_us, prev_v = samples[0]
    for us, value in samples[1:]:
        bucket = prev_us // QUARTER_US
        if bucket == (us - 1) // QUARTER_US:
            sums[bucket] += value - prev_v
        else:
            energy = Decimal(value - prev_v).scaleb(-6) * multiplier
            start, end = UNIX + prev_us * TINY, UNIX + us * TINY
            shared.extend(_shares(Increment(start, end, energy), max_gap))
        prev_us, prev_v = us, value
    values = {UNIX + b * QUARTER: Decimal(v).scaleb(-6) * multiplier for b, v in sums.items()}
    flags: dict[datetime, Flag] = dict.fromkeys(values, Flag.OK)
    for at, share, flag in shared:
        values[at] = values[at] + share if at in values else share
        flags[at] = flags.get(at, Flag.OK) | flag
    # as ``quarters``: from the first start's quarter to the first end or the last closing one
    first_end = UNIX + samples[1][0] * TINY
    lo = UNIX + (samples[0][0] // QUARTER_US) * QUARTER
    hi = max(first_end, UNIX + ((samples[-1][0] - 1) // QUARTER_US) * QUARTER)
    out = []
    at = lo
    while at <= hi:
        if at in values:
            out.append(Interval(at, values[at], flags[at]))
        else:
            out.append(Interval(at, None, Flag.MISSING))
        at += QUARTER
    return out

"""Keep counter channels' 15-minute, hourly and daily intervals in step with their readings.

``recompute_many`` takes the time span of newly stored readings of each channel and
rewrites only the buckets those readings can change: from the quarter of the
``confirm + 1``-th reading before the span to the quarter closed by the ``confirm + 1``-th
reading after it, then the hours and local days that contain them
(docs/energy/counters.md). It does so for all channels of a batch at once: a fixed
number of statements per batch, whatever the number of channels; hours and days are
summed from the stored quarters by the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nevport.energy.counters import Breakpoint, CounterSpec, Flag, Sample, increments
from nevport.energy.intervals import (
    QUARTER,
    TINY,
    UNIX,
    Interval,
    Resolution,
    _quarters_in,
    closing_quarter,
    local_floor,
    quarter_of,
    quarters,
    rising_quarters,
)
from nevport.energy.models import Channel
from nevport.energy.rawdb import Raw, micro, unmicro

DEFAULT_SPEC = CounterSpec()
K = DEFAULT_SPEC.confirm + 1  # readings either side that can change a bucket's value
SUSPECT = int(Flag.SUSPECT)
FAR = datetime(9999, 1, 1, tzinfo=UTC)  # "no reading after": an upper bound for ranges
CHUNK = 2000  # [channels] per statement: keeps bound parameters under SQLite's 32,766
# The statements below are assembled from this module's constants and placeholders only;
# every value travels as a bound parameter (hence the S608 exemptions).


@dataclass(frozen=True)
class Span:
    """Newly stored readings of one channel: earliest and latest time, how many."""

    lo: datetime
    hi: datetime
    count: int = 0


def _values(raw: Raw, rows: Sequence[tuple[Any, ...]], kinds: str) -> tuple[str, list[Any]]:
    """``VALUES (...), ...`` over ``rows``; ``kinds`` has i (integer) or t (time) per column."""
    cast = {"i": "CAST(? AS integer)", "t": "CAST(? AS timestamptz)"}
    one = "(" + ", ".join("?" if raw.sqlite else cast[k] for k in kinds) + ")"
    params = [raw.ts(v) if k == "t" else v for row in rows for v, k in zip(row, kinds, strict=True)]
    return "VALUES " + ", ".join([one] * len(rows)), params


def _kth(direction: str, col: str, *, good_only: bool) -> str:
    """The K-th reading before/after ``s.{col}``, or the farthest one when fewer exist."""
    cmp, order, agg = ("<", "DESC", "min") if direction == "before" else (">", "ASC", "max")
    good = f" AND (r.flags & {SUSPECT}) = 0" if good_only else ""
    where = f"r.channel_id = s.cid AND r.ts {cmp} s.{col}{good}"
    return (
        f"COALESCE((SELECT r.ts FROM energy_readings r WHERE {where} "  # noqa: S608
        f"ORDER BY r.ts {order} LIMIT 1 OFFSET {K - 1}), "
        f"(SELECT {agg}(r.ts) FROM energy_readings r WHERE {where}))"
    )


def _bounds(
    raw: Raw, spans: dict[int, Span]
) -> dict[int, tuple[datetime, datetime, datetime, datetime]]:
    """Per channel: (first reading to read, last reading to read, first and last quarter)."""
    out = {}
    ids = list(spans)
    for n in range(0, len(ids), CHUNK):
        chunk = [(c, spans[c].lo, spans[c].hi) for c in ids[n : n + CHUNK]]
        values, params = _values(raw, chunk, "itt")
        rows = raw.run(
            f"WITH s(cid, lo, hi) AS ({values}) SELECT s.cid, "  # noqa: S608
            f"{_kth('before', 'lo', good_only=True)}, {_kth('after', 'hi', good_only=False)} "
            "FROM s",
            params,
        )
        quarters_ = {}
        for cid, before, after in rows:
            r_lo = quarter_of(raw.from_ts(before) if before is not None else spans[cid].lo)
            r_hi = closing_quarter(raw.from_ts(after) if after is not None else spans[cid].hi)
            quarters_[cid] = (r_lo, r_hi)
        chunk2 = [(c, lo, hi + QUARTER) for c, (lo, hi) in quarters_.items()]
        values, params = _values(raw, chunk2, "itt")
        rows = raw.run(
            f"WITH s(cid, lo, hi) AS ({values}) SELECT s.cid, "  # noqa: S608
            f"{_kth('before', 'lo', good_only=True)}, "
            "(SELECT min(r.ts) FROM energy_readings r WHERE r.channel_id = s.cid AND r.ts > s.hi) "
            "FROM s",
            params,
        )
        for cid, anchor, beyond in rows:
            r_lo, r_hi = quarters_[cid]
            first = raw.from_ts(anchor) if anchor is not None else r_lo
            last = raw.from_ts(beyond) if beyond is not None else FAR
            out[cid] = (first, last, r_lo, r_hi)
    return out


def _samples(
    raw: Raw, bounds: dict[int, tuple[datetime, datetime, datetime, datetime]]
) -> dict[int, list[tuple[int, int | None]]]:
    """(Unix time [us], value [micro-units]) of each channel's readings to recompute from.

    The database turns times into integers: parsing 10^5 timestamps a second in Python
    would cost more than everything else here.
    """
    unix_us = (
        "CAST(strftime('%s', r.ts) AS INTEGER) * 1000000 + CAST(substr(r.ts, 21, 6) AS INTEGER)"
        if raw.sqlite
        else "CAST(extract(epoch FROM r.ts) * 1000000 AS bigint)"
    )
    out: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    ids = list(bounds)
    for n in range(0, len(ids), CHUNK):
        chunk = [(c, bounds[c][0], bounds[c][1]) for c in ids[n : n + CHUNK]]
        values, params = _values(raw, chunk, "itt")
        rows = raw.run(
            f"WITH s(cid, a, b) AS ({values}) SELECT r.channel_id, {unix_us}, r.value "  # noqa: S608
            "FROM s JOIN energy_readings r ON r.channel_id = s.cid AND r.ts >= s.a "
            "AND r.ts <= s.b ORDER BY r.channel_id, r.ts",
            params,
        )
        for cid, us, value in rows:
            out[cid].append((us, value))
    return out


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


def _quarters(
    channel: Channel, first: datetime, rows: list[tuple[int, int | None]]
) -> tuple[list[Interval], list[datetime]]:
    """The channel's quarters over ``rows``, and the readings judged bad (to flag)."""
    spec, breaks = _spec_and_breaks(channel, first)
    known = [(us, v) for us, v in rows if v is not None]
    if not breaks and all(known[i][1] <= known[i + 1][1] for i in range(len(known) - 1)):
        return rising_quarters(known, spec.multiplier), []
    samples = [Sample(UNIX + us * TINY, unmicro(v)) for us, v in known]
    run = increments(samples, breaks, spec)
    return quarters(run.increments), run.skipped


def _buckets(r_lo: datetime, r_hi: datetime, res: Resolution, zone: ZoneInfo) -> list[datetime]:
    """Starts of the hours or local days from the one holding ``r_lo`` to ``r_hi``'s."""
    at, hi = local_floor(r_lo, res, zone), local_floor(r_hi, res, zone)
    out = []
    while at <= hi:
        out.append(at)
        at = _after(at, res, zone)
    return out


def _after(at: datetime, res: Resolution, zone: ZoneInfo) -> datetime:
    if res is Resolution.hour:
        return at + timedelta(hours=1)
    return local_floor(at + timedelta(hours=30), res, zone)  # next local midnight


def _roll_up(
    raw: Raw, ranges: dict[int, tuple[datetime, datetime]], res: Resolution, zone: ZoneInfo
) -> None:
    """Rewrite hours or days over ``ranges`` as sums of their stored quarters."""
    buckets = [
        (cid, start, _after(start, res, zone))
        for cid, (lo, hi) in ranges.items()
        for start in _buckets(lo, hi, res, zone)
    ]
    bits = [int(f) for f in Flag if f]
    flag_cols = ", ".join(f"max(q.flags & {b})" for b in bits)
    rows_out = []
    for n in range(0, len(buckets), CHUNK):
        chunk = [(i, *b) for i, b in enumerate(buckets[n : n + CHUNK], start=n)]
        values, params = _values(raw, chunk, "iitt")
        rows = raw.run(
            f"WITH b(i, cid, s, e) AS ({values}) SELECT b.i, count(*), count(q.value), "  # noqa: S608
            f"sum(q.value), {flag_cols} FROM b JOIN energy_intervals q ON q.channel_id = b.cid "
            f"AND q.resolution = '{Resolution.quarter.value}' AND q.start >= b.s "
            "AND q.start < b.e GROUP BY b.i",
            params,
        )
        for i, count, known, total, *flags in rows:
            cid, start, _ = buckets[i]
            flag = sum(flags)
            if count < _quarters_in(start, res, zone):
                flag |= int(Flag.MISSING)
            value = int(total) if known else None
            rows_out.append((cid, res.value, raw.ts(start), value, flag))
    raw.many(
        "DELETE FROM energy_intervals WHERE channel_id = ? AND resolution = ? "
        "AND start >= ? AND start <= ?",
        [
            (cid, res.value, raw.ts(local_floor(lo, res, zone)), raw.ts(local_floor(hi, res, zone)))
            for cid, (lo, hi) in ranges.items()
        ],
    )
    raw.many(
        "INSERT INTO energy_intervals (channel_id, resolution, start, value, flags) "
        "VALUES (?, ?, ?, ?, ?)",
        rows_out,
    )


def recompute_many(session: Session, spans: dict[int, Span], zone: ZoneInfo) -> None:
    """Rewrite the intervals that readings stored in each channel's span can affect."""
    raw = Raw(session)
    channels = {
        c.id: c
        for c in session.scalars(
            select(Channel).where(Channel.id.in_(spans)).options(selectinload(Channel.history))
        )
    }
    bounds = _bounds(raw, spans)
    samples = _samples(raw, bounds)
    q = Resolution.quarter.value
    deletes: list[tuple[Any, ...]] = []
    inserts: list[tuple[Any, ...]] = []
    suspects: list[tuple[Any, ...]] = []
    for cid, (first, _, r_lo, r_hi) in bounds.items():
        rows, skipped = _quarters(channels[cid], first, samples.get(cid, []))
        deletes.append((cid, q, raw.ts(r_lo), raw.ts(r_hi)))
        inserts.extend(
            (cid, q, raw.ts(i.start), None if i.value is None else micro(i.value), int(i.flags))
            for i in rows
            if r_lo <= i.start <= r_hi
        )
        suspects.extend((SUSPECT, cid, raw.ts(ts)) for ts in skipped)
    raw.many(
        "DELETE FROM energy_intervals WHERE channel_id = ? AND resolution = ? "
        "AND start >= ? AND start <= ?",
        deletes,
    )
    raw.many(
        "INSERT INTO energy_intervals (channel_id, resolution, start, value, flags) "
        "VALUES (?, ?, ?, ?, ?)",
        inserts,
    )
    raw.many(
        "UPDATE energy_readings SET flags = flags | ? WHERE channel_id = ? AND ts = ?", suspects
    )
    ranges = {cid: (b[2], b[3]) for cid, b in bounds.items()}
    for res in (Resolution.hour, Resolution.day):
        _roll_up(raw, ranges, res, zone)


def recompute(
    session: Session, channel: Channel, t_lo: datetime, t_hi: datetime, zone: ZoneInfo
) -> None:
    """Rewrite the intervals that readings stored in [t_lo, t_hi] can affect."""
    session.flush()  # the raw statements must see what the session holds
    recompute_many(session, {channel.id: Span(t_lo, t_hi)}, zone)

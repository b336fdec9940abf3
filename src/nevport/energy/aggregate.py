"""Keep counter channels' 15-minute, hourly and daily intervals in step with their readings.

``recompute_many`` takes the time span of newly stored readings of each channel and
rewrites only the buckets those readings can change: from the quarter of the
``confirm + 1``-th reading before the span to the quarter closed by the ``confirm + 1``-th
reading after it, then the hours and local days that contain them
(docs/energy/counters.md). It does so for all channels of a batch at once: a fixed
number of statements per batch, whatever the number of channels; hours and days are
summed from the stored quarters by the database. Readings appended to a settled, rising
counter are added to the stored quarters instead (``nevport.energy.incremental``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nevport.energy import incremental
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
    """Newly stored readings of one channel: earliest and latest time, how many, and the
    readings themselves when the caller has them, sorted by time (then a batch appended
    to a rising counter is added to its quarters without re-reading them)."""

    lo: datetime
    hi: datetime
    count: int = 0
    readings: Sequence[incremental.Reading] | None = None


def spans_of(raw: Raw, rows: Sequence[tuple[int, Any, int | None]]) -> dict[int, Span]:
    """The Span of each channel's new (channel, driver time, value [micro-units]) rows.

    Driver times become Unix time [us] once per distinct instant: meters of a site report
    on the same clock ticks, so a batch holds few of them.
    """
    unix: dict[Any, int] = {}
    by_channel: dict[int, list[incremental.Reading]] = defaultdict(list)
    for cid, ts, value in rows:
        us = unix.get(ts)
        if us is None:
            us = unix[ts] = incremental.us_of(raw.from_ts(ts))
        by_channel[cid].append((us, value))
    out = {}
    for cid, readings in by_channel.items():
        readings.sort(key=itemgetter(0))  # usually in order already: one pass
        lo, hi = UNIX + readings[0][0] * TINY, UNIX + readings[-1][0] * TINY
        out[cid] = Span(lo, hi, len(readings), readings)
    return out


def _values(raw: Raw, rows: Sequence[tuple[Any, ...]], kinds: str) -> tuple[str, list[Any]]:
    """``VALUES (...), ...`` over ``rows``; ``kinds`` has i (integer), s (text) or t (time)
    per column."""
    cast = {"i": "CAST(? AS integer)", "s": "CAST(? AS varchar)", "t": "CAST(? AS timestamptz)"}
    one = "(" + ", ".join("?" if raw.sqlite else cast[k] for k in kinds) + ")"
    params = [raw.ts(v) if k == "t" else v for row in rows for v, k in zip(row, kinds, strict=True)]
    return "VALUES " + ", ".join([one] * len(rows)), params


def _kth(direction: str, col: str, *, good_only: bool) -> str:
    """The K-th known reading before/after ``s.{col}`` (a failed read moves no counter:
    it does not count); when fewer exist, the first known one before, or the last one
    of any kind after (the end of the history, as a recompute of all of it ends)."""
    cmp, order, agg = ("<", "DESC", "min") if direction == "before" else (">", "ASC", "max")
    good = " AND r.value IS NOT NULL"
    good += f" AND (r.flags & {SUSPECT}) = 0" if good_only else ""
    where = f"r.channel_id = s.cid AND r.ts {cmp} s.{col}"
    farthest = where + good if direction == "before" else where
    return (
        f"COALESCE((SELECT r.ts FROM energy_readings r WHERE {where}{good} "  # noqa: S608
        f"ORDER BY r.ts {order} LIMIT 1 OFFSET {K - 1}), "
        f"(SELECT {agg}(r.ts) FROM energy_readings r WHERE {farthest}))"
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
            "(SELECT min(r.ts) FROM energy_readings r WHERE r.channel_id = s.cid AND r.ts > s.hi "
            "AND r.value IS NOT NULL) "
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
    unix_us = incremental.unix_us(raw, "r.ts")
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


def _rising(known: list[tuple[int, int]], changes: list[int]) -> bool:
    """``K`` known readings whose values do not fall, no configuration change (Unix time
    [us]) among them: the last one is a settled base."""
    return (
        len(known) == K
        and all(a[1] <= b[1] for a, b in pairwise(known))
        and not any(known[0][0] <= at <= known[-1][0] for at in changes)
    )


def _widen(
    raw: Raw,
    channels: dict[int, Channel],
    bounds: dict[int, tuple[datetime, datetime, datetime, datetime]],
    samples: dict[int, list[tuple[int, int | None]]],
) -> None:
    """Read the whole history of channels whose window does not settle the counter.

    A window gives the quarters from ``r_lo`` to ``r_hi`` the full history would give when
    its first ``K`` known readings (before ``r_lo``) and its last ``K`` (the last one at or
    after ``r_hi`` + 15 min) do not fall: whatever came before or after, the counter is then
    at those readings' values. A failed or backward read, or a configuration change, where
    the window ends or begins breaks that (the increment over it, or its verdict, lies
    outside, and so may quarters it changes); such a channel is recomputed from its first
    known reading to its last reading, all its quarters rewritten.
    """
    whole = {}
    for cid, (_, last, r_lo, r_hi) in bounds.items():
        known = [(us, v) for us, v in samples.get(cid, []) if v is not None]
        head, tail = known[:K], known[-K:]
        changes = [incremental.us_of(row.effective_from) for row in channels[cid].history]
        head_ok = _rising(head, changes) and UNIX + head[-1][0] * TINY < r_lo
        tail_ok = last == FAR or (
            _rising(tail, changes) and UNIX + tail[-1][0] * TINY >= r_hi + QUARTER
        )
        if not (head_ok and tail_ok):
            whole[cid] = (UNIX, FAR, r_lo, r_hi)
    if not whole:
        return
    for cid, rows in _samples(raw, whole).items():
        samples[cid] = rows
        start = quarter_of(UNIX + next((us for us, v in rows if v is not None), rows[0][0]) * TINY)
        end = closing_quarter(UNIX + rows[-1][0] * TINY)
        _, _, r_lo, r_hi = bounds[cid]
        bounds[cid] = (start, FAR, min(r_lo, start), max(r_hi, end))


def spec_and_breaks(channel: Channel, since: datetime) -> tuple[CounterSpec, list[Breakpoint]]:
    """The counter's multiplier and modulus at ``since`` and its changes after it."""
    multiplier = Decimal(1)
    breaks = []
    modulus = channel.modulus or DEFAULT_SPEC.modulus
    # sorted here: a change just appended to the loaded history may be older than others
    for row in sorted(channel.history, key=lambda row: row.effective_from):
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
    spec, breaks = spec_and_breaks(channel, first)
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


def _roll_up(raw: Raw, ranges: dict[int, tuple[datetime, datetime]], zone: ZoneInfo) -> None:
    """Rewrite the hours and days over ``ranges`` as sums of their stored quarters.

    The database sums and writes them (one DELETE per channel and resolution, one INSERT
    ... SELECT per ``CHUNK`` buckets); a bucket without any quarter is not written.
    """
    starts: dict[tuple[datetime, datetime, Resolution], list[datetime]] = {}
    buckets: list[tuple[Any, ...]] = []
    deletes: list[tuple[Any, ...]] = []
    for res in (Resolution.hour, Resolution.day):
        for cid, (lo, hi) in ranges.items():
            key = (lo, hi, res)  # channels of a batch mostly share their range
            if key not in starts:
                starts[key] = _buckets(lo, hi, res, zone)
            if not starts[key]:
                continue
            deletes.append((cid, res.value, raw.ts(starts[key][0]), raw.ts(starts[key][-1])))
            buckets.extend(
                (cid, res.value, at, _after(at, res, zone), _quarters_in(at, res, zone))
                for at in starts[key]
            )
    raw.many(
        "DELETE FROM energy_intervals WHERE channel_id = ? AND resolution = ? "
        "AND start >= ? AND start <= ?",
        deletes,
    )
    flags = " + ".join(f"max(q.flags & {int(f)})" for f in Flag if f)
    for n in range(0, len(buckets), CHUNK):
        values, params = _values(raw, buckets[n : n + CHUNK], "istti")
        raw.run(
            "INSERT INTO energy_intervals (channel_id, resolution, start, value, flags) "  # noqa: S608
            f"WITH b(cid, res, s, e, n) AS ({values}) SELECT b.cid, b.res, b.s, sum(q.value), "
            f"({flags}) | (CASE WHEN count(*) < b.n THEN {int(Flag.MISSING)} ELSE 0 END) "
            "FROM b JOIN energy_intervals q ON q.channel_id = b.cid "
            f"AND q.resolution = '{Resolution.quarter.value}' AND q.start >= b.s "
            "AND q.start < b.e GROUP BY b.cid, b.res, b.s, b.n",
            params,
        )


def _append(raw: Raw, spans: dict[int, Span]) -> dict[int, tuple[datetime, datetime] | None]:
    """Add the batches appended to settled, rising counters to their stored quarters;
    per channel so done, the first and last quarter changed (None: none changed)."""
    tails = incremental.tails(
        raw, {cid: span.lo for cid, span in spans.items() if span.readings is not None}
    )
    configs = incremental.configs(raw, list(tails))
    done: dict[int, tuple[datetime, datetime] | None] = {}
    rows: list[tuple[Any, ...]] = []
    for cid, tail in tails.items():
        span = spans[cid]
        assert span.readings is not None
        if tail.at_or_after != span.count:
            continue  # stored readings among or after the new ones: late data
        multiplier = incremental.multiplier_if_settled(configs[cid], tail)
        if multiplier is None:
            continue
        added = incremental.quarter_rows(cid, tail, span.readings, multiplier, raw)
        if added is not None:
            rows.extend(added[0])
            done[cid] = added[1]
    incremental.add_quarters(raw, rows)
    return done


def _recompute(
    session: Session, raw: Raw, spans: dict[int, Span]
) -> dict[int, tuple[datetime, datetime]]:
    """Recompute the quarters over each channel's window; the first and last rewritten."""
    channels = {
        c.id: c
        for c in session.scalars(
            select(Channel).where(Channel.id.in_(spans)).options(selectinload(Channel.history))
        )
    }
    bounds = _bounds(raw, spans)
    samples = _samples(raw, bounds)
    _widen(raw, channels, bounds, samples)
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
    return {cid: (b[2], b[3]) for cid, b in bounds.items()}


def _lock(raw: Raw, ids: list[int]) -> None:
    """Take the channels' rows until commit, so that two batches of one channel bring its
    intervals up to date one after the other, each seeing the other's readings.

    Otherwise, on PostgreSQL, two transactions could both add increments from the same
    last stored reading (counting the energy between twice) or recompute a quarter each
    without the other's readings. NO KEY UPDATE does not wait for the key-share locks that
    inserting readings or configuration rows takes on the channel. SQLite has one writer
    at a time already.
    """
    if raw.sqlite or not ids:
        return
    raw.run(
        "SELECT id FROM energy_channels WHERE id = ANY(?) ORDER BY id FOR NO KEY UPDATE",
        [sorted(ids)],
    )


def recompute_many(session: Session, spans: dict[int, Span], zone: ZoneInfo) -> None:
    """Rewrite the intervals that readings stored in each channel's span can affect."""
    raw = Raw(session)
    _lock(raw, list(spans))
    appended = _append(raw, spans)
    ranges = {cid: r for cid, r in appended.items() if r is not None}
    rest = {cid: span for cid, span in spans.items() if cid not in appended}
    if rest:
        ranges.update(_recompute(session, raw, rest))
    _roll_up(raw, ranges, zone)


def recompute(
    session: Session, channel: Channel, t_lo: datetime, t_hi: datetime, zone: ZoneInfo
) -> None:
    """Rewrite the intervals that readings stored in [t_lo, t_hi] can affect."""
    session.flush()  # the raw statements must see what the session holds
    recompute_many(session, {channel.id: Span(t_lo, t_hi)}, zone)

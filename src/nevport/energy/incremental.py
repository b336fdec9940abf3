"""Add a batch of readings appended to a rising counter to its stored quarters, in place.

The common batch of a healthy meter comes after every stored reading of its channel and
keeps rising. Its increments are then the differences from the last stored reading on,
and they change no increment before it: the quarters they touch become the stored value
plus their shares, exactly what a recompute from the readings would give, without
re-reading the quarter so far (docs/energy/counters.md, "Appended readings"). A channel
takes this path only when that is sure; ``aggregate.recompute_many`` recomputes the rest.

The stored counter is settled at its last reading when the last ``K`` stored readings
are known, not flagged suspect and do not fall, and no configuration change lies at or
after the first of them: a backward reading among them would either have been confirmed
by the later ones or contradicted by them, never left waiting for the new batch. Shares
add exactly in micro-units only when the multiplier is whole (a multiplier of 1.5 makes
7-decimal energies that storage rounds), so other multipliers are recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from nevport.energy.counters import CounterSpec, Flag
from nevport.energy.intervals import QUARTER_US, TINY, UNIX, Resolution, rising_quarters
from nevport.energy.rawdb import Raw, micro, unmicro

K = CounterSpec().confirm + 1  # stored readings that must agree before the batch
SUSPECT = int(Flag.SUSPECT)
CHUNK = 2000  # [channels] per statement: keeps bound parameters under SQLite's 32,766
# The statements below are assembled from this module's constants and placeholders only;
# every value travels as a bound parameter (hence the S608 exemptions).

Reading = tuple[int, int | None]  # (Unix time [us], value [micro-units]; None: failed read)


@dataclass(frozen=True)
class Config:
    """A row of a channel's configuration history (``models.ChannelConfig``)."""

    at_us: int  # effective from, Unix time [us]
    kind: str
    multiplier: Decimal  # CT ratio x PT ratio


@dataclass(frozen=True)
class Tail:
    """What is stored of a channel before a batch: its last ``K`` readings, oldest first,
    (Unix time [us], value [micro-units], flags); how many readings lie at or after the
    batch's first; the time of its first reading [us]."""

    last: list[tuple[int, int | None, int]]
    at_or_after: int
    first_us: int


def unix_us(raw: Raw, column: str) -> str:
    """SQL for a stored time as Unix time [us]: the database converts, Python need not
    parse 10^5 timestamps a second."""
    if raw.sqlite:
        return (
            f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
            f"+ CAST(substr({column}, 21, 6) AS INTEGER))"
        )
    return f"CAST(extract(epoch FROM {column}) * 1000000 AS bigint)"


def us_of(at: datetime) -> int:
    return (at - UNIX) // TINY


def _tail_sql(raw: Raw, n: int) -> str:
    """Per channel of ``s(cid, lo)``: its last ``K`` readings before ``lo``, with the
    count of readings at or after ``lo`` and the time of its first one."""
    one = "(?, ?)" if raw.sqlite else "(CAST(? AS integer), CAST(? AS timestamptz))"
    last = (
        "FROM energy_readings b WHERE b.channel_id = s.cid AND b.ts < s.lo "
        f"ORDER BY b.ts DESC LIMIT {K}"
    )
    # PostgreSQL plans the correlated IN below as a scan of every reading; a LATERAL join
    # walks the index backwards. SQLite has no LATERAL and walks the index for the IN.
    tail = (
        f"JOIN energy_readings r ON r.channel_id = s.cid AND r.ts IN (SELECT b.ts {last})"
        if raw.sqlite
        else f"CROSS JOIN LATERAL (SELECT b.ts, b.value, b.flags {last}) r"
    )
    return (
        f"WITH s(cid, lo) AS (VALUES {', '.join([one] * n)}) "  # noqa: S608
        f"SELECT s.cid, {unix_us(raw, 'r.ts')}, r.value, r.flags, "
        "(SELECT count(*) FROM energy_readings a WHERE a.channel_id = s.cid AND a.ts >= s.lo), "
        f"(SELECT {unix_us(raw, 'min(a.ts)')} FROM energy_readings a "
        f"WHERE a.channel_id = s.cid) FROM s {tail} ORDER BY s.cid, r.ts"
    )


def tails(raw: Raw, firsts: dict[int, datetime]) -> dict[int, Tail]:
    """The stored tail of each channel before ``firsts[channel]``, in one statement per
    ``CHUNK`` channels; channels with fewer than ``K`` readings before it are left out."""
    out: dict[int, Tail] = {}
    ids = list(firsts)
    for n in range(0, len(ids), CHUNK):
        chunk = ids[n : n + CHUNK]
        params = [v for c in chunk for v in (c, raw.ts(firsts[c]))]
        grouped: dict[int, list[tuple[Any, ...]]] = {}
        for row in raw.run(_tail_sql(raw, len(chunk)), params):
            grouped.setdefault(row[0], []).append(row)
        for cid, group in grouped.items():
            if len(group) == K:
                last = [(int(us), value, flags) for _, us, value, flags, _, _ in group]
                out[cid] = Tail(last, int(group[0][4]), int(group[0][5]))
    return out


def configs(raw: Raw, ids: Sequence[int]) -> dict[int, list[Config]]:
    """Each channel's configuration history, oldest first."""
    out: dict[int, list[Config]] = {cid: [] for cid in ids}
    for n in range(0, len(ids), CHUNK):
        chunk = ids[n : n + CHUNK]
        rows = raw.run(
            f"SELECT channel_id, {unix_us(raw, 'effective_from')}, kind, ct_ratio, pt_ratio "  # noqa: S608
            f"FROM energy_channel_configs WHERE channel_id IN ({', '.join('?' * len(chunk))}) "
            "ORDER BY channel_id, effective_from",
            chunk,
        )
        for cid, us, kind, ct, pt in rows:
            out[cid].append(Config(int(us), kind, unmicro(ct) * unmicro(pt)))
    return out


def multiplier_if_settled(history: Sequence[Config], tail: Tail) -> Decimal | None:
    """The multiplier in force after the tail if the stored counter is settled at its last
    reading and the multiplier is whole; None when the batch needs a recompute."""
    values = [v for _, v, _ in tail.last]
    if any(v is None for v in values) or any(flags & SUSPECT for _, _, flags in tail.last):
        return None
    if any(a > b for a, b in pairwise(values)):  # type: ignore[operator]
        return None
    multiplier = Decimal(1)
    for row in history:
        if row.at_us >= tail.last[0][0]:
            return None  # a change among or after the tail: its breakpoint decides
        if row.kind == "installed" and row.at_us > tail.first_us:
            return None  # readings before installation: recompute windows differ
        multiplier = row.multiplier
    if multiplier != multiplier.to_integral_value():
        return None
    return multiplier


def quarter_rows(
    cid: int, tail: Tail, new: Sequence[Reading], multiplier: Decimal, raw: Raw
) -> tuple[list[tuple[Any, ...]], tuple[datetime, datetime] | None] | None:
    """Rows to add into the stored quarters for ``new`` readings after ``tail``, and the
    first and last quarter they touch (None: no known value, nothing changes); None when
    the batch does not keep rising."""
    prev_us, prev_v, _ = tail.last[-1]
    assert prev_v is not None
    samples = [(prev_us, prev_v)]
    for us, value in new:
        if value is None:
            continue  # a failed read: the counter goes on from the last known one
        if value < samples[-1][1]:
            return None
        samples.append((us, value))
    if len(samples) < 2:
        return [], None
    last = UNIX + ((samples[-1][0] - 1) // QUARTER_US) * (QUARTER_US * TINY)
    q = Resolution.quarter.value
    rows = [
        (cid, q, raw.ts(i.start), None if i.value is None else micro(i.value), int(i.flags))
        for i in rising_quarters(samples, multiplier)
        if i.start <= last
    ]
    first = UNIX + (prev_us // QUARTER_US) * (QUARTER_US * TINY)
    return rows, (first, last)


def add_quarters(raw: Raw, rows: list[tuple[Any, ...]]) -> None:
    """Add shares into stored quarters: a quarter without shares (NULL, ``MISSING``) is
    the neutral element on either side, else values add and flags combine."""
    raw.many(
        "INSERT INTO energy_intervals (channel_id, resolution, start, value, flags) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel_id, resolution, start) DO UPDATE "
        "SET value = CASE WHEN excluded.value IS NULL THEN energy_intervals.value "
        "WHEN energy_intervals.value IS NULL THEN excluded.value "
        "ELSE energy_intervals.value + excluded.value END, "
        "flags = CASE WHEN excluded.value IS NULL THEN energy_intervals.flags "
        "WHEN energy_intervals.value IS NULL THEN excluded.flags "
        "ELSE energy_intervals.flags | excluded.flags END",
        rows,
    )

"""Power reading by reading, for consumers that cannot wait for the 15-minute intervals.

``power_readings`` returns each channel's power at the instants the devices reported
it: a power channel's stored readings as they are (instantaneous values in the
channel's unit, W for ``active_power``), an active-energy counter's mean power over
each step between two consecutive readings, dated at the later one (difference times
the multiplier in force, through ``counters.increments``, so rollovers, replacements
and declared resets count as they do for intervals). A read the device could not make
is NaN, never 0; so is a counter step across an undeclared reset, whose energy is
unknown. Times are integer microseconds since the epoch (UTC): exact, as stored, so a
caller can resume from the last one it saw.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nevport.energy.aggregate import spec_and_breaks
from nevport.energy.counters import Flag, Sample, increments
from nevport.energy.models import Channel
from nevport.energy.quantities import Quantity
from nevport.energy.rawdb import Raw, unmicro
from nevport.errors import InvalidInput, NotFound

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
W_PER_KWH_PER_S = 3_600_000.0  # [W] of 1 kWh spread over 1 s
GROUP_US = 60_000_000  # [µs] channels whose cursors share a minute are read together
POWER_COUNTERS = frozenset(
    {Quantity.active_energy_import, Quantity.active_energy_export, Quantity.pv_energy}
)  # counters in kWh: their differences are power


@dataclass(frozen=True)
class PowerTrace:
    """One channel's power: ``t_us`` (N,) [µs since epoch] ascending, ``watts`` (N,) [W
    for power and energy channels, the stored unit otherwise], NaN where unknown."""

    channel_id: int
    t_us: NDArray[np.int64]
    watts: NDArray[np.float64]


def to_us(at: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact)."""
    if at.tzinfo is None:
        raise InvalidInput(f"{at.isoformat()} has no time zone")
    return (at - EPOCH) // MICROSECOND


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def power_readings(
    session: Session,
    enterprise_id: int,
    channel_ids: Sequence[int],
    after: datetime,
    until: datetime | None = None,
) -> dict[int, PowerTrace]:
    """Power of each channel at every reading stored with ``after < ts <= until`` (no
    upper bound when ``until`` is None). A channel of another enterprise is NotFound; a
    counter that is not active energy (water, gas, reactive) is refused."""
    after_us = to_us(after)
    return power_readings_after(
        session, {enterprise_id: dict.fromkeys(channel_ids, after_us)}, until
    )


def power_readings_after(
    session: Session, cursors: Mapping[int, Mapping[int, int]], until: datetime | None = None
) -> dict[int, PowerTrace]:
    """``power_readings`` for many enterprises in one read, each channel from its own
    cursor: ``cursors`` is enterprise id -> channel id -> µs of the last reading already
    seen. For a background loop that follows every enterprise's new readings."""
    after_of = {cid: after for wanted in cursors.values() for cid, after in wanted.items()}
    if not after_of:
        return {}
    owners = {cid: eid for eid, wanted in cursors.items() for cid in wanted}
    channels = _channels(session, owners)
    raw = Raw(session)
    rows = _rows(raw, _groups(after_of), until)
    out: dict[int, PowerTrace] = {}
    for cid, channel in channels.items():
        after = after_of[cid]
        found = [(us, v) for us, v in rows.get(cid, []) if us > after]
        if channel is not None:  # a counter
            out[cid] = _counter_power(raw, channel, from_us(after), found)
        else:
            out[cid] = PowerTrace(
                cid,
                np.array([us for us, _ in found], dtype=np.int64),
                np.array([np.nan if v is None else v / 1e6 for _, v in found]),
            )
    return out


def _channels(session: Session, owners: Mapping[int, int]) -> dict[int, Channel | None]:
    """The channels of ``owners`` (channel id -> enterprise id), each checked to belong to
    its enterprise and to give power: None for a power channel, the Channel with its
    history for a counter (its multiplier is needed)."""
    rows = session.execute(
        select(Channel.id, Channel.enterprise_id, Channel.quantity).where(
            Channel.id.in_(sorted(owners))
        )
    )
    found = {cid: (eid, quantity) for cid, eid, quantity in rows}
    counters = []
    for cid, enterprise_id in owners.items():
        owner, quantity = found.get(cid, (None, None))
        if owner != enterprise_id or quantity is None:
            raise NotFound(f"enterprise {enterprise_id} has no energy channel {cid}")
        if quantity.is_counter and quantity not in POWER_COUNTERS:
            raise InvalidInput(
                f"channel {cid} counts {quantity.value}, which gives no power", field="channel_id"
            )
        if quantity.is_counter:
            counters.append(cid)
    out: dict[int, Channel | None] = dict.fromkeys(owners)
    if counters:
        for channel in session.scalars(
            select(Channel).where(Channel.id.in_(counters)).options(selectinload(Channel.history))
        ):
            out[channel.id] = channel
    return out


def _us(raw: Raw, value: Any) -> int:
    return (raw.from_ts(value) - EPOCH) // MICROSECOND


def _groups(after_of: Mapping[int, int]) -> list[tuple[int, list[int]]]:
    """Channels grouped by their cursor floored to the minute, each group read from its
    earliest cursor: a few range scans in steady state, and a channel that stopped
    reporting long ago does not make every other channel be read from then."""
    groups: dict[int, list[int]] = {}
    for cid, after in after_of.items():
        groups.setdefault(after - after % GROUP_US, []).append(cid)
    return [(min(after_of[c] for c in cids), sorted(cids)) for _, cids in sorted(groups.items())]


def _rows(
    raw: Raw, groups: list[tuple[int, list[int]]], until: datetime | None
) -> dict[int, list[tuple[int, int | None]]]:
    """Per channel, (µs, micro-value) of the readings after its group's cursor [µs] (and
    at or before ``until``), in time order."""
    if not groups:
        return {}
    clauses, params = [], []
    for after, channel_ids in groups:
        marks = ", ".join("?" for _ in channel_ids)  # placeholders only: values are bound
        clauses.append(f"(channel_id IN ({marks}) AND ts > ?)")
        params += [*channel_ids, raw.ts(from_us(after))]
    text = (
        "SELECT channel_id, ts, value FROM energy_readings "  # noqa: S608
        f"WHERE ({' OR '.join(clauses)})"
    )
    if until is not None:
        text += " AND ts <= ?"
        params.append(raw.ts(until))
    out: dict[int, list[tuple[int, int | None]]] = {}
    found = raw.run(text + " ORDER BY channel_id, ts", params)
    stamps = _us_all(raw, [ts for _, ts, _ in found])
    for (cid, _, value), us in zip(found, stamps, strict=True):
        out.setdefault(cid, []).append((us, value))
    return out


def _us_all(raw: Raw, stamps: list[Any]) -> list[int]:
    """``_us`` of each stamp; SQLite's text in one NumPy parse, kept only where every
    stamp reads back as the very text it came from (naive UTC, 6 fractional digits, as
    rawdb and the ORM write it), so the result is exactly ``_us``'s."""
    text = np.array(stamps)
    if raw.sqlite and text.dtype.kind == "U":  # all text
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a stamp with an offset: refused below
            try:
                parsed = text.astype("datetime64[us]")
            except ValueError:
                parsed = None
        if parsed is not None:
            back = np.strings.replace(np.datetime_as_string(parsed, unit="us"), "T", " ")
            if bool((back == text).all()):
                return list(parsed.astype(np.int64).tolist())
    return [_us(raw, ts) for ts in stamps]


def _counter_power(
    raw: Raw, channel: Channel, after: datetime, found: list[tuple[int, int | None]]
) -> PowerTrace:
    """Mean power between consecutive readings; the first difference starts from the last
    good reading at or before ``after``. A reading that went backward and waits for
    confirmation, and everything after it, is left for a later read."""
    empty = PowerTrace(channel.id, np.zeros(0, dtype=np.int64), np.zeros(0))
    if not found:
        return empty
    base = raw.run(
        "SELECT ts, value FROM energy_readings WHERE channel_id = ? AND ts <= ? "
        "AND value IS NOT NULL ORDER BY ts DESC LIMIT 1",
        [channel.id, raw.ts(after)],
    )
    samples = [Sample(raw.from_ts(ts), unmicro(v)) for ts, v in base]
    samples += [Sample(from_us(us), None if v is None else unmicro(v)) for us, v in found]
    since = samples[0].ts
    spec, breaks = spec_and_breaks(channel, since)
    run = increments(samples, [b for b in breaks if b.ts > since], spec)
    power = {
        to_us(inc.end): (
            np.nan
            if inc.flags & Flag.RESET
            else float(inc.energy) * W_PER_KWH_PER_S / (inc.end - inc.start).total_seconds()
        )
        for inc in run.increments
        if inc.end > inc.start and to_us(inc.end) > to_us(after)
    }
    last = max(power) if power else to_us(after)
    if run.pending:  # what follows the backward reading waits for its confirmation
        found = [(us, v) for us, v in found if us <= last]
    for us, v in found:
        if v is None:
            power[us] = np.nan  # the device could not read: missing, not 0
    t = sorted(power)
    return PowerTrace(channel.id, np.array(t, dtype=np.int64), np.array([power[u] for u in t]))

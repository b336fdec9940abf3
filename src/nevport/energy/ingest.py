"""Store a batch of readings: all rows valid or nothing written; replays change nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.energy.aggregate import Span, recompute_many, spans_of
from nevport.energy.models import Channel, Meter, MeterLevel
from nevport.energy.quantities import to_stored
from nevport.energy.rawdb import Raw
from nevport.energy.schemas import IngestResult, ReadingIn, RowError
from nevport.errors import InvalidInput

LATE_LIMIT = timedelta(days=30)  # issue 4: late data up to 30 days is taken and recomputed
CLOCK_SKEW = timedelta(minutes=5)  # devices whose clock runs this far ahead are refused
MAX_ABS = Decimal(10) ** 12  # [unit] beyond any real meter; catches garbage values


class BatchRefused(InvalidInput):
    """Some rows are bad; none was stored. ``errors`` names each row, field and reason."""

    def __init__(self, errors: list[RowError]):
        first = errors[0]
        super().__init__(
            f"{len(errors)} bad row(s), nothing stored; row {first.row} {first.field}: "
            f"{first.reason}"
        )
        self.errors = errors


@dataclass(frozen=True)
class _Target:
    id: int
    unit: str
    counter: bool
    virtual: bool  # a formula of other meters: it stores no readings of its own


def _channels(
    session: Session, enterprise_id: int, codes: set[str]
) -> dict[tuple[str, str], _Target]:
    rows = session.execute(
        select(Meter.code, Channel.quantity, Channel.id, Channel.unit, Meter.level)
        .join(Meter, Channel.meter_id == Meter.id)
        .where(Meter.enterprise_id == enterprise_id, Meter.code.in_(codes))
    )
    return {
        (code, quantity.value): _Target(cid, unit, quantity.is_counter, level is MeterLevel.virtual)
        for code, quantity, cid, unit, level in rows
    }


class _Bad(Exception):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _value(row: ReadingIn, channel: _Target) -> int | None:
    """The value in micro-units of the stored unit, or _Bad naming the reason."""
    value = row.value
    if value is None:
        return None
    if not value.is_finite() or abs(value) > MAX_ABS:
        raise _Bad("value", f"{value} is out of range (|value| <= {MAX_ABS})")
    if row.unit is not None and row.unit != channel.unit:
        try:
            value = to_stored(row.quantity, value, row.unit)
        except InvalidInput as exc:
            raise _Bad("unit", exc.message) from None
    if channel.counter and value < 0:
        raise _Bad("value", f"counter reading {value} is negative")
    scaled = value.scaleb(6)
    whole = int(scaled)
    if scaled != whole:
        raise _Bad("value", f"{value} has more than 6 decimal places")
    return whole


def _target(channels: dict[tuple[str, str], _Target], row: ReadingIn) -> _Target:
    channel = channels.get((row.meter, row.quantity.value))
    if channel is None:
        raise _Bad("meter", f"meter {row.meter!r} has no {row.quantity.value} channel")
    if channel.virtual:
        raise _Bad("meter", f"meter {row.meter!r} is virtual (a formula): it takes no readings")
    return channel


class _Times:
    """Checks a reading's time and gives the driver's form of it, once per instant.

    Meters of a site report on the same clock ticks, so a batch holds few distinct
    instants: the zone conversion and the stored form are computed once for each.
    """

    def __init__(self, raw: Raw, now: datetime):
        self._raw = raw
        self._earliest = now - LATE_LIMIT
        self._latest = now + CLOCK_SKEW
        self._now = now
        self._seen: dict[datetime, Any] = {}

    def stored(self, ts: datetime) -> Any:
        """The driver's value for ``ts``, or _Bad naming the reason."""
        try:
            return self._seen[ts]
        except KeyError:
            pass
        if ts.tzinfo is None:
            raise _Bad("ts", f"{ts.isoformat()} has no time zone")
        utc = ts.astimezone(UTC)
        if utc > self._latest:
            raise _Bad("ts", f"{utc.isoformat()} is in the future (now {self._now.isoformat()})")
        if utc < self._earliest:
            raise _Bad("ts", f"{utc.isoformat()} is older than {LATE_LIMIT.days} days")
        value = self._raw.ts(utc)
        self._seen[ts] = value
        return value


def _insert_new(raw: Raw, rows: dict[tuple[int, Any], int | None]) -> dict[int, Span]:
    """Insert what is not stored yet; the new rows of each channel and their time span.

    ``rows`` maps (channel, driver time) to the micro-value. A batch of only new
    readings is written once, in bulk; one holding replays goes to a staging table in
    bulk (COPY on PostgreSQL), then one INSERT ... SELECT ... ON CONFLICT DO NOTHING
    keeps the first copy of every reading.
    """
    encoded = [(cid, ts, value) for (cid, ts), value in rows.items()]
    if raw.insert_all_new(encoded):
        return spans_of(raw, encoded)
    raw.stage(encoded)
    new = raw.run(
        "INSERT INTO energy_readings (channel_id, ts, value, flags) "
        "SELECT channel_id, ts, value, 0 FROM energy_staging WHERE true "
        "ON CONFLICT (channel_id, ts) DO NOTHING RETURNING channel_id, ts"
    )
    return spans_of(raw, [(cid, ts, rows[(cid, ts)]) for cid, ts in new])


def ingest(
    session: Session,
    enterprise_id: int,
    readings: Sequence[ReadingIn],
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
    aggregate: bool = True,
) -> IngestResult:
    """Validate every row, then store the new ones and recompute the buckets they touch."""
    now = now or datetime.now(UTC)
    channels = _channels(session, enterprise_id, {r.meter for r in readings})
    raw = Raw(session)
    times = _Times(raw, now)
    rows: dict[tuple[int, Any], int | None] = {}
    errors: list[RowError] = []
    for i, reading in enumerate(readings):
        try:
            channel = _target(channels, reading)
            key = (channel.id, times.stored(reading.ts))
            value = _value(reading, channel)
        except _Bad as bad:
            errors.append(RowError(row=i, field=bad.field, reason=bad.reason))
            continue
        if key in rows and rows[key] != value:
            errors.append(
                RowError(
                    row=i, field="value", reason="same meter and time twice with different values"
                )
            )
        rows[key] = value
    if errors:
        raise BatchRefused(errors)
    spans = _insert_new(raw, rows)
    counters = {c.id for c in channels.values() if c.counter}
    touched = {cid: span for cid, span in spans.items() if cid in counters}
    if aggregate and touched:
        recompute_many(session, touched, zone)
    accepted = sum(span.count for span in spans.values())
    return IngestResult(
        accepted=accepted, duplicates=len(readings) - accepted, channels=len(touched)
    )

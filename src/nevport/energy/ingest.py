"""Store a batch of readings: all rows valid or nothing written; replays change nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from nevport.energy.aggregate import recompute
from nevport.energy.models import Channel, Meter, Reading
from nevport.energy.quantities import to_stored
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


def _channels(
    session: Session, enterprise_id: int, codes: set[str]
) -> dict[tuple[str, str], Channel]:
    rows = session.scalars(
        select(Channel)
        .join(Meter, Channel.meter_id == Meter.id)
        .where(Meter.enterprise_id == enterprise_id, Meter.code.in_(codes))
        .options(selectinload(Channel.meter), selectinload(Channel.history))
    )
    return {(c.meter.code, c.quantity.value): c for c in rows}


class _Bad(Exception):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _value(row: ReadingIn, channel: Channel) -> Decimal | None:
    value = row.value
    if value is None:
        return None
    if not value.is_finite() or abs(value) > MAX_ABS:
        raise _Bad("value", f"{value} is out of range (|value| <= {MAX_ABS})")
    try:
        value = to_stored(row.quantity, value, row.unit or channel.unit)
    except InvalidInput as exc:
        raise _Bad("unit", exc.message) from None
    if channel.quantity.is_counter and value < 0:
        raise _Bad("value", f"counter reading {value} is negative")
    if value.scaleb(6) != value.scaleb(6).to_integral_value():
        raise _Bad("value", f"{value} has more than 6 decimal places")
    return value


def _check(row: ReadingIn, channel: Channel | None, now: datetime) -> dict[str, object]:
    """The row to insert, or _Bad naming the field and the reason."""
    if channel is None:
        raise _Bad("meter", f"meter {row.meter!r} has no {row.quantity.value} channel")
    if row.ts.tzinfo is None:
        raise _Bad("ts", f"{row.ts.isoformat()} has no time zone")
    ts = row.ts.astimezone(UTC)
    if ts > now + CLOCK_SKEW:
        raise _Bad("ts", f"{ts.isoformat()} is in the future (now {now.isoformat()})")
    if ts < now - LATE_LIMIT:
        raise _Bad("ts", f"{ts.isoformat()} is older than {LATE_LIMIT.days} days")
    return {"channel_id": channel.id, "ts": ts, "value": _value(row, channel), "flags": 0}


def _insert_new(session: Session, rows: list[dict[str, object]]) -> list[tuple[int, datetime]]:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = (
        module.insert(Reading)
        .on_conflict_do_nothing(index_elements=["channel_id", "ts"])
        .returning(Reading.channel_id, Reading.ts)
    )
    # executemany with RETURNING keeps one round trip per batch on both drivers
    result = session.execute(stmt, rows)
    return [(cid, ts) for cid, ts in result]


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
    rows: dict[tuple[object, object], dict[str, object]] = {}
    errors: list[RowError] = []
    for i, reading in enumerate(readings):
        try:
            row = _check(reading, channels.get((reading.meter, reading.quantity.value)), now)
        except _Bad as bad:
            errors.append(RowError(row=i, field=bad.field, reason=bad.reason))
            continue
        key = (row["channel_id"], row["ts"])
        if key in rows and rows[key]["value"] != row["value"]:
            errors.append(
                RowError(
                    row=i, field="value", reason="same meter and time twice with different values"
                )
            )
        rows[key] = row
    if errors:
        raise BatchRefused(errors)
    inserted = _insert_new(session, list(rows.values()))
    spans: dict[int, list[datetime]] = defaultdict(list)
    for channel_id, ts in inserted:
        spans[channel_id].append(ts if ts.tzinfo else ts.replace(tzinfo=UTC))
    by_id = {c.id: c for c in channels.values()}
    touched = 0
    if aggregate:
        for channel_id, stamps in spans.items():
            channel = by_id[channel_id]
            if channel.quantity.is_counter:
                recompute(session, channel, min(stamps), max(stamps), zone)
                touched += 1
    return IngestResult(
        accepted=len(inserted), duplicates=len(readings) - len(inserted), channels=touched
    )

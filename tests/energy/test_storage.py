"""Readings and intervals on both databases: idempotent ingest, late data, exact sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from nevport.db.engine import Database
from nevport.energy import service
from nevport.energy.counters import Flag
from nevport.energy.ingest import BatchRefused, ingest
from nevport.energy.intervals import Resolution
from nevport.energy.models import ConfigKind, EnergyInterval, Reading
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ConfigChange, ReadingIn

from .conftest import SHANGHAI, Plant

NOW = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
DAY = datetime(2025, 6, 1, 16, 0, tzinfo=UTC)  # 2025-06-02 00:00 in Shanghai
D = Decimal


def rows(start: datetime, values: list[str], step_min: int = 5) -> list[ReadingIn]:
    return [
        ReadingIn(
            meter="M1",
            quantity=Quantity.active_energy_import,
            ts=start + timedelta(minutes=i * step_min),
            value=D(v),
        )
        for i, v in enumerate(values)
    ]


def store(database: Database, plant: Plant, readings: list[ReadingIn]) -> None:
    with database.session() as session:
        ingest(session, plant.enterprise_id, readings, zone=SHANGHAI, now=NOW)


def day_total(
    database: Database, plant: Plant, resolution: Resolution = Resolution.quarter
) -> Decimal:
    with database.session() as session:
        series = service.energy_series(
            session,
            plant.enterprise_id,
            plant.energy_channel,
            DAY,
            DAY + timedelta(days=1),
            resolution,
            SHANGHAI,
        )
    return sum((p.value for p in series.points if p.value is not None), D(0))


def test_replay_changes_nothing(database: Database, plant: Plant) -> None:
    batch = rows(DAY, ["100", "101.5", "103.25", "110"])
    with database.session() as session:
        first = ingest(session, plant.enterprise_id, batch, zone=SHANGHAI, now=NOW)
    with database.session() as session:
        again = ingest(session, plant.enterprise_id, batch, zone=SHANGHAI, now=NOW)
        count = session.scalar(select(func.count()).select_from(Reading))
    assert (first.accepted, again.accepted, again.duplicates, count) == (4, 0, 4, 4)
    assert day_total(database, plant) == D(10)
    assert day_total(database, plant, Resolution.hour) == D(10)
    assert day_total(database, plant, Resolution.day) == D(10)


def test_bad_row_refuses_the_whole_batch(database: Database, plant: Plant) -> None:
    batch = rows(DAY, ["100", "101"])
    batch.append(
        ReadingIn(meter="NOPE", quantity=Quantity.active_energy_import, ts=DAY, value=D(1))
    )
    batch.append(
        ReadingIn(
            meter="M1",
            quantity=Quantity.active_energy_import,
            ts=NOW + timedelta(hours=1),
            value=D(1),
        )
    )
    batch.append(
        ReadingIn(
            meter="M1",
            quantity=Quantity.active_energy_import,
            ts=NOW - timedelta(days=31),
            value=D(1),
        )
    )
    batch.append(ReadingIn(meter="M1", quantity=Quantity.active_energy_import, ts=DAY, value=D(-5)))
    with pytest.raises(BatchRefused) as caught, database.session() as session:
        ingest(session, plant.enterprise_id, batch, zone=SHANGHAI, now=NOW)
    reasons = [(e.row, e.field) for e in caught.value.errors]
    assert reasons == [(2, "meter"), (3, "ts"), (4, "ts"), (5, "value")]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Reading)) == 0


def test_late_data_recomputes_only_touched_buckets(database: Database, plant: Plant) -> None:
    # readings every 5 min from 00:00 to 02:00 local, with 00:50 missing at first
    values = [str(100 + i) for i in range(25)]
    batch = rows(DAY, values)
    late = batch.pop(10)
    store(database, plant, batch)
    with database.session() as session:
        before = {
            r.start: (r.value, r.flags)
            for r in session.scalars(
                select(EnergyInterval).where(EnergyInterval.resolution == "15m")
            )
        }
    store(database, plant, [late])
    with database.session() as session:
        after = {
            r.start: (r.value, r.flags)
            for r in session.scalars(
                select(EnergyInterval).where(EnergyInterval.resolution == "15m")
            )
        }
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed <= {DAY + timedelta(minutes=m) for m in (30, 45)}
    assert day_total(database, plant) == D(24)
    assert day_total(database, plant, Resolution.day) == D(24)


def test_transient_zero_and_ct_change(database: Database, plant: Plant) -> None:
    store(database, plant, rows(DAY, ["100", "101", "0", "102", "103"]))
    assert day_total(database, plant) == D(3)
    with database.session() as session:
        service.change_config(
            session,
            plant.enterprise_id,
            plant.energy_channel,
            ConfigChange(
                kind=ConfigKind.ratio_change,
                effective_from=DAY + timedelta(minutes=17),
                ct_ratio=D(40),
                pt_ratio=D(1),
                old_final=D("103"),
                new_initial=D("103"),
            ),
            SHANGHAI,
        )
    store(database, plant, rows(DAY + timedelta(minutes=25), ["104", "105.5"]))
    assert day_total(database, plant) == D(3) + D("2.5") * 40
    with database.session() as session:
        flags = session.scalar(select(Reading.flags).where(Reading.value == D(0)))
    assert flags == Flag.SUSPECT


def test_power_series_for_the_environment_consumer(database: Database, plant: Plant) -> None:
    power = [
        ReadingIn(
            meter="M1",
            quantity=Quantity.active_power,
            ts=DAY + timedelta(minutes=m),
            value=D(v),
            unit="kW",
        )
        for m, v in ((0, "10"), (5, "20"), (20, "30"))
    ]
    store(database, plant, [*power, *rows(DAY, ["0", "1", "2", "3", "4", "5", "6"])])
    end = DAY + timedelta(minutes=45)
    with database.session() as session:
        direct = service.power_series(
            session,
            plant.enterprise_id,
            plant.power_channel,
            DAY,
            end,
            Resolution.quarter,
            SHANGHAI,
        )
        derived = service.power_series(
            session,
            plant.enterprise_id,
            plant.energy_channel,
            DAY,
            end,
            Resolution.quarter,
            SHANGHAI,
        )
        found = service.find_channels(session, plant.enterprise_id, Quantity.active_power)
    assert [p.value for p in direct.points] == [D(15000), D(30000), None]
    assert direct.points[2].flags == Flag.MISSING
    assert derived.unit == "W"
    assert [p.value for p in derived.points] == [D(12000), D(12000), None]  # 3 kWh per quarter
    assert [c.id for c in found] == [plant.power_channel]


def test_partly_replayed_batch_stores_only_the_new_readings(
    database: Database, plant: Plant
) -> None:
    store(database, plant, rows(DAY, ["100", "101.5"]))
    overlap = rows(DAY, ["100", "101.5", "103.25", "110"])  # two replays, two new
    with database.session() as session:
        result = ingest(session, plant.enterprise_id, overlap, zone=SHANGHAI, now=NOW)
        count = session.scalar(select(func.count()).select_from(Reading))
    assert (result.accepted, result.duplicates, result.channels, count) == (2, 2, 1, 4)
    assert day_total(database, plant) == D(10)
    assert day_total(database, plant, Resolution.day) == D(10)


def test_times_are_checked_per_row_and_compared_as_instants(
    database: Database, plant: Plant
) -> None:
    """A naive time is refused on every row that has it; the same instant written in two
    zones is one reading, so two values for it are a conflict."""
    naive = DAY.replace(tzinfo=None)
    batch = [
        ReadingIn(meter="M1", quantity=Quantity.active_energy_import, ts=naive, value=D(1)),
        ReadingIn(meter="M1", quantity=Quantity.active_energy_import, ts=naive, value=D(1)),
        ReadingIn(meter="M1", quantity=Quantity.active_energy_import, ts=DAY, value=D(5)),
        ReadingIn(
            meter="M1",
            quantity=Quantity.active_energy_import,
            ts=DAY.astimezone(SHANGHAI),
            value=D(6),
        ),
    ]
    with pytest.raises(BatchRefused) as caught, database.session() as session:
        ingest(session, plant.enterprise_id, batch, zone=SHANGHAI, now=NOW)
    assert [(e.row, e.field) for e in caught.value.errors] == [(0, "ts"), (1, "ts"), (3, "value")]
    assert "no time zone" in caught.value.errors[0].reason

    same = [batch[2], batch[2].model_copy(update={"ts": DAY.astimezone(SHANGHAI)})]
    with database.session() as session:
        result = ingest(session, plant.enterprise_id, same, zone=SHANGHAI, now=NOW)
        stored = session.scalars(select(Reading.ts)).all()
    assert (result.accepted, result.duplicates) == (1, 1)
    assert [t.astimezone(UTC) for t in stored] == [DAY]

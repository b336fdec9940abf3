"""Power reading by reading: power channels as stored, counters as differences."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from nevport.db.engine import Database
from nevport.energy import service
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.readings import power_readings, power_readings_after, to_us
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.errors import InvalidInput, NotFound
from nevport.park.models import Enterprise

from .conftest import SHANGHAI, Plant

T0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)


def _store(database: Database, plant: Plant, quantity: Quantity, values: list[str | None]) -> None:
    rows = [
        ReadingIn(
            meter="M1",
            quantity=quantity,
            ts=T0 + i * timedelta(minutes=1),
            value=None if v is None else Decimal(v),
        )
        for i, v in enumerate(values)
    ]
    with database.session() as session:
        ingest(session, plant.enterprise_id, rows, zone=SHANGHAI)


def test_power_readings_are_the_stored_values_and_missing_stays_missing(
    database: Database, plant: Plant
) -> None:
    _store(database, plant, Quantity.active_power, ["1500.5", None, "0", "2000"])
    with database.session() as session:
        traces = power_readings(session, plant.enterprise_id, [plant.power_channel], T0)
        later = power_readings(
            session,
            plant.enterprise_id,
            [plant.power_channel],
            T0 + timedelta(minutes=1),
            T0 + timedelta(minutes=2),
        )
    trace = traces[plant.power_channel]
    # ``after`` is exclusive: the reading at T0 itself is not returned.
    assert trace.t_us.tolist() == [to_us(T0 + i * timedelta(minutes=1)) for i in (1, 2, 3)]
    assert np.isnan(trace.watts[0])  # the device could not read: not 0
    assert trace.watts[1:].tolist() == [0.0, 2000.0]
    assert later[plant.power_channel].watts.tolist() == [0.0]  # (after, until]


def test_counter_differences_give_mean_power(database: Database, plant: Plant) -> None:
    # 0.5 kWh a minute is 30 kW; the counter then stands still, then a read fails.
    _store(database, plant, Quantity.active_energy_import, ["100", "100.5", "101", "101", None])
    with database.session() as session:
        whole = power_readings(session, plant.enterprise_id, [plant.energy_channel], T0)
        # Resuming after the second reading still differences from it.
        resumed = power_readings_after(
            session,
            {plant.enterprise_id: {plant.energy_channel: to_us(T0 + timedelta(minutes=1))}},
        )
    trace = whole[plant.energy_channel]
    minute = [to_us(T0 + i * timedelta(minutes=1)) for i in range(5)]
    assert trace.t_us.tolist() == minute[1:]
    assert trace.watts[:3].tolist() == pytest.approx([30_000.0, 30_000.0, 0.0])
    assert np.isnan(trace.watts[3])
    again = resumed[plant.energy_channel]
    assert again.t_us.tolist() == minute[2:]
    assert again.watts[:2].tolist() == pytest.approx([30_000.0, 0.0])


def test_other_enterprises_channels_and_water_counters_are_refused(
    database: Database, plant: Plant, make_enterprise: Callable[..., Enterprise]
) -> None:
    other = make_enterprise()
    with database.session() as session:
        water = service.create_meter(
            session,
            plant.enterprise_id,
            MeterCreate(
                code="W1",
                name="water",
                level=MeterLevel.equipment,
                channels=[ChannelCreate(quantity=Quantity.water_volume)],
                installed_at=T0 - timedelta(days=1),
            ),
        ).channels[0]
        with pytest.raises(NotFound, match=f"no energy channel {plant.power_channel}"):
            power_readings(session, other.id, [plant.power_channel], T0)
        with pytest.raises(InvalidInput, match="water_volume") as caught:
            power_readings(session, plant.enterprise_id, [water.id], T0)
        assert caught.value.field == "channel_id"
        with pytest.raises(InvalidInput, match="no time zone"):
            power_readings(session, plant.enterprise_id, [], T0.replace(tzinfo=None))


def test_channels_are_read_each_from_its_own_cursor(database: Database, plant: Plant) -> None:
    _store(database, plant, Quantity.active_power, ["1", "2", "3", "4"])
    _store(database, plant, Quantity.active_energy_import, ["10", "11", "12", "13"])
    cursors = {
        plant.power_channel: to_us(T0 + 2 * timedelta(minutes=1)),  # a late one
        plant.energy_channel: to_us(T0 - timedelta(days=1)),  # one that never saw any
    }
    with database.session() as session:
        traces = power_readings_after(session, {plant.enterprise_id: cursors})
    assert traces[plant.power_channel].watts.tolist() == [4.0]
    # 1 kWh a minute is 60 kW, from the first reading's successor on
    assert traces[plant.energy_channel].watts.tolist() == pytest.approx([60_000.0] * 3)

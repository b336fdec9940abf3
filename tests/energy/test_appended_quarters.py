"""Batches added to the stored quarters give exactly what a recompute from scratch gives.

Random counter histories (rollovers, resets, replacements, CT changes, backward
transients, failed reads, gaps) are ingested in random batches, some late, some replayed,
with configuration changes recorded before or between them; every stored quarter, hour
and day must then equal what recomputing the channel's whole history writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from threading import Thread
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from nevport.db.engine import Database
from nevport.energy import incremental, service
from nevport.energy.aggregate import recompute
from nevport.energy.ingest import ingest
from nevport.energy.models import Channel, ConfigKind, EnergyInterval, MeterLevel, Reading
from nevport.energy.quantities import Quantity
from nevport.energy.rawdb import Raw
from nevport.energy.schemas import ChannelCreate, ConfigChange, MeterCreate, ReadingIn
from nevport.park.models import Enterprise, Sector

from ..conftest import _empty_postgres
from ..factories import valid_credit_code
from .conftest import INSTALLED, SHANGHAI

NOW = datetime(2025, 6, 12, 4, 0, tzinfo=UTC)
T0 = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: days roll over soon
MODULUS = 1000  # [kWh] a small register, so rollovers come often
GAPS_S = [1, 60, 299, 300, 600, 899, 900, 901, 1800, 3600, 3601, 5400]  # [s] around quarter, gap
RATIOS = [Decimal(1), Decimal(2), Decimal(40), Decimal("1.5")]
CENT = Decimal("0.01")  # [kWh] register resolution in these histories


@dataclass(frozen=True)
class Change:
    after: int  # effective half a second after this reading
    kind: ConfigKind
    ct_ratio: Decimal
    new_initial: int | None  # [0.01 kWh]
    old_final_known: bool


# (event, amount [0.01 kWh]): the register's next value, see ``_history``; mostly
# rising, as meters are, so that most batches are appended to a settled counter
EVENTS = st.tuples(
    st.sampled_from(["rise"] * 30 + ["top", "reset", "transient", "null"]), st.integers(0, 4000)
)


def _history(
    steps: list[tuple[int, tuple[str, int]]], changes: list[Change]
) -> list[tuple[datetime, Decimal | None]]:
    """Readings of a register that moves by ``steps`` (gap [s], event) and restarts at
    each replacement's or reset's new initial value."""
    value, at, out = 50_000, T0, []  # [0.01 kWh]
    restarts = {c.after: c.new_initial for c in changes if c.new_initial is not None}
    for i, (gap_s, (event, amount)) in enumerate(steps):
        at += timedelta(seconds=gap_s)
        shown: int | None = value
        if event == "rise":  # [0.01 kWh] up to 40 kWh, wrapping at the register's maximum
            value = shown = (value + amount) % (MODULUS * 100)
        elif event == "top":  # near the maximum
            value = shown = MODULUS * 100 - 5000 + amount
        elif event == "reset":
            value = shown = amount // 10
        elif event == "transient":  # one bad read, anywhere in the register
            shown = amount * 25
        else:
            shown = None
        out.append((at, None if shown is None else shown * CENT))
        if i in restarts:
            value = restarts[i] or 0
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[tuple[datetime, Decimal | None]], Any, Any]:
    # a history starts with a known reading: a change before it would have no counter to
    # end, and where the history begins would be a matter of definition
    first = draw(st.tuples(st.sampled_from(GAPS_S), st.tuples(st.just("rise"), st.just(0))))
    steps = [
        first,
        *draw(st.lists(st.tuples(st.sampled_from(GAPS_S), EVENTS), min_size=1, max_size=40)),
    ]
    n = len(steps)
    changes = []
    for after in sorted(draw(st.sets(st.integers(0, n - 2), max_size=2))):
        if (steps[after + 1][0]) < 2:
            continue  # the change needs room between two readings
        kind = draw(st.sampled_from(list(ConfigKind)[1:]))
        initial = None if kind is ConfigKind.ratio_change else draw(st.integers(0, 5000))
        changes.append(
            Change(after, kind, draw(st.sampled_from(RATIOS)), initial, draw(st.booleans()))
        )
    readings = _history(steps, changes)
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=12)))
    batches = [readings[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    order = list(range(len(batches)))
    for i in draw(st.lists(st.integers(0, max(0, len(order) - 2)), max_size=3)):
        if i + 1 < len(order):
            order[i], order[i + 1] = order[i + 1], order[i]  # a late batch
    for i in draw(st.lists(st.integers(0, len(batches) - 1), max_size=2)):
        extra = batches[i + 1][:1] if i + 1 < len(batches) else []
        batches.append(batches[i] + extra)  # a replay, with one new reading or none
        order.insert(draw(st.integers(0, len(order))), len(batches) - 1)
    when = [draw(st.integers(0, len(order))) for _ in changes]
    return readings, [batches[i] for i in order], list(zip(when, changes, strict=True))


def _config(readings: list[tuple[datetime, Decimal | None]], change: Change) -> ConfigChange:
    at = readings[change.after][0] + timedelta(milliseconds=500)
    shown = readings[change.after][1]
    return ConfigChange(
        kind=change.kind,
        effective_from=at,
        ct_ratio=change.ct_ratio,
        pt_ratio=Decimal(1),
        old_final=shown if change.old_final_known and shown is not None else None,
        new_initial=None if change.new_initial is None else change.new_initial * CENT,
    )


def _intervals(database: Database, channel_id: int) -> list[tuple[Any, ...]]:
    with database.session() as session:
        rows = session.execute(
            select(
                EnergyInterval.resolution,
                EnergyInterval.start,
                EnergyInterval.value,
                EnergyInterval.flags,
            )
            .where(EnergyInterval.channel_id == channel_id)
            .order_by(EnergyInterval.resolution, EnergyInterval.start)
        )
        return [tuple(row) for row in rows]


def _from_scratch(database: Database, channel_id: int) -> list[tuple[Any, ...]]:
    """The channel's intervals as a recompute of its whole history writes them."""
    with database.session() as session:
        session.execute(delete(EnergyInterval).where(EnergyInterval.channel_id == channel_id))
        first, last = session.execute(
            select(func.min(Reading.ts), func.max(Reading.ts)).where(
                Reading.channel_id == channel_id
            )
        ).one()
        channel = session.get(Channel, channel_id)
        assert channel is not None
        recompute(session, channel, first.replace(tzinfo=UTC), last.replace(tzinfo=UTC), SHANGHAI)
    return _intervals(database, channel_id)


def _meter_maker(
    database: Database, enterprise_id: int
) -> Callable[[Decimal], tuple[int, int, str]]:
    codes = count(1)

    def make(ct_ratio: Decimal) -> tuple[int, int, str]:
        code = f"P{next(codes)}"
        with database.session() as session:
            meter = service.create_meter(
                session,
                enterprise_id,
                MeterCreate(
                    code=code,
                    name=code,
                    level=MeterLevel.equipment,
                    installed_at=INSTALLED,
                    channels=[
                        ChannelCreate(
                            quantity=Quantity.active_energy_import,
                            ct_ratio=ct_ratio,
                            modulus=Decimal(MODULUS),
                        )
                    ],
                ),
            )
        return enterprise_id, meter.channels[0].id, code

    return make


@pytest.fixture
def new_meter(
    database: Database, make_enterprise: Callable[..., Enterprise]
) -> Callable[[Decimal], tuple[int, int, str]]:
    """A fresh counter meter per call: (enterprise id, channel id, meter code)."""
    return _meter_maker(database, make_enterprise().id)


def _rows(code: str, batch: Sequence[tuple[datetime, Decimal | None]]) -> list[ReadingIn]:
    return [
        ReadingIn(meter=code, quantity=Quantity.active_energy_import, ts=ts, value=value)
        for ts, value in batch
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenarios(), st.sampled_from(RATIOS))
def test_batches_equal_a_recompute_from_scratch(
    database: Database,
    new_meter: Callable[[Decimal], tuple[int, int, str]],
    scenario: tuple[list[tuple[datetime, Decimal | None]], Any, Any],
    ct_ratio: Decimal,
) -> None:
    readings, batches, changes = scenario
    enterprise_id, channel_id, code = new_meter(ct_ratio)
    for step in range(len(batches) + 1):
        for when, change in changes:
            if when == step:
                with database.session() as session:
                    service.change_config(
                        session, enterprise_id, channel_id, _config(readings, change), SHANGHAI
                    )
        if step < len(batches):
            with database.session() as session:
                ingest(session, enterprise_id, _rows(code, batches[step]), zone=SHANGHAI, now=NOW)
    stored = _intervals(database, channel_id)
    assert stored == _from_scratch(database, channel_id)


def test_a_rising_batch_after_the_stored_ones_is_added_not_recomputed(
    database: Database,
    new_meter: Callable[[Decimal], tuple[int, int, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enterprise_id, channel_id, code = new_meter(Decimal(40))
    added: list[list[tuple[Any, ...]]] = []
    real = incremental.add_quarters

    def spy(raw: Raw, rows: list[tuple[Any, ...]]) -> None:
        added.append(rows)
        real(raw, rows)

    monkeypatch.setattr(incremental, "add_quarters", spy)
    for b in range(3):  # readings a minute apart, 0.25 kWh x 40 = 10 kWh each minute
        batch = [
            (T0 + timedelta(minutes=k), 100 + k * Decimal("0.25"))
            for k in range(b * 10, b * 10 + 10)
        ]
        with database.session() as session:
            ingest(session, enterprise_id, _rows(code, batch), zone=SHANGHAI, now=NOW)
    # the first batch has nothing stored before it: recomputed; the next two are added,
    # to 15:00-15:15 and 15:15-15:30, then to 15:15-15:30 alone
    assert [len(rows) for rows in added] == [0, 2, 1]
    stored = _intervals(database, channel_id)
    assert stored == _from_scratch(database, channel_id)
    quarters = [(start.minute, value, flags) for res, start, value, flags in stored if res == "15m"]
    assert quarters == [(0, Decimal(150), 0), (15, Decimal(140), 0)]


def test_two_batches_of_one_channel_at_once_count_each_increment_once(
    postgres_database: Database,
) -> None:
    """PostgreSQL lets two transactions write readings at once (SQLite has one writer):
    the second batch must bring the intervals up to date after the first commits."""
    database = postgres_database
    try:
        with database.session() as session:
            enterprise = Enterprise(
                name_zh="并发",
                name_en="Concurrent",
                credit_code=valid_credit_code(7),
                sector=Sector.other,
            )
            session.add(enterprise)
        make = _meter_maker(database, enterprise.id)
        enterprise_id, channel_id, code = make(Decimal(1))
        minute = timedelta(minutes=1)
        batches = [
            [(T0 + k * minute, 100 + k * Decimal("0.5")) for k in range(b * 5, b * 5 + 5)]
            for b in range(3)
        ]
        with database.session() as session:
            ingest(session, enterprise_id, _rows(code, batches[0]), zone=SHANGHAI, now=NOW)

        def second() -> None:
            with database.session() as session:
                ingest(session, enterprise_id, _rows(code, batches[2]), zone=SHANGHAI, now=NOW)

        with database.session() as session:
            ingest(session, enterprise_id, _rows(code, batches[1]), zone=SHANGHAI, now=NOW)
            other = Thread(target=second)
            other.start()
            other.join(timeout=1.0)
            assert other.is_alive()  # waits for the first batch's transaction
        other.join()
        stored = _intervals(database, channel_id)
        assert stored == _from_scratch(database, channel_id)
        quarters = [value for res, _, value, _ in stored if res == "15m"]
        assert sum(quarters) == Decimal("7.0")  # 14 steps of 0.5 kWh, each once
    finally:
        _empty_postgres(database)

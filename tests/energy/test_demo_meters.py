"""The demo meter tree: created once, with a virtual rest-of-plant meter that computes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select

from nevport.db.engine import Database
from nevport.energy import demo, service
from nevport.energy.ingest import ingest
from nevport.energy.intervals import Resolution
from nevport.energy.models import Meter, MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ReadingIn
from nevport.park.models import Enterprise

from .conftest import SHANGHAI


def test_demo_tree_is_created_once_and_gains_the_virtual_meter(
    database: Database, make_enterprise: Callable[..., Enterprise]
) -> None:
    enterprise_id = make_enterprise().id
    with database.session() as session:
        demo.ensure_meters(session, enterprise_id)
        # a data dir made before the virtual meter existed: it is added on the next start
        session.execute(delete(Meter).where(Meter.code == "REST"))
    with database.session() as session:
        demo.ensure_meters(session, enterprise_id)
        demo.ensure_meters(session, enterprise_id)
        meters = {m.code: m for m in service.list_meters(session, enterprise_id)}
    assert sorted(meters) == ["E1", "IN", "L1", "REST", "W1", "W2"]
    rest = meters["REST"]
    assert rest.level is MeterLevel.virtual
    assert rest.formula == "IN - W1 - W2 - L1 - E1"

    # the incomer reads its feeders plus 3 %: the rest is that 3 %, exactly
    start = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    feeders = {"W1": 100, "W2": 200, "L1": 50, "E1": 50}  # [kWh per 5 min]
    rows = []
    for i in range(4):
        at = start + timedelta(minutes=5 * i)
        total = 0
        for code, step in feeders.items():
            rows.append(
                ReadingIn(meter=code, quantity=Quantity.active_energy_import, ts=at, value=step * i)
            )
            total += step * i
        rows.append(
            ReadingIn(
                meter="IN", quantity=Quantity.active_energy_import, ts=at, value=total * 103 / 100
            )
        )
    with database.session() as session:
        ingest(session, enterprise_id, rows, zone=SHANGHAI, now=start + timedelta(hours=1))
        channel = next(c.id for c in rest.channels if c.quantity is Quantity.active_energy_import)
        series = service.energy_series(
            session,
            enterprise_id,
            channel,
            start,
            start + timedelta(hours=1),
            Resolution.hour,
            SHANGHAI,
        )
        assert session.scalar(select(Meter.id).where(Meter.code == "REST")) is not None
    known = [p.value for p in series.points if p.value is not None]
    assert len(known) == 1
    assert known[0] == Decimal(36)  # 3 steps x 400 kWh x 3 %

"""The demo's supervised plants: a week of power that raises a realistic mix of events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select

from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.db.engine import Database
from nevport.environment import demo, resources
from nevport.environment.models import Decision, EnvEvent, EnvFacility, EnvPreReport
from nevport.environment.source import SITE_ZONE, power_history


def test_a_week_of_demo_power_raises_events_on_fault_days_only(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    plants = [make_enterprise(key_power_user=True).id for _ in range(demo.PLANTS)]
    admin, regulator = make_user(Role.park_admin), make_user(Role.regulator)
    now = datetime.now(UTC)
    with database.session() as session:
        assert demo.seed(session, admin.id, regulator.id, None, now) > 0
    with database.session() as session:
        events = session.scalars(select(EnvEvent)).all()
        reports = session.scalars(select(EnvPreReport)).all()
        facilities = session.scalar(select(func.count()).select_from(EnvFacility))
    assert facilities == 4 * demo.PLANTS
    assert {"treatment_off", "start_stop_lag", "under_load", "curtailment"} <= {
        e.rule for e in events
    }
    statuses = Counter(e.status.value for e in events)
    assert statuses["pushed"] > 0
    # Every raised event falls on a day the model made faulty (or in the yellow alert).
    today = now.astimezone(SITE_ZONE).date()
    alert_day = today - timedelta(days=2)
    for event in events:
        day = event.start_at.astimezone(SITE_ZONE).date()
        kind = demo.day_kind(event.enterprise_id, day)
        assert kind != "compliant" or (event.rule == "curtailment" and day == alert_day), event.key
    exempted = [e for e in events if e.status.value == "exempted"]
    assert all(
        demo.day_kind(e.enterprise_id, e.start_at.astimezone(SITE_ZONE).date()) == "maintenance"
        for e in exempted
    )
    assert sum(r.status is Decision.pending for r in reports) == demo.PLANTS  # tomorrow's
    days = {(p, today - timedelta(days=d)) for p in plants for d in range(1, demo.DAYS)}
    compliant = [pd for pd in days if demo.day_kind(*pd) in ("compliant", "rest")]
    assert len(compliant) > len(days) / 2  # most days are clean

    with database.session() as session:
        ratios = resources.resources(
            session,
            Principal(admin.id, "a", Role.park_admin, None),
            plants[0],
            now - timedelta(days=6),
            now - timedelta(days=1),
        )
    assert ratios.reuse_ratio is not None
    assert 0.15 < ratios.reuse_ratio < 0.3  # 1.2 of 4.2 m3/h while working, none idle
    assert ratios.pv_self_consumption is not None
    assert 0.6 < ratios.pv_self_consumption <= 1.0  # only Sundays export
    assert ratios.pv_share is not None
    assert 0 < ratios.pv_share < 0.5

    later = now + timedelta(hours=1)
    with database.session() as session:  # a second start adds only the missed readings
        assert demo.seed(session, admin.id, regulator.id, None, later) == 0
        assert session.scalar(select(func.count()).select_from(EnvFacility)) == facilities
        t, power, _ = power_history(session, plants[0], now, later)
    assert len(t) >= 4
    assert np.isfinite(power[1:-1]).all()  # the missed hour is filled, every meter

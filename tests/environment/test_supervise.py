"""Readings stored through the energy ingest path raise events, streaming or replayed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.environment import supervise
from nevport.environment.models import EnvEvent
from nevport.environment.supervise import Supervisor, advance, evaluate, open_run
from nevport.web import app as app_module

from . import plant


def _events(database: Database, enterprise_id: int) -> list[tuple[Any, ...]]:
    with database.session() as session:
        rows = session.scalars(
            select(EnvEvent).where(EnvEvent.enterprise_id == enterprise_id).order_by(EnvEvent.key)
        )
        return [(r.rule, tuple(r.facilities), r.start_at, r.end_at, r.grade) for r in rows]


def _plant(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> int:
    firm = make_enterprise(key_power_user=True)
    user = make_user(Role.park_admin)
    with database.session() as session:
        plant.build(session, firm.id, plant.admin(user.id))
        plant.store_day(session, firm.id)
    return int(firm.id)


def test_ingested_readings_raise_events_in_the_supervisor(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    eid = _plant(database, make_enterprise, make_user)
    supervisor = Supervisor(lookback_s=24 * 3600)
    now = int(plant.DAY_END.timestamp()) + supervise.MAX_DELAY_S
    with database.session() as session:
        assert supervisor.cycle(session, now) >= 2
        assert supervisor.cycle(session, now + 60) == 0  # nothing new settled
    events = {e[0]: e for e in _events(database, eid)}
    off = events["treatment_off"]
    # The treatment fell at 10:00 local-grid time, the booth ran until 12:00.
    assert off[1] == ("SC1", "SB1")
    assert off[2] == plant.DAY_START + (plant.BOOTH[0][0] + 120) * timedelta(minutes=1)
    assert off[3] == plant.DAY_START + 360 * timedelta(minutes=1)
    assert "abnormal_stop" in events


def test_streaming_cycles_store_what_one_replay_stores(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    streamed, replayed = (_plant(database, make_enterprise, make_user) for _ in range(2))
    start, end = plant.BASE, plant.DAY_END + timedelta(hours=1)
    with database.session() as session:
        run = open_run(session, streamed, int(start.timestamp()))
        for now in range(int(start.timestamp()), int(end.timestamp()) + 1, 5 * 60):
            advance(session, run, now)  # as the loop does, a few minutes at a time
        evaluate(session, replayed, start, end)
    assert _events(database, streamed) == _events(database, replayed)
    assert len(_events(database, streamed)) >= 2


def test_a_restarted_engine_continues_a_stored_event(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    eid = _plant(database, make_enterprise, make_user)
    eleven = plant.DAY_START + timedelta(hours=5)
    with database.session() as session:
        evaluate(session, eid, plant.BASE, eleven)  # the portal stops mid-violation
    before = _events(database, eid)
    with database.session() as session:
        evaluate(session, eid, eleven, plant.DAY_END)  # and restarts an hour later
    after = _events(database, eid)
    (open_before,) = [e for e in before if e[0] == "treatment_off"]
    (closed_after,) = [e for e in after if e[0] == "treatment_off"]
    assert open_before[3] is None
    assert closed_after[2] == open_before[2]
    assert closed_after[3] is not None


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_background_task_of_serve_raises_events(
    settings: Settings,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    eid = _plant(database, make_enterprise, make_user)
    monkeypatch.setattr(supervise, "LOOKBACK_S", 4 * 24 * 3600)
    monkeypatch.setattr(app_module, "BACKGROUND_TASKS", [supervise.supervision_loop])
    app = app_module.create_app(settings.model_copy(update={"background_tasks": True}), database)
    with TestClient(app):
        deadline = time.monotonic() + 20
        while not _events(database, eid) and time.monotonic() < deadline:
            asyncio.run(asyncio.sleep(0.1))
    assert {"treatment_off", "abnormal_stop"} <= {e[0] for e in _events(database, eid)}

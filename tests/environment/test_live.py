"""The supervision loop on raw readings: an event follows the reading that completes it,
and a restarted loop neither loses nor repeats events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from nevport.auth import service as auth_service
from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.energy.ingest import ingest
from nevport.environment import supervise
from nevport.environment.models import EnvEvent
from nevport.environment.source import SITE_ZONE
from nevport.environment.supervise import Supervisor
from nevport.web import app as app_module

from . import plant

MINUTE = timedelta(minutes=1)
OFF_MIN_DURATION = timedelta(seconds=600)  # rule treatment_off's default min_duration_s


def _events(database: Database, enterprise_id: int) -> list[tuple[Any, ...]]:
    """(rule, facilities, start, end, grade, steps of its history) of each stored event."""
    with database.session() as session:
        rows = session.scalars(
            select(EnvEvent)
            .where(EnvEvent.enterprise_id == enterprise_id)
            .options(selectinload(EnvEvent.history))
            .order_by(EnvEvent.key)
        )
        return [
            (
                r.rule,
                tuple(r.facilities),
                r.start_at,
                r.end_at,
                r.grade,
                [a.action for a in r.history],
            )
            for r in rows
        ]


def _plant(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> int:
    firm = make_enterprise(key_power_user=True)
    with database.session() as session:
        plant.build(session, firm.id, plant.admin(make_user(Role.park_admin).id))
    return int(firm.id)


def _minutes(first: int, last: int) -> list[Any]:
    """The plant's readings of park-day minutes [first, last), both meters."""
    rows = plant.readings("M-SC1", plant.BOOTH, plant.DAY_START)
    rows += plant.readings("M-SB1", plant.VOC, plant.DAY_START)
    lo, hi = plant.DAY_START + first * MINUTE, plant.DAY_START + last * MINUTE
    return sorted((r for r in rows if lo <= r.ts < hi), key=lambda r: r.ts)


def _ingest(database: Database, eid: int, first: int, last: int) -> None:
    with database.session() as session:
        now = plant.DAY_START + last * MINUTE
        ingest(session, eid, _minutes(first, last), zone=SITE_ZONE, now=now)


def _at(minute: int, seconds: int = 0) -> int:
    return int((plant.DAY_START + minute * MINUTE).timestamp()) + seconds


def test_the_reading_that_completes_a_violation_raises_it_in_the_next_pass(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    eid = _plant(database, make_enterprise, make_user)
    supervisor = Supervisor()
    _ingest(database, eid, 0, 230)
    with database.session() as session:
        supervisor.cycle(session, _at(230))
    seen_at = None
    for minute in range(230, 300):  # one reading a minute, a pass one second after it
        _ingest(database, eid, minute, minute + 1)
        with database.session() as session:
            supervisor.cycle(session, _at(minute, 1))
        if any(e[0] == "treatment_off" for e in _events(database, eid)):
            seen_at = plant.DAY_START + minute * MINUTE
            break
    assert seen_at is not None
    (off,) = [e for e in _events(database, eid) if e[0] == "treatment_off"]
    # The VOC unit fell at 10:00; the event is stored by the pass one second after the
    # very reading that made it last min_duration_s, not at the next quarter hour.
    assert off[2] == plant.DAY_START + 240 * MINUTE
    assert seen_at == off[2] + OFF_MIN_DURATION


def test_a_restarted_loop_neither_loses_nor_repeats_events(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    restarted, steady = (_plant(database, make_enterprise, make_user) for _ in range(2))
    first_loop = Supervisor()
    for first in range(0, 260, 10):  # ten minutes of readings, then a pass
        _ingest(database, restarted, first, first + 10)
        with database.session() as session:
            first_loop.cycle(session, _at(first + 10, 1))
    (open_event,) = [e for e in _events(database, restarted) if e[0] == "treatment_off"]
    assert open_event[3] is None  # the portal stops mid-violation at 10:20 ...
    _ingest(database, restarted, 260, 300)  # ... the meters keep reporting while it is down
    second_loop = Supervisor()  # ... and it starts again at 11:00 (escalation missed)
    for first in range(300, 480, 10):
        _ingest(database, restarted, first, first + 10)
        with database.session() as session:
            second_loop.cycle(session, _at(first + 10, 1))
    # The same day, evaluated by one uninterrupted replay (= one uninterrupted loop).
    _ingest(database, steady, 0, 480)
    with database.session() as session:
        supervise.evaluate(session, steady, plant.BASE, plant.DAY_START + 480 * MINUTE)
    got, expected = _events(database, restarted), _events(database, steady)
    assert {"treatment_off", "abnormal_stop"} <= {e[0] for e in got}
    assert "escalated" in next(e[5] for e in got if e[0] == "treatment_off")
    assert got == expected  # the same events, each stored once with one history


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_background_loop_raises_an_event_from_ingested_readings_at_once(
    settings: Settings,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    eid = _plant(database, make_enterprise, make_user)
    with database.session() as session:
        token, _ = auth_service.create_device_token(session, eid, "edge")
    monkeypatch.setattr(app_module, "BACKGROUND_TASKS", [supervise.supervision_loop])
    app = app_module.create_app(settings.model_copy(update={"background_tasks": True}), database)
    # The last 20 minutes, now-stamped: the booth runs, its VOC unit falls at minute 10.
    start = datetime.now(UTC).replace(second=0, microsecond=0) - 20 * MINUTE
    booth = plant.readings("M-SC1", [(21, 20_000.0)], start)
    voc = plant.readings("M-SB1", [(10, 10_000.0), (11, 100.0)], start)
    device = {"Authorization": f"Bearer {token}"}

    def post(rows: list[Any]) -> None:
        body = {"readings": [r.model_dump(mode="json") for r in rows]}
        assert client.post("/api/energy/ingest", json=body, headers=device).is_success

    def rules() -> set[str]:
        return {e[0] for e in _events(database, eid)}

    def wait_for(rule: str) -> None:
        deadline = time.monotonic() + 30  # generous on a loaded machine; bench/ measures it
        while rule not in rules() and time.monotonic() < deadline:
            asyncio.run(asyncio.sleep(0.05))

    with TestClient(app) as client:
        post(booth[:-1] + voc[:-1])
        wait_for("abnormal_stop")  # the loop has taken these readings ...
        assert "treatment_off" not in rules()  # ... the fall is 9 minutes old: not yet
        # The reading of minute 20 makes it 10 minutes; without it, the sample of minute
        # 20 would only be taken two minutes later (MAX_DELAY_S), after the wait below.
        post([booth[-1], voc[-1]])
        wait_for("treatment_off")
    assert {"abnormal_stop", "treatment_off"} <= rules()

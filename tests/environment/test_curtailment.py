"""Alerts and curtailment measures through the API; the engine raises production in them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.environment.curtailment import periods_of
from nevport.environment.models import EnvEvent
from nevport.environment.supervise import evaluate

from . import plant

Headers = Callable[[Any], dict[str, str]]


def _setup(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> int:
    firm = make_enterprise(key_power_user=True)
    with database.session() as session:
        plant.build(session, firm.id, plant.admin(make_user(Role.park_admin).id))
        plant.store_day(session, firm.id)
    return int(firm.id)


def _curtailment_events(database: Database, eid: int) -> list[EnvEvent]:
    with database.session() as session:
        query = select(EnvEvent).where(
            EnvEvent.enterprise_id == eid, EnvEvent.rule == "curtailment"
        )
        return list(session.scalars(query))


def test_an_alert_with_a_measure_raises_production_that_keeps_running(
    client: TestClient,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    auth_headers: Headers,
) -> None:
    eid = _setup(database, make_enterprise, make_user)
    regulator = auth_headers(make_user(Role.regulator))
    own = auth_headers(make_user(Role.enterprise_admin, eid))
    base = f"/api/enterprises/{eid}/environment"
    nine = plant.DAY_START + timedelta(hours=3)
    alert = {
        "level": "orange",
        "start_at": nine.isoformat(),
        "end_at": (nine + timedelta(hours=6)).isoformat(),
        "reason": "PM2.5 forecast",
    }
    measure = {"facility_codes": ["SC1"], "measure": "stop the spray line"}

    assert client.post("/api/environment/alerts", json=alert, headers=own).status_code == 403
    # The measures are the enterprise's own plan: a regulator changes no enterprise data.
    assert (
        client.put(
            f"{base}/curtailment-measures/yellow", json=measure, headers=regulator
        ).status_code
        == 403
    )
    assert client.post("/api/environment/alerts", json=alert, headers=regulator).status_code == 201
    answer = client.put(f"{base}/curtailment-measures/yellow", json=measure, headers=own)
    assert answer.status_code == 200, answer.text
    bad = client.put(
        f"{base}/curtailment-measures/red", json={"facility_codes": ["SB1"]}, headers=own
    )
    assert bad.status_code == 422  # a treatment facility is never curtailed
    (seen,) = client.get(f"{base}/curtailment-measures", headers=own).json()
    assert (seen["level"], seen["facility_codes"]) == ("yellow", ["SC1"])
    assert client.get("/api/environment/alerts", headers=own).json()[0]["level"] == "orange"

    with database.session() as session:
        evaluate(session, eid, plant.BASE, plant.DAY_END)
    (event,) = _curtailment_events(database, eid)
    assert event.facilities == ["SC1"]
    assert event.message.startswith("SC1 runs during alert ")
    assert event.message.endswith(" (orange)")  # the event names the alert it broke
    # The booth was running when the orange alert (yellow measures apply) began at 09:00.
    assert event.start_at == nine
    # It stopped at 12:00; the stop is settled (min_state_s) at the 12:15 sample.
    # The booth stops at 12:00; the stop is accepted after min_state_s (120 s).
    assert event.end_at == plant.DAY_START + timedelta(hours=6, minutes=2)


def test_staggered_periods_and_measures_of_lower_levels_apply(
    client: TestClient,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    auth_headers: Headers,
) -> None:
    eid = _setup(database, make_enterprise, make_user)
    park = auth_headers(make_user(Role.park_admin))
    base = f"/api/enterprises/{eid}/environment"
    eight = plant.DAY_START + timedelta(hours=2)
    period = {"start_at": eight.isoformat(), "end_at": (eight + timedelta(hours=1)).isoformat()}
    created = client.post(f"{base}/staggered-periods", json=period, headers=park)
    assert created.status_code == 201, created.text
    client.put(f"{base}/curtailment-measures/blue", json={"facility_codes": []}, headers=park)
    client.put(f"{base}/curtailment-measures/red", json={"facility_codes": ["SC1"]}, headers=park)
    alert = {
        "level": "yellow",
        "start_at": (eight + timedelta(hours=3)).isoformat(),
        "end_at": (eight + timedelta(hours=5)).isoformat(),
    }
    client.post("/api/environment/alerts", json=alert, headers=park)

    with database.session() as session:
        periods = periods_of(session, eid, plant.BASE, plant.DAY_END)
        assert [(p.label.split()[0], p.facilities) for p in periods] == [
            ("alert", frozenset()),  # yellow applies blue's "all production", not red's list
            ("staggered", frozenset()),
        ]
        evaluate(session, eid, plant.BASE, plant.DAY_END)
    starts = sorted(e.start_at for e in _curtailment_events(database, eid))
    # The booth starts at 08:00 inside the staggered hour; its running state is accepted
    # after min_state_s (120 s), at 08:02. At 11:00 it was already running when the
    # alert began.
    assert starts == [eight + timedelta(minutes=2), eight + timedelta(hours=3)]

    period_id = created.json()["id"]
    assert client.delete(f"{base}/staggered-periods/{period_id}", headers=park).status_code == 204
    assert client.get(f"{base}/staggered-periods", headers=park).json() == []

"""Alarm lifecycle over stored readings, with history and webhooks, on both databases."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.energy.alarms.loop import alarm_loop, evaluate_once
from nevport.energy.ingest import ingest
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ReadingIn
from nevport.notify import delivery
from nevport.notify.models import Event
from nevport.web import app as app_module

from ...notify.conftest import Receiver, free_port
from ..conftest import Plant

SHANGHAI = ZoneInfo("Asia/Shanghai")
Headers = Callable[[User], dict[str, str]]


def power(database: Database, plant: Plant, *watts: int, start: datetime | None = None) -> None:
    start = start or datetime.now(UTC) - timedelta(seconds=len(watts))
    rows = [
        ReadingIn(
            meter="M1",
            quantity=Quantity.active_power,
            ts=start + timedelta(seconds=i),
            value=Decimal(w),
        )
        for i, w in enumerate(watts)
    ]
    with database.session() as session:
        ingest(session, plant.enterprise_id, rows, zone=SHANGHAI)


def topics(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(Event.topic).order_by(Event.id)))


def rule(
    client: TestClient, plant: Plant, headers: dict[str, str], **body: object
) -> dict[str, object]:
    answer = client.post(
        f"/api/enterprises/{plant.enterprise_id}/energy/alarm-rules", json=body, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@pytest.fixture
def admin(plant: Plant, make_user: Callable[..., User], auth_headers: Headers) -> dict[str, str]:
    return auth_headers(make_user(Role.enterprise_admin, plant.enterprise_id))


def test_raise_acknowledge_clear_with_history_and_webhooks(
    client: TestClient, database: Database, plant: Plant, admin: dict[str, str]
) -> None:
    rule(
        client,
        plant,
        admin,
        name="incomer overload",
        channel_id=plant.power_channel,
        kind="threshold",
        limit="150000",
        deadband="20000",
        severity="critical",
    )
    base = f"/api/enterprises/{plant.enterprise_id}/energy/alarms"
    power(database, plant, 100_000, 160_000, 170_000)
    assert evaluate_once(database, SHANGHAI) == 1
    (alarm,) = client.get(base, headers=admin).json()
    assert alarm["state"] == "active"
    assert Decimal(alarm["value"]) == Decimal(160_000)

    acked = client.post(
        f"{base}/{alarm['id']}/acknowledge", json={"note": "shedding load"}, headers=admin
    )
    assert acked.json()["state"] == "acknowledged"
    power(database, plant, 140_000, 125_000)
    evaluate_once(database, SHANGHAI)
    final = client.get(f"{base}/{alarm['id']}", headers=admin).json()
    assert [(h["from_state"], h["to_state"]) for h in final["history"]] == [
        (None, "active"),
        ("active", "acknowledged"),
        ("acknowledged", "cleared"),
    ]
    assert final["history"][1]["note"] == "shedding load"
    assert topics(database) == [
        "energy.alarm.raised",
        "energy.alarm.acknowledged",
        "energy.alarm.cleared",
    ]
    again = client.post(f"{base}/{alarm['id']}/acknowledge", json={}, headers=admin)
    assert again.status_code == 409
    assert "only an active alarm" in again.json()["detail"]


def test_offline_rule_raises_on_silence_and_clears_on_data(
    client: TestClient, database: Database, plant: Plant, admin: dict[str, str]
) -> None:
    rule(
        client,
        plant,
        admin,
        name="meter silent",
        channel_id=plant.power_channel,
        kind="offline",
        offline_after_s=60,
    )
    assert evaluate_once(database, SHANGHAI) == 1  # never heard from
    assert evaluate_once(database, SHANGHAI) == 0  # raised once, not every round
    power(database, plant, 90_000)
    assert evaluate_once(database, SHANGHAI) == 1
    assert topics(database) == ["energy.alarm.raised", "energy.alarm.cleared"]


def test_bad_rules_are_refused_with_reasons(
    client: TestClient,
    plant: Plant,
    admin: dict[str, str],
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    url = f"/api/enterprises/{plant.enterprise_id}/energy/alarm-rules"
    counter = client.post(
        url,
        json={"name": "x", "channel_id": plant.energy_channel, "kind": "threshold", "limit": "1"},
        headers=admin,
    )
    assert counter.status_code == 422
    assert "a counter" in counter.json()["detail"]
    no_limit = client.post(
        url,
        json={"name": "x", "channel_id": plant.power_channel, "kind": "threshold"},
        headers=admin,
    )
    assert "needs limit" in no_limit.json()["detail"]
    other = client.post(
        url,
        json={"name": "x", "channel_id": 999999, "kind": "offline", "offline_after_s": 60},
        headers=admin,
    )
    assert other.status_code == 404
    user = auth_headers(make_user(Role.enterprise_user, plant.enterprise_id))
    body = {
        "name": "x",
        "channel_id": plant.power_channel,
        "kind": "offline",
        "offline_after_s": 60,
    }
    assert client.post(url, json=body, headers=user).status_code == 403


def test_a_reading_pushed_to_the_portal_reaches_a_webhook_receiver_as_an_alarm(
    settings: Settings,
    database: Database,
    plant: Plant,
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver = Receiver(free_port())
    receiver.start()
    monkeypatch.setattr(app_module, "BACKGROUND_TASKS", [alarm_loop, delivery.run])
    app = app_module.create_app(settings.model_copy(update={"background_tasks": True}), database)
    app.state.notify_policy = delivery.Policy(poll_s=0.05, timeout_s=2, lease_s=5)
    app.state.alarm_poll_s = 0.05
    try:
        with TestClient(app) as client:
            token = client.post(
                "/api/auth/token",
                data={
                    "username": make_user(Role.enterprise_admin, plant.enterprise_id).username,
                    "password": "correct-horse-battery",
                },
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            client.post(
                f"/api/enterprises/{plant.enterprise_id}/webhooks",
                json={"url": receiver.url, "topics": ["energy.alarm.*"]},
                headers=headers,
            )
            rule(
                client,
                plant,
                headers,
                name="overload",
                channel_id=plant.power_channel,
                kind="threshold",
                limit="150000",
            )
            pushed = time.monotonic()
            reading = {
                "meter": "M1",
                "quantity": "active_power",
                "ts": datetime.now(UTC).isoformat(),
                "value": "180000",
            }
            answer = client.post(
                "/api/energy/ingest",
                json={"readings": [reading]},
                headers={"Authorization": f"Bearer {plant.token}"},
            )
            assert answer.status_code == 200, answer.text
            while not receiver.received and time.monotonic() - pushed < 5:
                time.sleep(0.01)
            latency = time.monotonic() - pushed
    finally:
        receiver.stop()
    (got,) = receiver.received
    assert got.document["topic"] == "energy.alarm.raised"
    assert got.document["payload"]["value"] == "180000"
    assert latency < 2.0  # reading in, webhook out: the p95 goal for one alarm


def test_a_rate_rule_compares_across_evaluation_rounds(
    client: TestClient, database: Database, plant: Plant, admin: dict[str, str]
) -> None:
    created = rule(
        client,
        plant,
        admin,
        name="ramp",
        channel_id=plant.power_channel,
        kind="rate_of_change",
        limit="60000",
    )  # [W/min]
    start = datetime.now(UTC) - timedelta(seconds=10)
    power(database, plant, 100_000, start=start)
    assert evaluate_once(database, SHANGHAI) == 0  # one sample: nothing to compare yet
    power(database, plant, 103_000, start=start + timedelta(seconds=1))  # 180 kW/min
    assert evaluate_once(database, SHANGHAI) == 1
    rules = client.get(f"/api/enterprises/{plant.enterprise_id}/energy/alarm-rules", headers=admin)
    assert [r["id"] for r in rules.json()] == [created["id"]]

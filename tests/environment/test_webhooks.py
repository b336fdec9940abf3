"""Each step of an event's life is written to the platform's webhook outbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.environment.supervise import evaluate
from nevport.notify import service as notify
from nevport.notify.models import Delivery, Event
from nevport.notify.schemas import SubscriptionCreate

from . import plant


def test_event_steps_are_announced_to_subscribers(
    client: TestClient,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    auth_headers: Callable[[Any], dict[str, str]],
) -> None:
    firm = make_enterprise(key_power_user=True)
    admin = make_user(Role.enterprise_admin, firm.id)
    regulator = auth_headers(make_user(Role.regulator))
    with database.session() as session:
        plant.build(session, firm.id, plant.admin(make_user(Role.park_admin).id))
        plant.store_day(session, firm.id)
        body = SubscriptionCreate(url="http://127.0.0.1:9/hook", topics=["environment.event.*"])
        sub = notify.create_subscription(session, firm.id, body, admin.id)
        evaluate(session, firm.id, plant.BASE, plant.DAY_END)

    base = f"/api/enterprises/{firm.id}/environment/events"
    (off,) = [e for e in client.get(base, headers=regulator).json() if e["rule"] == "treatment_off"]
    answer = {"response": "fan motor failed", "evidence": "repair ticket 17"}
    own = auth_headers(admin)
    assert client.post(f"{base}/{off['id']}/response", json=answer, headers=own).status_code == 200
    verified = client.post(
        f"{base}/{off['id']}/verification", json={"approve": True}, headers=regulator
    )
    assert verified.status_code == 200

    with database.session() as session:
        rows = session.scalars(select(Event).order_by(Event.id)).all()
        mine = [
            json.loads(r.payload) for r in rows if json.loads(r.payload)["event_id"] == off["id"]
        ]
        topics = [r.topic for r in rows if json.loads(r.payload)["event_id"] == off["id"]]
        deliveries = session.scalars(
            select(Delivery).where(Delivery.subscription_id == sub.id)
        ).all()
    assert topics[0] == "environment.event.pushed"
    assert topics[-2:] == ["environment.event.responded", "environment.event.verified"]
    assert "environment.event.ended" in topics
    assert mine[-1]["status"] == "closed"
    assert mine[-2]["note"] == "fan motor failed"
    assert mine[0]["facilities"] == ["SC1", "SB1"]
    assert len(deliveries) == len(rows)  # every step of every event, to the one subscriber

"""Webhook routes: who may subscribe, the secret shown once, history and redelivery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.notify import service
from nevport.notify.delivery import Policy, deliver_due
from nevport.park.models import Enterprise

from .conftest import Receiver

Headers = Callable[[User], dict[str, str]]
ONE_TRY = Policy(max_attempts=1, timeout_s=2.0, lease_s=5.0)


def deliver_once(database: Database) -> None:
    async def go() -> None:
        async with httpx.AsyncClient() as client:
            await deliver_due(database, ONE_TRY, client)

    asyncio.run(go())


def test_enterprise_admin_subscribes_and_the_secret_is_shown_once(
    client: TestClient,
    make_enterprise: Callable[..., Enterprise],
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    firm = make_enterprise()
    admin = auth_headers(make_user(Role.enterprise_admin, firm.id))
    base = f"/api/enterprises/{firm.id}/webhooks"
    created = client.post(
        base, json={"url": "https://example.test/h", "topics": ["energy.*"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert len(created.json()["secret"]) >= 40
    listed = client.get(base, headers=auth_headers(make_user(Role.enterprise_user, firm.id)))
    assert [s["topics"] for s in listed.json()] == [["energy.*"]]
    assert "secret" not in listed.json()[0]


def test_bad_subscriptions_and_wrong_roles_are_refused(
    client: TestClient,
    make_enterprise: Callable[..., Enterprise],
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    firm = make_enterprise()
    user = auth_headers(make_user(Role.enterprise_user, firm.id))
    admin = auth_headers(make_user(Role.enterprise_admin, firm.id))
    base = f"/api/enterprises/{firm.id}/webhooks"
    good = {"url": "https://example.test/h", "topics": ["*"]}
    assert client.post(base, json=good, headers=user).status_code == 403
    assert client.post("/api/webhooks", json=good, headers=admin).status_code == 403
    for bad, field in (
        ({**good, "url": "ftp://example.test/h"}, "url"),
        ({**good, "topics": ["Energy!"]}, "topics"),
        ({**good, "topics": []}, "topics"),
        ({**good, "secret": "short"}, "secret"),
        ({**good, "colour": "red"}, "colour"),
    ):
        answer = client.post(base, json=bad, headers=admin)
        assert answer.status_code == 422, bad
        assert field in answer.text


def test_history_shows_each_attempt_and_a_failed_delivery_can_be_redelivered(
    client: TestClient,
    database: Database,
    receiver: Receiver,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    park = auth_headers(make_user(Role.park_admin))
    sub = client.post("/api/webhooks", json={"url": receiver.url, "topics": ["*"]}, headers=park)
    history_url = f"/api/webhooks/{sub.json()['id']}/deliveries"
    receiver.status = 503
    with database.session() as session:
        service.enqueue(session, "park.test", None, {"hello": "world"})
    deliver_once(database)
    (failed,) = client.get(history_url, headers=park).json()
    assert failed["status"] == "failed"
    assert [a["status_code"] for a in failed["history"]] == [503]

    receiver.status = 200
    redo = client.post(f"{history_url}/{failed['id']}/redeliver", headers=park)
    assert redo.status_code == 204
    deliver_once(database)
    (done,) = client.get(history_url, headers=park).json()
    assert done["status"] == "delivered"
    assert len(receiver.received) == 2
    again = client.post(f"{history_url}/{failed['id']}/redeliver", headers=park)
    assert again.status_code == 422
    assert "only failed ones" in again.json()["detail"]

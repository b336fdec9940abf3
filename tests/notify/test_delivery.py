"""Delivery to a real receiver on loopback: signed, retried with backoff, never lost."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from nevport.config import Settings
from nevport.db.engine import Database
from nevport.notify import delivery, service
from nevport.notify.delivery import Policy, backoff_s, claim_due, deliver_due
from nevport.notify.models import Attempt, Delivery, DeliveryStatus
from nevport.notify.schemas import SubscriptionCreate
from nevport.park.models import Enterprise
from nevport.web import app as app_module

from .conftest import Receiver

FAST = Policy(base_delay_s=0.05, max_delay_s=0.2, timeout_s=2.0, lease_s=5.0, poll_s=0.02)
SECRET = "0123456789abcdef-receiver-secret"


def subscribe(database: Database, enterprise_id: int | None, url: str, topics: list[str]) -> int:
    body = SubscriptionCreate(url=url, topics=topics, secret=SECRET)
    with database.session() as session:
        return service.create_subscription(session, enterprise_id, body, user_id=None).id


def emit(
    database: Database, enterprise_id: int | None, n: int, topic: str = "energy.alarm.raised"
) -> None:
    with database.session() as session:
        for i in range(n):
            service.enqueue(session, topic, enterprise_id, {"n": i})


def rounds(
    database: Database, policy: Policy, until: Callable[[], bool], limit_s: float = 10.0
) -> None:
    async def go() -> None:
        deadline = time.monotonic() + limit_s
        async with httpx.AsyncClient() as client:
            while not until():
                assert time.monotonic() < deadline, "deliveries did not settle in time"
                if await deliver_due(database, policy, client) == 0:
                    await asyncio.sleep(policy.poll_s)

    asyncio.run(go())


def statuses(database: Database) -> list[DeliveryStatus]:
    with database.session() as session:
        return list(session.scalars(select(Delivery.status).order_by(Delivery.id)))


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    policy = Policy(base_delay_s=10, max_delay_s=3600)
    assert [backoff_s(policy, n) for n in (1, 2, 3, 4, 9, 20)] == [10, 20, 40, 80, 2560, 3600]


def test_policy_refuses_a_lease_shorter_than_a_request() -> None:
    with pytest.raises(ValueError, match="lease_s 5 must exceed timeout_s 10"):
        Policy(lease_s=5, timeout_s=10)


def test_a_delivery_is_signed_and_carries_the_event(
    database: Database, receiver: Receiver, make_enterprise: Callable[..., Enterprise]
) -> None:
    firm = make_enterprise()
    subscribe(database, firm.id, receiver.url, ["energy.*"])
    emit(database, firm.id, 1)
    rounds(database, FAST, lambda: statuses(database) == [DeliveryStatus.delivered])

    (got,) = receiver.received
    stamp = got.headers["X-Nevport-Timestamp"]
    expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + got.body, hashlib.sha256)
    assert got.headers["X-Nevport-Signature"] == "sha256=" + expected.hexdigest()
    assert got.headers["X-Nevport-Event"] == "energy.alarm.raised"
    assert got.document["id"] == got.headers["X-Nevport-Delivery"]
    assert got.document["enterprise_id"] == firm.id
    assert got.document["payload"] == {"n": 0}


def test_receiver_down_then_back_loses_nothing(
    database: Database, receiver: Receiver, make_enterprise: Callable[..., Enterprise]
) -> None:
    firm = make_enterprise()
    subscribe(database, firm.id, receiver.url, ["*"])
    receiver.stop()
    emit(database, firm.id, 5)
    rounds(database, FAST, lambda: _attempts(database) >= 10)  # every one failed twice or so
    assert set(statuses(database)) == {DeliveryStatus.pending}

    receiver.start()
    rounds(database, FAST, lambda: set(statuses(database)) == {DeliveryStatus.delivered})
    assert sorted(r.document["payload"]["n"] for r in receiver.received) == [0, 1, 2, 3, 4]
    with database.session() as session:
        errors = session.scalars(select(Attempt.error).where(Attempt.status_code.is_(None)))
        assert all("ConnectError" in e for e in errors)


def _attempts(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Attempt)) or 0)


def test_a_receiver_error_is_retried_and_then_given_up(
    database: Database, receiver: Receiver, make_enterprise: Callable[..., Enterprise]
) -> None:
    firm = make_enterprise()
    subscribe(database, firm.id, receiver.url, ["*"])
    receiver.status = 500
    emit(database, firm.id, 1)
    policy = Policy(**{**FAST.__dict__, "max_attempts": 3})
    rounds(database, policy, lambda: statuses(database) == [DeliveryStatus.failed])
    assert len(receiver.received) == 3
    with database.session() as session:
        stamps = list(session.scalars(select(Attempt.attempted_at).order_by(Attempt.id)))
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
    assert gaps[0] >= FAST.base_delay_s
    assert gaps[1] >= 2 * FAST.base_delay_s  # the wait doubled


def test_a_send_that_died_mid_flight_is_sent_again_after_its_lease(
    database: Database, receiver: Receiver, make_enterprise: Callable[..., Enterprise]
) -> None:
    firm = make_enterprise()
    subscribe(database, firm.id, receiver.url, ["*"])
    emit(database, firm.id, 1)
    now = datetime.now(UTC)
    assert len(claim_due(database, FAST, now)) == 1  # then the process "dies"
    assert claim_due(database, FAST, now + timedelta(seconds=1)) == []  # still leased
    (again,) = claim_due(database, FAST, now + timedelta(seconds=FAST.lease_s + 1))
    assert again.topic == "energy.alarm.raised"


def test_the_background_task_delivers_while_the_portal_runs(
    settings: Settings,
    database: Database,
    receiver: Receiver,
    make_enterprise: Callable[..., Enterprise],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    firm = make_enterprise()
    subscribe(database, None, receiver.url, ["energy.alarm.*"])  # park-wide
    monkeypatch.setattr(app_module, "BACKGROUND_TASKS", [delivery.run])
    app = app_module.create_app(settings.model_copy(update={"background_tasks": True}), database)
    app.state.notify_policy = FAST
    with TestClient(app):
        emit(database, firm.id, 3)
        emit(database, firm.id, 1, topic="energy.report.ready")  # not subscribed
        deadline = time.monotonic() + 10
        while len(receiver.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert sorted(r.document["payload"]["n"] for r in receiver.received) == [0, 1, 2]


def test_prune_keeps_history_until_it_is_old_and_never_drops_undelivered_events(
    database: Database, receiver: Receiver, make_enterprise: Callable[..., Enterprise]
) -> None:
    firm = make_enterprise()
    subscribe(database, firm.id, receiver.url, ["energy.*"])
    emit(database, firm.id, 2)  # to be delivered
    emit(database, firm.id, 1, topic="park.nobody_listens")  # no delivery at all
    rounds(database, FAST, lambda: set(statuses(database)) == {DeliveryStatus.delivered})
    receiver.stop()
    emit(database, firm.id, 1)  # stays pending: the receiver is gone
    assert delivery.prune(database, datetime.now(UTC) - timedelta(days=1)) == 0  # all recent
    assert delivery.prune(database, datetime.now(UTC) + timedelta(seconds=1)) == 3
    assert statuses(database) == [DeliveryStatus.pending]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Attempt)) == 0  # went with them

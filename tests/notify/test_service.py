"""enqueue: written with the caller's transaction, fanned out to matching subscriptions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from nevport.db.engine import Database
from nevport.errors import InvalidInput
from nevport.notify import service
from nevport.notify.models import Delivery, Event
from nevport.notify.schemas import SubscriptionCreate
from nevport.notify.topics import matches
from nevport.park.models import Enterprise


def count(database: Database, table: type[Event] | type[Delivery]) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def subscribe(database: Database, enterprise_id: int | None, topics: list[str]) -> None:
    body = SubscriptionCreate(url="http://127.0.0.1:9/hook", topics=topics)
    with database.session() as session:
        service.create_subscription(session, enterprise_id, body, user_id=None)


@pytest.mark.parametrize(
    ("pattern", "topic", "hit"),
    [
        ("*", "energy.alarm.raised", True),
        ("energy.*", "energy.alarm.raised", True),
        ("energy.alarm.*", "energy.alarm.raised", True),
        ("energy.alarm.raised", "energy.alarm.raised", True),
        ("energy.alarm.*", "energy.alarms.raised", False),
        ("environment.*", "energy.alarm.raised", False),
        ("energy.alarm", "energy.alarm.raised", False),
    ],
)
def test_topic_patterns(pattern: str, topic: str, hit: bool) -> None:
    assert matches(pattern, topic) is hit


def test_each_matching_subscription_gets_a_delivery(
    database: Database, make_enterprise: Callable[..., Enterprise]
) -> None:
    own, other = make_enterprise(), make_enterprise()
    subscribe(database, own.id, ["energy.*"])  # matches
    subscribe(database, own.id, ["environment.*"])  # other topic
    subscribe(database, other.id, ["*"])  # other enterprise
    subscribe(database, None, ["*"])  # park-wide: sees every enterprise
    with database.session() as session:
        service.enqueue(session, "energy.alarm.raised", own.id, {"kwh": Decimal("1.25")})
    assert count(database, Event) == 1
    assert count(database, Delivery) == 2
    with database.session() as session:
        (event,) = session.scalars(select(Event))
        assert event.payload == '{"kwh": "1.25"}'  # exact, as a string


def test_a_rolled_back_transaction_leaves_no_event(
    database: Database, make_enterprise: Callable[..., Enterprise]
) -> None:
    firm = make_enterprise()
    subscribe(database, firm.id, ["*"])

    def failing_change() -> None:
        with database.session() as session:
            service.enqueue(session, "energy.alarm.raised", firm.id, {})
            raise RuntimeError("the change that caused the event failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert count(database, Event) == 0
    assert count(database, Delivery) == 0


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("Energy Alarm", {}, "not dot-separated lower-case words"),
        ("energy.alarm", {"x": object()}, "not JSON serialisable"),
        ("energy.alarm", {"x": "y" * 70_000}, "at most 65536"),
    ],
)
def test_bad_events_are_refused_and_nothing_is_written(
    database: Database, topic: str, payload: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason), database.session() as session:
        service.enqueue(session, topic, None, payload)
    assert count(database, Event) == 0

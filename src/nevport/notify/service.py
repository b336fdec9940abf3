"""Webhook subscriptions and ``enqueue``, the one call other domains make.

``enqueue`` writes into the caller's session and never commits: the event is stored
if and only if the caller's transaction commits (a transactional outbox).
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from nevport.errors import InvalidInput, NotFound
from nevport.notify.models import Attempt, Delivery, DeliveryStatus, Event, Subscription
from nevport.notify.schemas import (
    AttemptOut,
    DeliveryOut,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
)
from nevport.notify.topics import check_topic, matches

MAX_PAYLOAD = 65_536  # [bytes] of JSON per event; receivers should fetch details by id
SECRET_BYTES = 32  # [bytes] of randomness in a generated signing secret (256 bits)


def _json_default(value: Any) -> Any:
    # Decimal as a string keeps exact energy and money values exact for the receiver.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_payload(payload: dict[str, Any]) -> str:
    if not isinstance(payload, dict):
        raise InvalidInput(f"payload must be a dict, got {type(payload).__name__}")
    try:
        text = json.dumps(payload, default=_json_default, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"payload is not JSON serialisable: {exc}", field="payload") from exc
    size = len(text.encode())
    if size > MAX_PAYLOAD:
        raise InvalidInput(f"payload has {size} bytes, at most {MAX_PAYLOAD}", field="payload")
    return text


def enqueue(
    session: Session, topic: str, enterprise_id: int | None, payload: dict[str, Any]
) -> None:
    """Record an event and a pending delivery for every active subscription that wants it.

    Enterprise subscriptions see their own enterprise's events; park-wide ones (no
    enterprise) see every event. Nothing is sent here and nothing is committed.
    """
    check_topic(topic)
    event = Event(
        uid=str(uuid.uuid4()),
        topic=topic,
        enterprise_id=enterprise_id,
        payload=encode_payload(payload),
    )
    session.add(event)
    scope: ColumnElement[bool] = Subscription.enterprise_id.is_(None)
    if enterprise_id is not None:
        scope = or_(scope, Subscription.enterprise_id == enterprise_id)
    for sub in session.scalars(select(Subscription).where(Subscription.active, scope)):
        if any(matches(pattern, topic) for pattern in sub.topic_list):
            session.add(Delivery(event=event, subscription=sub))
    session.flush()


def _out(sub: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=sub.id,
        enterprise_id=sub.enterprise_id,
        url=sub.url,
        topics=sub.topic_list,
        description=sub.description,
        active=sub.active,
        created_at=sub.created_at,
    )


def create_subscription(
    session: Session, enterprise_id: int | None, body: SubscriptionCreate, user_id: int | None
) -> SubscriptionCreated:
    sub = Subscription(
        enterprise_id=enterprise_id,
        url=str(body.url),
        secret=body.secret or secrets.token_urlsafe(SECRET_BYTES),
        topics=" ".join(body.topics),
        description=body.description,
        active=True,
        created_by_id=user_id,
        updated_by_id=user_id,
    )
    session.add(sub)
    session.flush()
    return SubscriptionCreated(**_out(sub).model_dump(), secret=sub.secret)


def _subscription(session: Session, enterprise_id: int | None, sub_id: int) -> Subscription:
    sub = session.get(Subscription, sub_id)
    if sub is None or sub.enterprise_id != enterprise_id:
        owner = f"enterprise {enterprise_id}" if enterprise_id else "the park"
        raise NotFound(f"{owner} has no webhook subscription {sub_id}")
    return sub


def list_subscriptions(session: Session, enterprise_id: int | None) -> list[SubscriptionOut]:
    query = select(Subscription).order_by(Subscription.id)
    query = query.where(
        Subscription.enterprise_id.is_(None)
        if enterprise_id is None
        else Subscription.enterprise_id == enterprise_id
    )
    return [_out(sub) for sub in session.scalars(query)]


def set_active(
    session: Session, enterprise_id: int | None, sub_id: int, active: bool, user_id: int
) -> SubscriptionOut:
    sub = _subscription(session, enterprise_id, sub_id)
    sub.active = active
    sub.updated_by_id = user_id
    session.flush()
    return _out(sub)


def delete_subscription(session: Session, enterprise_id: int | None, sub_id: int) -> None:
    session.delete(_subscription(session, enterprise_id, sub_id))
    session.flush()


def deliveries(
    session: Session, enterprise_id: int | None, sub_id: int, limit: int = 100
) -> list[DeliveryOut]:
    """The newest deliveries of a subscription, each with its attempts."""
    _subscription(session, enterprise_id, sub_id)
    rows = session.scalars(
        select(Delivery)
        .where(Delivery.subscription_id == sub_id)
        .options(selectinload(Delivery.event))
        .order_by(Delivery.id.desc())
        .limit(limit)
    ).all()
    attempts: dict[int, list[AttemptOut]] = {row.id: [] for row in rows}
    for attempt in session.scalars(
        select(Attempt).where(Attempt.delivery_id.in_(attempts)).order_by(Attempt.id)
    ):
        attempts[attempt.delivery_id].append(
            AttemptOut(
                attempted_at=attempt.attempted_at,
                status_code=attempt.status_code,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
            )
        )
    return [
        DeliveryOut(
            id=row.id,
            event_uid=row.event.uid,
            topic=row.event.topic,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
            history=attempts[row.id],
        )
        for row in rows
    ]


def redeliver(session: Session, enterprise_id: int | None, sub_id: int, delivery_id: int) -> None:
    """Put a failed delivery back in the queue, due now, with a fresh attempt budget."""
    _subscription(session, enterprise_id, sub_id)
    row = session.get(Delivery, delivery_id)
    if row is None or row.subscription_id != sub_id:
        raise NotFound(f"subscription {sub_id} has no delivery {delivery_id}")
    if row.status is not DeliveryStatus.failed:
        raise InvalidInput(
            f"delivery {delivery_id} is {row.status.value}; only failed ones are redelivered"
        )
    row.status = DeliveryStatus.pending
    row.attempts = 0
    row.next_attempt_at = datetime.now(row.next_attempt_at.tzinfo)
    session.flush()

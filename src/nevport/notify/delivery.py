"""Sending: claim due deliveries, POST them signed, record the outcome, back off on failure.

At least once: a delivery is claimed by pushing its due time one lease ahead before the
POST; if the process dies mid-send the lease runs out and the delivery is sent again.
Receivers dedupe by the ``X-Nevport-Delivery`` header (the event's uid).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, select

import nevport
from nevport.db.engine import Database
from nevport.notify.models import Attempt, Delivery, DeliveryStatus, Event, Subscription

log = logging.getLogger("nevport.notify")

SIGNATURE_HEADER = "X-Nevport-Signature"
TIMESTAMP_HEADER = "X-Nevport-Timestamp"
DELIVERY_HEADER = "X-Nevport-Delivery"
TOPIC_HEADER = "X-Nevport-Event"
KEEP_DAYS = 90  # [days] delivered events and their history are kept this long
PRUNE_EVERY_S = 3600.0  # [s] how often the loop deletes what is older
PRUNE_CHUNK = 500  # event ids per DELETE, under SQLite's bound-parameter limit


@dataclass(frozen=True)
class Policy:
    """How hard to try. Defaults: 12 attempts over about 9 hours (docs/notify.md)."""

    base_delay_s: float = 10.0  # [s] wait after the first failure; doubles each time
    max_delay_s: float = 3600.0  # [s] cap of one wait
    max_attempts: int = 12  # then the delivery is failed and waits for a manual redeliver
    timeout_s: float = 10.0  # [s] per HTTP request, connect to last byte
    lease_s: float = 60.0  # [s] a claimed delivery is retried after this if never recorded
    poll_s: float = 1.0  # [s] idle pause of the loop between looks at the outbox
    batch: int = 50  # deliveries sent concurrently per round

    def __post_init__(self) -> None:
        if not 0 < self.base_delay_s <= self.max_delay_s:
            raise ValueError(f"need 0 < base_delay_s <= max_delay_s, got {self}")
        if self.lease_s <= self.timeout_s:
            raise ValueError(f"lease_s {self.lease_s} must exceed timeout_s {self.timeout_s}")
        if self.max_attempts < 1 or self.batch < 1:
            raise ValueError(f"max_attempts and batch must be >= 1, got {self}")


def backoff_s(policy: Policy, attempts: int) -> float:
    """Wait after the ``attempts``-th failed attempt: base, 2 base, 4 base ... capped."""
    return float(min(policy.base_delay_s * 2 ** (attempts - 1), policy.max_delay_s))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp + "." + body``, keyed by the secret.

    The timestamp is signed too, so a receiver can refuse old captures replayed later.
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    url: str
    secret: str
    uid: str
    topic: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _body(event: Event) -> bytes:
    document = {
        "id": event.uid,
        "topic": event.topic,
        "enterprise_id": event.enterprise_id,
        "created_at": event.created_at.isoformat(),
        "payload": json.loads(event.payload),
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


def claim_due(database: Database, policy: Policy, now: datetime) -> list[Claimed]:
    """Take up to ``policy.batch`` due deliveries of active subscriptions, leased to us."""
    with database.session() as session:
        rows = session.execute(
            select(Delivery, Event, Subscription)
            .join(Event, Delivery.event_id == Event.id)
            .join(Subscription, Delivery.subscription_id == Subscription.id)
            .where(
                Delivery.status == DeliveryStatus.pending,
                Delivery.next_attempt_at <= now,
                Subscription.active,
            )
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(policy.batch)
            .with_for_update(skip_locked=True, of=Delivery)  # PostgreSQL: no double claims
        ).all()
        claimed = []
        for delivery, event, sub in rows:
            delivery.next_attempt_at = now + timedelta(seconds=policy.lease_s)
            claimed.append(
                Claimed(delivery.id, sub.url, sub.secret, event.uid, event.topic, _body(event))
            )
        return claimed


async def send(client: httpx.AsyncClient, item: Claimed, policy: Policy) -> Outcome:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"nevport-webhooks/{nevport.__version__}",
        TOPIC_HEADER: item.topic,
        DELIVERY_HEADER: item.uid,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(item.secret, timestamp, item.body),
    }
    started = time.perf_counter()
    try:
        response = await client.post(
            item.url, content=item.body, headers=headers, timeout=policy.timeout_s
        )
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        return Outcome(item.delivery_id, None, error, _ms_since(started))
    error = "" if response.is_success else f"HTTP {response.status_code}: {response.text[:200]}"
    return Outcome(item.delivery_id, response.status_code, error, _ms_since(started))


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def record(database: Database, policy: Policy, outcomes: list[Outcome], now: datetime) -> None:
    with database.session() as session:
        for outcome in outcomes:
            delivery = session.get(Delivery, outcome.delivery_id)
            if delivery is None:  # its subscription was deleted meanwhile
                continue
            delivery.attempts += 1
            delivery.last_status_code = outcome.status_code
            delivery.last_error = outcome.error
            session.add(
                Attempt(
                    delivery_id=delivery.id,
                    attempted_at=now,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                )
            )
            if outcome.ok:
                delivery.status = DeliveryStatus.delivered
                delivery.delivered_at = now
            elif delivery.attempts >= policy.max_attempts:
                delivery.status = DeliveryStatus.failed
            else:
                wait = backoff_s(policy, delivery.attempts)
                delivery.next_attempt_at = now + timedelta(seconds=wait)


async def deliver_due(database: Database, policy: Policy, client: httpx.AsyncClient) -> int:
    """One round: claim, send concurrently, record. Returns how many were attempted."""
    claimed = await asyncio.to_thread(claim_due, database, policy, datetime.now(UTC))
    if not claimed:
        return 0
    outcomes = await asyncio.gather(*(send(client, item, policy) for item in claimed))
    await asyncio.to_thread(record, database, policy, list(outcomes), datetime.now(UTC))
    return len(claimed)


def prune(database: Database, before: datetime) -> int:
    """Delete events older than ``before`` whose every delivery is delivered (or that had
    no subscriber); pending and failed ones stay for the history and for redelivery."""
    with database.session() as session:
        unfinished = select(Delivery.event_id).where(Delivery.status != DeliveryStatus.delivered)
        doomed = session.scalars(
            select(Event.id).where(Event.created_at < before, Event.id.not_in(unfinished))
        ).all()
        for i in range(0, len(doomed), PRUNE_CHUNK):
            session.execute(delete(Event).where(Event.id.in_(doomed[i : i + PRUNE_CHUNK])))
        return len(doomed)


async def run(app: FastAPI) -> None:
    """The background task: deliver until cancelled. ``app.state.notify_policy`` overrides
    the default policy (tests shorten the waits)."""
    policy: Policy = getattr(app.state, "notify_policy", None) or Policy()
    database: Database = app.state.db
    pruned_at = 0.0
    async with httpx.AsyncClient(follow_redirects=False) as client:
        while True:
            if time.monotonic() - pruned_at > PRUNE_EVERY_S:
                before = datetime.now(UTC) - timedelta(days=KEEP_DAYS)
                await asyncio.to_thread(prune, database, before)
                pruned_at = time.monotonic()
            if await deliver_due(database, policy, client) == 0:
                await asyncio.sleep(policy.poll_s)

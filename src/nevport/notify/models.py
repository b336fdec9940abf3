"""Webhook tables: subscriptions, events (the outbox), deliveries and their attempts.

An event is written in the caller's transaction together with one delivery row per
matching subscription, so an event exists exactly when the change that caused it does,
and a crash after the commit loses nothing: the rows wait until the loop sends them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nevport.db.base import AuditMixin, Base, utcnow


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt (or its first)
    delivered = "delivered"  # the receiver answered 2xx
    failed = "failed"  # gave up after the last attempt; can be redelivered by hand


class Subscription(AuditMixin, Base):
    """A receiver URL for some topics of one enterprise, or of the whole park (None)."""

    __tablename__ = "notify_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    # Kept readable because signing needs it; it authenticates us to the receiver and
    # grants nothing here, unlike a password (docs/notify.md).
    secret: Mapped[str] = mapped_column(String(128))
    topics: Mapped[str] = mapped_column(Text)  # space-separated patterns: a.b, a.*, *
    description: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def topic_list(self) -> list[str]:
        return self.topics.split()


class Event(Base):
    """Something that happened, as it will be sent: the outbox row."""

    __tablename__ = "notify_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)  # receivers dedupe by it
    topic: Mapped[str] = mapped_column(String(100), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[str] = mapped_column(Text)  # JSON text, frozen at enqueue
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One event to one subscription, with its retry state."""

    __tablename__ = "notify_deliveries"
    __table_args__ = (Index("ix_notify_deliveries_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notify_events.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("notify_subscriptions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16, validate_strings=True),
        default=DeliveryStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    delivered_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship()
    subscription: Mapped[Subscription] = relationship()


class Attempt(Base):
    """One HTTP try of a delivery: the delivery history."""

    __tablename__ = "notify_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("notify_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)  # None: no HTTP answer
    error: Mapped[str] = mapped_column(String(500), default="")
    duration_ms: Mapped[int] = mapped_column(Integer)  # [ms]

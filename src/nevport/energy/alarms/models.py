"""Alarm rules, alarms and their transitions (docs/energy/alarms.md).

An alarm is open while ``active`` or ``acknowledged``; a rule has at most one open alarm,
so a condition that persists raises once, not once per reading.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nevport.db.base import AuditMixin, Base
from nevport.energy.models import Micro


class RuleKind(StrEnum):
    threshold = "threshold"  # a reading above (or below) a limit
    rate_of_change = "rate_of_change"  # |change| per minute above a limit
    offline = "offline"  # no reading for longer than offline_after_s
    anomaly = "anomaly"  # a load anomaly of the last complete hours


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class AlarmState(StrEnum):
    active = "active"
    acknowledged = "acknowledged"
    cleared = "cleared"


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class AlarmRule(AuditMixin, Base):
    __tablename__ = "energy_alarm_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("energy_channels.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RuleKind] = mapped_column(_enum(RuleKind))
    severity: Mapped[Severity] = mapped_column(_enum(Severity), default=Severity.warning)
    above: Mapped[bool] = mapped_column(Boolean, default=True)  # threshold: above or below
    limit: Mapped[Decimal | None] = mapped_column(Micro)  # channel unit, or unit per minute
    deadband: Mapped[Decimal] = mapped_column(Micro, default=Decimal(0))  # clear this far back
    offline_after_s: Mapped[int | None] = mapped_column(Integer)  # [s]
    anomaly_kind: Mapped[str | None] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Newest reading time already evaluated: each reading is looked at once.
    watermark: Mapped[datetime | None]


class Alarm(Base):
    __tablename__ = "energy_alarms"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("energy_alarm_rules.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[AlarmState] = mapped_column(_enum(AlarmState), index=True)
    raised_at: Mapped[datetime]  # time of the reading that raised it
    value: Mapped[Decimal | None] = mapped_column(Micro)
    message: Mapped[str] = mapped_column(String(500))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    cleared_at: Mapped[datetime | None]

    rule: Mapped[AlarmRule] = relationship()
    history: Mapped[list[AlarmTransition]] = relationship(
        cascade="all, delete-orphan", order_by="AlarmTransition.id"
    )


class AlarmTransition(Base):
    """One step of an alarm's life: who or what moved it, when, and why."""

    __tablename__ = "energy_alarm_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    alarm_id: Mapped[int] = mapped_column(
        ForeignKey("energy_alarms.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    from_state: Mapped[AlarmState | None] = mapped_column(_enum(AlarmState))
    to_state: Mapped[AlarmState] = mapped_column(_enum(AlarmState))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")

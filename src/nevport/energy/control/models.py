"""Control points (a coil or holding register of a device), interlocks, commands, audit.

Every command and every step of it is kept: who asked, what the interlocks said, who
confirmed, what was written and read back (docs/energy/control.md).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nevport.db.base import AuditMixin, Base, utcnow
from nevport.energy.models import Micro


class RegisterKind(StrEnum):
    coil = "coil"  # function 05: on (1) or off (0)
    holding = "holding"  # function 06: a 16-bit set point


class CommandStatus(StrEnum):
    simulated = "simulated"  # dry run: checked and read, nothing written
    refused = "refused"  # an interlock or the point's lock said no
    awaiting_confirmation = "awaiting_confirmation"
    scheduled = "scheduled"  # confirmed, runs at execute_at
    executed = "executed"  # written and read back equal
    failed = "failed"  # the device did not answer or read back differs
    cancelled = "cancelled"


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class ControlPoint(AuditMixin, Base):
    __tablename__ = "energy_control_points"
    __table_args__ = (UniqueConstraint("enterprise_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[RegisterKind] = mapped_column(_enum(RegisterKind))
    address: Mapped[int] = mapped_column(Integer)
    min_value: Mapped[int] = mapped_column(Integer, default=0)
    max_value: Mapped[int] = mapped_column(Integer, default=1)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)  # maintenance lockout

    interlocks: Mapped[list[Interlock]] = relationship(
        cascade="all, delete-orphan", order_by="Interlock.id"
    )


class Interlock(Base):
    """Refuse a write while a channel's newest reading is beyond a limit, or too old to
    know (fail safe), optionally only for one target value (e.g. switching on)."""

    __tablename__ = "energy_control_interlocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(
        ForeignKey("energy_control_points.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int] = mapped_column(ForeignKey("energy_channels.id", ondelete="CASCADE"))
    above: Mapped[bool] = mapped_column(Boolean, default=True)  # refuse above (or below)
    limit: Mapped[Decimal] = mapped_column(Micro)
    max_age_s: Mapped[int] = mapped_column(Integer, default=300)  # [s]
    only_value: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(300), default="")


class ControlCommand(Base):
    __tablename__ = "energy_control_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    point_id: Mapped[int] = mapped_column(
        ForeignKey("energy_control_points.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[int] = mapped_column(Integer)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[CommandStatus] = mapped_column(_enum(CommandStatus), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="manual")
    execute_at: Mapped[datetime | None]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    executed_at: Mapped[datetime | None]
    previous_value: Mapped[int | None] = mapped_column(Integer)
    read_back: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(500), default="")

    point: Mapped[ControlPoint] = relationship()


class ControlAudit(Base):
    """Append-only: one row per thing that happened to a command."""

    __tablename__ = "energy_control_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    command_id: Mapped[int] = mapped_column(
        ForeignKey("energy_control_commands.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")


class ControlTrigger(Base):
    """When an alarm of ``rule_id`` is raised, propose writing ``value`` to ``point_id``
    (a command awaiting confirmation: a rule never writes to equipment on its own)."""

    __tablename__ = "energy_control_triggers"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("energy_alarm_rules.id", ondelete="CASCADE"), index=True
    )
    point_id: Mapped[int] = mapped_column(
        ForeignKey("energy_control_points.id", ondelete="CASCADE")
    )
    value: Mapped[int] = mapped_column(Integer)


class ControlSchedule(AuditMixin, Base):
    """Write ``value`` to a point at a local time on some weekdays. Confirmed once, when
    created (the admin repeats point and value); each firing is an audited command that
    passes the interlocks like any other."""

    __tablename__ = "energy_control_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    point_id: Mapped[int] = mapped_column(
        ForeignKey("energy_control_points.id", ondelete="CASCADE")
    )
    value: Mapped[int] = mapped_column(Integer)
    at_minute: Mapped[int] = mapped_column(Integer)  # [min] after local midnight
    weekdays: Mapped[str] = mapped_column(String(7))  # "0123456" subset, 0 = Monday
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_fired: Mapped[datetime | None]  # UTC instant of the last firing

    point: Mapped[ControlPoint] = relationship()

"""Tables of environmental power supervision (all prefixed ``env_``).

Power itself is not stored here: facilities name the energy-center channel that
watches them, and the engine reads it through ``nevport.energy.service``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nevport.db.base import AuditMixin, Base, utcnow
from nevport.environment.events import Grade
from nevport.environment.topology import FacilityKind


class Decision(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class EventStatus(StrEnum):
    pushed = "pushed"  # raised and sent to the enterprise
    responded = "responded"  # the enterprise explained, with evidence
    closed = "closed"  # a regulator verified the response
    exempted = "exempted"  # inside an approved pre-report: marked, never pushed


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class EnvFacility(AuditMixin, Base):
    __tablename__ = "env_facilities"
    __table_args__ = (UniqueConstraint("enterprise_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(12))  # also the HJ 212 facility code
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FacilityKind] = mapped_column(_enum(FacilityKind))
    channel_id: Mapped[int | None]  # energy-center power channel watching it
    upstream_channel_id: Mapped[int | None]  # meter upstream of it, for the suspicious rule
    rated_w: Mapped[float] = mapped_column(Float)  # [W]
    standby_w: Mapped[float] = mapped_column(Float)  # [W]
    running_w: Mapped[float] = mapped_column(Float)  # [W]
    hysteresis_w: Mapped[float] = mapped_column(Float, default=0.0)  # [W]
    min_state_s: Mapped[int] = mapped_column(default=120)  # [s]


class EnvLink(AuditMixin, Base):
    __tablename__ = "env_links"
    __table_args__ = (UniqueConstraint("production_id", "treatment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    production_id: Mapped[int] = mapped_column(ForeignKey("env_facilities.id", ondelete="CASCADE"))
    treatment_id: Mapped[int] = mapped_column(ForeignKey("env_facilities.id", ondelete="CASCADE"))
    expected_ratio: Mapped[float | None] = mapped_column(Float)


class EnvThresholdSuggestion(AuditMixin, Base):
    """Thresholds learned from history; a person confirms before they apply."""

    __tablename__ = "env_threshold_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    facility_id: Mapped[int] = mapped_column(ForeignKey("env_facilities.id", ondelete="CASCADE"))
    standby_w: Mapped[float] = mapped_column(Float)
    running_w: Mapped[float] = mapped_column(Float)
    rated_w: Mapped[float] = mapped_column(Float)
    samples: Mapped[int]
    status: Mapped[Decision] = mapped_column(_enum(Decision), default=Decision.pending)


class EnvPreReport(AuditMixin, Base):
    """An exception declared ahead (maintenance, planned stop): 报备."""

    __tablename__ = "env_pre_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    facility_codes: Mapped[list[str]] = mapped_column(JSON)  # empty: the whole enterprise
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[Decision] = mapped_column(_enum(Decision), default=Decision.pending, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")


class EnvEvent(AuditMixin, Base):
    __tablename__ = "env_events"
    __table_args__ = (UniqueConstraint("enterprise_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(200))  # rule:facilities:start, fixed by the engine
    rule: Mapped[str] = mapped_column(String(40), index=True)
    facilities: Mapped[list[str]] = mapped_column(JSON)
    start_at: Mapped[datetime] = mapped_column(index=True)
    end_at: Mapped[datetime | None]
    grade: Mapped[Grade] = mapped_column(_enum(Grade), index=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)  # readings, thresholds, close reason
    status: Mapped[EventStatus] = mapped_column(_enum(EventStatus), index=True)
    pre_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("env_pre_reports.id", ondelete="SET NULL")
    )
    respond_by: Mapped[datetime | None]  # SLA: the enterprise answers before this
    response: Mapped[str] = mapped_column(Text, default="")
    response_evidence: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None]

    history: Mapped[list[EnvEventAction]] = relationship(
        cascade="all, delete-orphan", order_by="EnvEventAction.id"
    )


class EnvEventAction(Base):
    """One step of an event's life, kept forever (the audit history)."""

    __tablename__ = "env_event_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("env_events.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # raised, escalated, responded, verified...
    note: Mapped[str] = mapped_column(Text, default="")


class AlertLevel(StrEnum):
    """Heavy-pollution weather alert levels, lowest first (the national four-colour scale)."""

    blue = "blue"
    yellow = "yellow"
    orange = "orange"
    red = "red"

    @property
    def rank(self) -> int:
        return tuple(AlertLevel).index(self)


class EnvAlert(AuditMixin, Base):
    """A heavy-pollution emergency alert in force over the park for [start_at, end_at)."""

    __tablename__ = "env_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[AlertLevel] = mapped_column(_enum(AlertLevel))
    start_at: Mapped[datetime] = mapped_column(index=True)
    end_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class EnvCurtailmentMeasure(AuditMixin, Base):
    """What one enterprise must stop while an alert of ``level`` is in force (减排清单)."""

    __tablename__ = "env_curtailment_measures"
    __table_args__ = (UniqueConstraint("enterprise_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[AlertLevel] = mapped_column(_enum(AlertLevel))
    facility_codes: Mapped[list[str]] = mapped_column(JSON)  # empty: all production stops
    measure: Mapped[str] = mapped_column(Text, default="")


class EnvStaggeredPeriod(AuditMixin, Base):
    """A staggered-production period (错峰生产): listed facilities must not produce."""

    __tablename__ = "env_staggered_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    facility_codes: Mapped[list[str]] = mapped_column(JSON)  # empty: all production
    reason: Mapped[str] = mapped_column(Text, default="")


class ResourceRole(StrEnum):
    """What an energy-center counter channel measures for the water and PV ratios."""

    fresh_water = "fresh_water"  # [m3] municipal or well water taken in
    reclaimed_water = "reclaimed_water"  # [m3] treated water reused (condensate, graded)
    pv_generation = "pv_generation"  # [kWh] the PV inverters' output
    grid_import = "grid_import"  # [kWh] bought from the grid
    grid_export = "grid_export"  # [kWh] PV surplus fed back to the grid


class EnvResourceChannel(AuditMixin, Base):
    """Which of its energy-center channels an enterprise's water and PV ratios read."""

    __tablename__ = "env_resource_channels"
    __table_args__ = (UniqueConstraint("enterprise_id", "role", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[ResourceRole] = mapped_column(_enum(ResourceRole))
    channel_id: Mapped[int]

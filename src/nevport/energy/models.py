"""Energy tables: the meter tree, channels with their multiplier history, readings, intervals.

Values are stored as integers of micro-units (``Micro``): exact on SQLite, whose NUMERIC
is a float, and on PostgreSQL, and fast to insert and sum (docs/energy/data-model.md).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from nevport.db.base import AuditMixin, Base
from nevport.energy.quantities import Quantity

MICRO = Decimal("0.000001")  # storage resolution: 1e-6 of the channel's unit
MAX_MICRO = 2**63 - 1


class Micro(TypeDecorator[Decimal]):
    """A Decimal with at most 6 places, stored as a 64-bit integer of millionths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = value.scaleb(6)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than 6 decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else plain(Decimal(int(value)).scaleb(-6))


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and without an exponent: 1.750000 -> 1.75, 100 -> 100."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


class MeterLevel(StrEnum):
    incomer = "incomer"
    workshop = "workshop"
    line = "line"
    equipment = "equipment"
    virtual = "virtual"


class ConfigKind(StrEnum):
    """Why a channel's counter or multiplier changed (a row of its history)."""

    installed = "installed"
    ratio_change = "ratio_change"
    replacement = "replacement"
    reset = "reset"


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class Meter(AuditMixin, Base):
    """A physical meter (or a virtual one: a formula over other meters' channels)."""

    __tablename__ = "energy_meters"
    __table_args__ = (UniqueConstraint("enterprise_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("energy_meters.id", ondelete="SET NULL"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))  # what devices and collectors call it
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[MeterLevel] = mapped_column(_enum(MeterLevel))
    protocol: Mapped[str] = mapped_column(String(16), default="http")
    address: Mapped[str] = mapped_column(String(64), default="")  # bus address or unit id
    register_map: Mapped[str | None] = mapped_column(String(64))
    formula: Mapped[str | None] = mapped_column(Text)  # virtual meters: "A - B + 0.5*C"

    channels: Mapped[list[Channel]] = relationship(
        back_populates="meter", cascade="all, delete-orphan", order_by="Channel.id"
    )


class Channel(Base):
    """One measured quantity of a meter, in the quantity's stored unit."""

    __tablename__ = "energy_channels"
    __table_args__ = (UniqueConstraint("meter_id", "quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("energy_meters.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )  # copied from the meter so tenancy filters need no join
    quantity: Mapped[Quantity] = mapped_column(_enum(Quantity))
    unit: Mapped[str] = mapped_column(String(16))
    modulus: Mapped[Decimal | None] = mapped_column(Micro)  # counters: register wraps here

    meter: Mapped[Meter] = relationship(back_populates="channels")
    history: Mapped[list[ChannelConfig]] = relationship(
        cascade="all, delete-orphan", order_by="ChannelConfig.effective_from"
    )


class ChannelConfig(Base):
    """A versioned change of a channel: multiplier (CT x PT), replacement, declared reset."""

    __tablename__ = "energy_channel_configs"
    __table_args__ = (UniqueConstraint("channel_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("energy_channels.id", ondelete="CASCADE"))
    effective_from: Mapped[datetime]
    kind: Mapped[ConfigKind] = mapped_column(_enum(ConfigKind))
    ct_ratio: Mapped[Decimal] = mapped_column(Micro)
    pt_ratio: Mapped[Decimal] = mapped_column(Micro)
    old_final: Mapped[Decimal | None] = mapped_column(Micro)  # old register's last value
    new_initial: Mapped[Decimal | None] = mapped_column(Micro)  # new register's first value
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]

    @property
    def multiplier(self) -> Decimal:
        return self.ct_ratio * self.pt_ratio


class Reading(Base):
    """A raw value as the device gave it (after unit conversion); the key makes replays inert."""

    __tablename__ = "energy_readings"

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("energy_channels.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[datetime] = mapped_column(primary_key=True)
    value: Mapped[Decimal | None] = mapped_column(Micro)  # None: the device could not read
    flags: Mapped[int] = mapped_column(SmallInteger, default=0)  # counters.Flag.SUSPECT etc.


class EnergyInterval(Base):
    """Energy of a channel over (start, start + resolution]; NULL means unknown."""

    __tablename__ = "energy_intervals"
    __table_args__ = (Index("ix_energy_intervals_resolution_start", "resolution", "start"),)

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("energy_channels.id", ondelete="CASCADE"), primary_key=True
    )
    resolution: Mapped[str] = mapped_column(String(3), primary_key=True)
    start: Mapped[datetime] = mapped_column(primary_key=True)
    value: Mapped[Decimal | None] = mapped_column(Micro)
    flags: Mapped[int] = mapped_column(Integer, default=0)

"""Relevant variables of energy performance: production counts and outdoor temperature.

Both are per enterprise and local day; a day without a row is unknown, never zero.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from nevport.db.base import Base, utcnow
from nevport.energy.models import Micro


class ProductionCount(Base):
    """Units of one product made on one local day (from the workshop, or typed in)."""

    __tablename__ = "energy_production"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    product: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger)  # [units]
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutdoorTemperature(Base):
    """Daily mean outdoor temperature at the enterprise [degC]."""

    __tablename__ = "energy_outdoor_temperatures"

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    mean_c: Mapped[Decimal] = mapped_column(Micro)  # [degC]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

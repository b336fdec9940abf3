"""The park registry: enterprises and their sites, vehicle makers and plants, projects."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    Enum,
    Float,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nevport.db.base import AuditMixin, Base


class Sector(StrEnum):
    chassis_body = "chassis_body"
    electronics = "electronics"
    intelligent_driving = "intelligent_driving"
    powertrain = "powertrain"
    aftermarket = "aftermarket"
    other = "other"


class GreenLevel(StrEnum):
    national = "national"
    municipal = "municipal"
    none = "none"


class ProjectStatus(StrEnum):
    signed = "signed"
    under_construction = "under_construction"
    in_production = "in_production"
    cancelled = "cancelled"


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


enterprise_customers = Table(
    "enterprise_customers",
    Base.metadata,
    Column("enterprise_id", ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True),
    Column("maker_id", ForeignKey("vehicle_makers.id", ondelete="CASCADE"), primary_key=True),
)


class Enterprise(AuditMixin, Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), unique=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    sector: Mapped[Sector] = mapped_column(_enum(Sector), index=True)
    above_designated_size: Mapped[bool] = mapped_column(default=False)
    green_level: Mapped[GreenLevel] = mapped_column(_enum(GreenLevel), default=GreenLevel.none)
    patents: Mapped[int] = mapped_column(default=0)  # valid patents held
    employees: Mapped[int] = mapped_column(default=0)
    output_value_yuan: Mapped[int | None] = mapped_column(BigInteger)  # [yuan] last full year
    key_power_user: Mapped[bool] = mapped_column(
        default=False
    )  # watched by environmental power supervision
    synthetic: Mapped[bool] = mapped_column(default=False)  # demo data not taken from a source
    description: Mapped[str] = mapped_column(Text, default="")

    sites: Mapped[list[Site]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="Site.id"
    )
    customers: Mapped[list[VehicleMaker]] = relationship(
        secondary=enterprise_customers, order_by="VehicleMaker.name_en"
    )


class Site(AuditMixin, Base):
    """A factory or office of an enterprise, with WGS-84 coordinates."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float] = mapped_column(Float)  # [deg] WGS-84
    longitude: Mapped[float] = mapped_column(Float)  # [deg] WGS-84
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")

    enterprise: Mapped[Enterprise] = relationship(back_populates="sites")


class VehicleMaker(AuditMixin, Base):
    """A car maker (OEM) that park enterprises supply."""

    __tablename__ = "vehicle_makers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), unique=True)

    plants: Mapped[list[OemPlant]] = relationship(
        back_populates="maker", cascade="all, delete-orphan", order_by="OemPlant.id"
    )


class OemPlant(AuditMixin, Base):
    """A vehicle assembly plant; location approximate, WGS-84."""

    __tablename__ = "oem_plants"

    id: Mapped[int] = mapped_column(primary_key=True)
    maker_id: Mapped[int] = mapped_column(
        ForeignKey("vehicle_makers.id", ondelete="CASCADE"), index=True
    )
    name_zh: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), unique=True)
    city: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(20))  # Beijing, Tianjin or Hebei
    latitude: Mapped[float] = mapped_column(Float)  # [deg] WGS-84
    longitude: Mapped[float] = mapped_column(Float)  # [deg] WGS-84

    maker: Mapped[VehicleMaker] = relationship(back_populates="plants")


class Project(AuditMixin, Base):
    """An investment project brought into the park."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), unique=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), index=True
    )
    investment_yuan: Mapped[int] = mapped_column(BigInteger)  # [yuan] total planned investment
    expected_output_yuan: Mapped[int] = mapped_column(BigInteger)  # [yuan/year] at full production
    status: Mapped[ProjectStatus] = mapped_column(_enum(ProjectStatus))
    signed_on: Mapped[date | None]
    production_start: Mapped[date | None]  # expected or actual
    synthetic: Mapped[bool] = mapped_column(default=False)

"""Thin routes over ``nevport.energy.analysis.service``, under the enterprise's energy path."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query

from nevport.auth.deps import CurrentPrincipal, DbSession, SettingsDep
from nevport.energy.analysis import service
from nevport.energy.analysis.schemas import (
    AnomalyOut,
    BillOut,
    CostOut,
    EnpiDay,
    EquivalentOut,
    ProductionBatch,
    SavingsOut,
    Stored,
    TemperatureBatch,
)
from nevport.energy.analysis.tariff import Tariff, load_tariff
from nevport.errors import Forbidden

router = APIRouter(prefix="/api/enterprises/{enterprise_id}/energy", tags=["energy analysis"])

EnterpriseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ChannelId = Annotated[int, Query(ge=1, le=2**31 - 1)]
# Only packaged tariffs by name over HTTP: a path would let a caller read server files.
TariffName = Annotated[str, Query(pattern=r"^[a-z0-9-]{1,64}$")]
Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")]
Kva = Annotated[Decimal, Query(gt=0, le=10**7)]
Fraction = Annotated[float, Query(gt=0, lt=1)]
DEFAULT_TARIFF = "tianjin-general-industrial"


def _tariff(name: str) -> Tariff:
    return load_tariff(name)


def _zone(settings: SettingsDep) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


@router.post("/production", response_model=Stored)
def post_production(
    enterprise_id: EnterpriseId,
    body: ProductionBatch,
    principal: CurrentPrincipal,
    session: DbSession,
) -> Stored:
    """Daily output counts (the EnPI denominator); resending a day replaces it."""
    if not principal.can_write_enterprise(enterprise_id):
        raise Forbidden(
            f"role {principal.role.value} may not record enterprise {enterprise_id}'s output"
        )
    return service.record_production(session, enterprise_id, body.counts)


@router.post("/temperatures", response_model=Stored)
def post_temperatures(
    enterprise_id: EnterpriseId,
    body: TemperatureBatch,
    principal: CurrentPrincipal,
    session: DbSession,
) -> Stored:
    if not principal.can_write_enterprise(enterprise_id):
        raise Forbidden(
            f"role {principal.role.value} may not record enterprise {enterprise_id}'s weather"
        )
    return service.record_temperatures(session, enterprise_id, body.temperatures)


@router.get("/cost", response_model=CostOut)
def get_cost(
    enterprise_id: EnterpriseId,
    channel_id: ChannelId,
    start: datetime,
    end: datetime,
    session: DbSession,
    settings: SettingsDep,
    tariff: TariffName = DEFAULT_TARIFF,
) -> CostOut:
    """Time-of-use energy cost of an active-energy channel over [start, end)."""
    return service.tou(
        session, enterprise_id, channel_id, start, end, _tariff(tariff), _zone(settings)
    )


@router.get("/bill", response_model=BillOut)
def get_bill(
    enterprise_id: EnterpriseId,
    channel_id: ChannelId,
    month: Month,
    session: DbSession,
    settings: SettingsDep,
    tariff: TariffName = DEFAULT_TARIFF,
    contracted_kva: Kva | None = None,
) -> BillOut:
    """A month's bill: TOU energy, demand or capacity charge, power-factor adjustment."""
    return service.bill(
        session, enterprise_id, channel_id, month, _tariff(tariff), _zone(settings), contracted_kva
    )


@router.get("/enpi", response_model=list[EnpiDay])
def get_enpi(
    enterprise_id: EnterpriseId,
    channel_id: ChannelId,
    start: date,
    end: date,
    session: DbSession,
    settings: SettingsDep,
    product: str | None = None,
) -> list[EnpiDay]:
    return service.enpi(session, enterprise_id, channel_id, start, end, _zone(settings), product)


@router.get("/equivalents", response_model=EquivalentOut)
def get_equivalents(
    enterprise_id: EnterpriseId,
    channel_id: ChannelId,
    start: date,
    end: date,
    session: DbSession,
    settings: SettingsDep,
) -> EquivalentOut:
    return service.equivalents(session, enterprise_id, channel_id, start, end, _zone(settings))


@router.get("/savings", response_model=SavingsOut)
def get_savings(
    enterprise_id: EnterpriseId,
    channel_id: ChannelId,
    baseline_start: date,
    baseline_end: date,
    reporting_start: date,
    reporting_end: date,
    session: DbSession,
    settings: SettingsDep,
    target: Fraction = 0.05,
    confidence: Fraction = 0.90,
) -> SavingsOut:
    """Savings against a baseline normalised for output and temperature, with its band."""
    return service.savings(
        session,
        enterprise_id,
        channel_id,
        (baseline_start, baseline_end),
        (reporting_start, reporting_end),
        _zone(settings),
        target,
        confidence,
    )


@router.get("/anomalies", response_model=list[AnomalyOut])
def get_anomalies(
    enterprise_id: EnterpriseId,
    channel_id: ChannelId,
    start: datetime,
    end: datetime,
    session: DbSession,
    settings: SettingsDep,
) -> list[AnomalyOut]:
    return service.anomalies(session, enterprise_id, channel_id, start, end, _zone(settings))

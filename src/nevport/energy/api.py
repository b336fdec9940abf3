"""Thin routes over ``nevport.energy.service``.

Enterprise data lives under ``/api/enterprises/{enterprise_id}/energy/...`` so the
app-wide tenancy guard covers every route; devices push to ``/api/energy/ingest`` with
their token, which names the enterprise they write for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import JSONResponse

from nevport.auth.deps import CurrentDevice, CurrentPrincipal, DbSession, SettingsDep
from nevport.energy import service
from nevport.energy.ingest import BatchRefused, ingest
from nevport.energy.intervals import Resolution
from nevport.energy.schemas import (
    Code,
    ConfigChange,
    FormulaChange,
    IngestBatch,
    IngestResult,
    MeterCreate,
    MeterOut,
    Series,
)
from nevport.errors import Forbidden

router = APIRouter(prefix="/api", tags=["energy"])

EnterpriseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ChannelId = Annotated[int, Path(ge=1, le=2**31 - 1)]
BASE = "/enterprises/{enterprise_id}/energy"


def _may_write(principal: CurrentPrincipal, enterprise_id: int) -> None:
    if not principal.can_write_enterprise(enterprise_id):
        raise Forbidden(
            f"role {principal.role.value} may not change enterprise {enterprise_id}'s meters"
        )


@router.post("/energy/ingest", response_model=IngestResult)
def ingest_readings(
    body: IngestBatch, device: CurrentDevice, session: DbSession, settings: SettingsDep
) -> IngestResult | JSONResponse:
    """Store a batch of readings; any bad row refuses the whole batch with every reason."""
    try:
        return ingest(
            session, device.enterprise_id, body.readings, zone=ZoneInfo(settings.timezone)
        )
    except BatchRefused as exc:
        return JSONResponse(
            {"detail": str(exc), "errors": [e.model_dump() for e in exc.errors]},
            status_code=422,  # Unprocessable Content (RFC 9110)
        )


@router.get(f"{BASE}/meters", response_model=list[MeterOut])
def list_meters(
    enterprise_id: EnterpriseId, principal: CurrentPrincipal, session: DbSession
) -> list[MeterOut]:
    return service.list_meters(session, enterprise_id)


@router.post(f"{BASE}/meters", response_model=MeterOut, status_code=status.HTTP_201_CREATED)
def create_meter(
    enterprise_id: EnterpriseId, body: MeterCreate, principal: CurrentPrincipal, session: DbSession
) -> MeterOut:
    _may_write(principal, enterprise_id)
    return service.create_meter(session, enterprise_id, body)


@router.put(f"{BASE}/meters/{{code}}/formula", response_model=MeterOut)
def change_formula(
    enterprise_id: EnterpriseId,
    code: Annotated[Code, Path()],
    body: FormulaChange,
    principal: CurrentPrincipal,
    session: DbSession,
) -> MeterOut:
    """A virtual meter's new formula, checked as at creation (codes, channels, cycles)."""
    _may_write(principal, enterprise_id)
    return service.change_formula(session, enterprise_id, code, body)


@router.post(f"{BASE}/channels/{{channel_id}}/changes", status_code=status.HTTP_204_NO_CONTENT)
def change_channel(
    enterprise_id: EnterpriseId,
    channel_id: ChannelId,
    body: ConfigChange,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: SettingsDep,
) -> None:
    """A CT/PT ratio change, meter replacement or declared reset; intervals are recomputed."""
    _may_write(principal, enterprise_id)
    service.change_config(session, enterprise_id, channel_id, body, ZoneInfo(settings.timezone))


@router.get(f"{BASE}/channels/{{channel_id}}/energy", response_model=Series)
def energy_series(
    enterprise_id: EnterpriseId,
    channel_id: ChannelId,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: SettingsDep,
    start: Annotated[datetime, Query()],
    end: Annotated[datetime, Query()],
    resolution: Annotated[Resolution, Query()] = Resolution.quarter,
) -> Series:
    return service.energy_series(
        session, enterprise_id, channel_id, start, end, resolution, ZoneInfo(settings.timezone)
    )


@router.get(f"{BASE}/channels/{{channel_id}}/power", response_model=Series)
def power_series(
    enterprise_id: EnterpriseId,
    channel_id: ChannelId,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: SettingsDep,
    start: Annotated[datetime, Query()],
    end: Annotated[datetime, Query()],
    resolution: Annotated[Resolution, Query()] = Resolution.quarter,
) -> Series:
    return service.power_series(
        session, enterprise_id, channel_id, start, end, resolution, ZoneInfo(settings.timezone)
    )

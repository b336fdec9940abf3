"""Thin routes for alerts, curtailment measures and staggered periods (``curtailment``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, status

from nevport.auth.deps import CurrentPrincipal, DbSession
from nevport.environment import curtailment
from nevport.environment.models import AlertLevel
from nevport.environment.schemas import (
    AlertCreate,
    AlertOut,
    MeasureIn,
    MeasureOut,
    StaggeredCreate,
    StaggeredOut,
)

router = APIRouter()
BASE = "/enterprises/{enterprise_id}/environment"
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/environment/alerts", response_model=list[AlertOut])
def list_alerts(
    principal: CurrentPrincipal, session: DbSession, since: datetime | None = None
) -> list[AlertOut]:
    return curtailment.list_alerts(session, since)


@router.post("/environment/alerts", response_model=AlertOut, status_code=status.HTTP_201_CREATED)
def declare_alert(body: AlertCreate, principal: CurrentPrincipal, session: DbSession) -> AlertOut:
    return curtailment.declare_alert(session, principal, body)


@router.post("/environment/alerts/{alert_id}/lift", response_model=AlertOut)
def lift_alert(alert_id: Id, principal: CurrentPrincipal, session: DbSession) -> AlertOut:
    return curtailment.lift_alert(session, principal, alert_id)


@router.get(f"{BASE}/curtailment-measures", response_model=list[MeasureOut])
def list_measures(
    enterprise_id: Id, principal: CurrentPrincipal, session: DbSession
) -> list[MeasureOut]:
    return curtailment.list_measures(session, principal, enterprise_id)


@router.put(f"{BASE}/curtailment-measures/{{level}}", response_model=MeasureOut)
def set_measure(
    enterprise_id: Id,
    level: AlertLevel,
    body: MeasureIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> MeasureOut:
    return curtailment.set_measure(session, principal, enterprise_id, level, body)


@router.get(f"{BASE}/staggered-periods", response_model=list[StaggeredOut])
def list_staggered(
    enterprise_id: Id, principal: CurrentPrincipal, session: DbSession
) -> list[StaggeredOut]:
    return curtailment.list_staggered(session, principal, enterprise_id)


@router.post(
    f"{BASE}/staggered-periods", response_model=StaggeredOut, status_code=status.HTTP_201_CREATED
)
def add_staggered(
    enterprise_id: Id, body: StaggeredCreate, principal: CurrentPrincipal, session: DbSession
) -> StaggeredOut:
    return curtailment.add_staggered(session, principal, enterprise_id, body)


@router.delete(f"{BASE}/staggered-periods/{{period_id}}", status_code=status.HTTP_204_NO_CONTENT)
def delete_staggered(
    enterprise_id: Id, period_id: Id, principal: CurrentPrincipal, session: DbSession
) -> None:
    curtailment.delete_staggered(session, principal, enterprise_id, period_id)

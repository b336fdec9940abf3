"""Thin routes over ``service`` and ``lifecycle``; rules of access live in ``access``.

Routes under ``/enterprises/{enterprise_id}`` pass the app-wide tenancy guard; the
park-wide lists under ``/environment`` are narrowed by ``tenancy.scoped``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from nevport.auth.deps import CurrentPrincipal, DbSession
from nevport.environment import curtailment_api, lifecycle, resources, service
from nevport.environment.events import Grade
from nevport.environment.models import Decision, EventStatus
from nevport.environment.schemas import (
    DecisionIn,
    EventOut,
    FacilityCreate,
    FacilityOut,
    LinkCreate,
    PreReportCreate,
    PreReportOut,
    ResourceChannelsIn,
    ResourcesOut,
    ResponseIn,
    SuggestionLearn,
    SuggestionOut,
)

router = APIRouter(prefix="/api", tags=["environment"])
BASE = "/enterprises/{enterprise_id}/environment"
EnterpriseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(f"{BASE}/facilities", response_model=list[FacilityOut])
def list_facilities(
    enterprise_id: EnterpriseId, principal: CurrentPrincipal, session: DbSession
) -> list[FacilityOut]:
    return service.list_facilities(session, principal, enterprise_id)


@router.post(f"{BASE}/facilities", response_model=FacilityOut, status_code=status.HTTP_201_CREATED)
def create_facility(
    enterprise_id: EnterpriseId,
    body: FacilityCreate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> FacilityOut:
    return service.create_facility(session, principal, enterprise_id, body)


@router.post(f"{BASE}/links", status_code=status.HTTP_204_NO_CONTENT)
def create_link(
    enterprise_id: EnterpriseId, body: LinkCreate, principal: CurrentPrincipal, session: DbSession
) -> None:
    service.create_link(session, principal, enterprise_id, body)


@router.post(
    f"{BASE}/facilities/{{facility_id}}/suggestions",
    response_model=SuggestionOut,
    status_code=status.HTTP_201_CREATED,
)
def learn_thresholds(
    enterprise_id: EnterpriseId,
    facility_id: ItemId,
    body: SuggestionLearn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> SuggestionOut:
    """Learn thresholds from a power history; they apply only once a person confirms."""
    return service.learn_thresholds(session, principal, enterprise_id, facility_id, body.power_w)


@router.post(f"{BASE}/suggestions/{{suggestion_id}}/decision", response_model=SuggestionOut)
def decide_suggestion(
    enterprise_id: EnterpriseId,
    suggestion_id: ItemId,
    body: DecisionIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> SuggestionOut:
    return service.decide_suggestion(session, principal, enterprise_id, suggestion_id, body)


@router.get(f"{BASE}/pre-reports", response_model=list[PreReportOut])
def list_pre_reports(
    enterprise_id: EnterpriseId, principal: CurrentPrincipal, session: DbSession
) -> list[PreReportOut]:
    return service.list_pre_reports(session, principal, enterprise_id)


@router.post(
    f"{BASE}/pre-reports", response_model=PreReportOut, status_code=status.HTTP_201_CREATED
)
def create_pre_report(
    enterprise_id: EnterpriseId,
    body: PreReportCreate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> PreReportOut:
    return service.create_pre_report(session, principal, enterprise_id, body)


@router.post(f"{BASE}/pre-reports/{{report_id}}/decision", response_model=PreReportOut)
def decide_pre_report(
    enterprise_id: EnterpriseId,
    report_id: ItemId,
    body: DecisionIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> PreReportOut:
    return service.decide_pre_report(session, principal, enterprise_id, report_id, body)


@router.get(f"{BASE}/events", response_model=list[EventOut])
def list_enterprise_events(
    enterprise_id: EnterpriseId,
    principal: CurrentPrincipal,
    session: DbSession,
    status: EventStatus | None = None,
    grade: Grade | None = None,
) -> list[EventOut]:
    return lifecycle.list_events(session, principal, enterprise_id, status, grade)


@router.get(f"{BASE}/events/{{event_id}}", response_model=EventOut)
def get_event(
    enterprise_id: EnterpriseId, event_id: ItemId, principal: CurrentPrincipal, session: DbSession
) -> EventOut:
    return lifecycle.get_event(session, principal, enterprise_id, event_id)


@router.post(f"{BASE}/events/{{event_id}}/response", response_model=EventOut)
def respond(
    enterprise_id: EnterpriseId,
    event_id: ItemId,
    body: ResponseIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> EventOut:
    return lifecycle.respond(session, principal, enterprise_id, event_id, body)


@router.post(f"{BASE}/events/{{event_id}}/verification", response_model=EventOut)
def verify(
    enterprise_id: EnterpriseId,
    event_id: ItemId,
    body: DecisionIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> EventOut:
    return lifecycle.verify(session, principal, enterprise_id, event_id, body)


@router.get("/environment/events", response_model=list[EventOut])
def list_all_events(
    principal: CurrentPrincipal,
    session: DbSession,
    status: EventStatus | None = None,
    grade: Grade | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[EventOut]:
    """Every event the caller may see (a regulator: all key enterprises)."""
    return lifecycle.list_events(session, principal, None, status, grade, limit)


@router.get("/environment/pre-reports", response_model=list[PreReportOut])
def list_all_pre_reports(
    principal: CurrentPrincipal, session: DbSession, status: Decision | None = None
) -> list[PreReportOut]:
    return service.list_pre_reports(session, principal, None, status)


@router.put(f"{BASE}/resource-channels", response_model=dict[str, list[int]])
def set_resource_channels(
    enterprise_id: EnterpriseId,
    body: ResourceChannelsIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> dict[str, list[int]]:
    """Which counters are fresh and reclaimed water, PV generation, grid import and export."""
    found = resources.set_channels(session, principal, enterprise_id, body)
    return {role.value: ids for role, ids in found.items()}


@router.get(f"{BASE}/resources", response_model=ResourcesOut)
def get_resources(
    enterprise_id: EnterpriseId,
    principal: CurrentPrincipal,
    session: DbSession,
    start: Annotated[datetime, Query(alias="from")],
    end: Annotated[datetime, Query(alias="to")],
) -> ResourcesOut:
    """Reclaimed-water reuse and PV self-consumption over [from, to)."""
    return resources.resources(session, principal, enterprise_id, start, end)


router.include_router(curtailment_api.router)

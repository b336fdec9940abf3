"""Thin routes over ``nevport.park.service``; rules and tenancy live there and in auth.

Routes under ``/enterprises/{enterprise_id}`` are also passed through the app-wide
``enterprise_guard``, which is why the path parameter keeps that exact name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from nevport.auth.deps import CurrentPrincipal, DbSession, require_roles
from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.park import service
from nevport.park.schemas import (
    EnterpriseCreate,
    EnterpriseOut,
    EnterpriseQuery,
    EnterpriseSummary,
    EnterpriseUpdate,
    OemPlantOut,
    Page,
    ParkOverview,
    ProjectCreate,
    ProjectOut,
    ProjectQuery,
    SiteOut,
    VehicleMakerOut,
)

router = APIRouter(prefix="/api", tags=["park"])

EnterpriseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="enterprise id")]
# Refused before the body is read, so other roles learn nothing from validation errors.
ParkAdmin = Annotated[Principal, require_roles(Role.park_admin)]


@router.get("/enterprises", response_model=Page[EnterpriseSummary])
def list_enterprises(
    principal: CurrentPrincipal, session: DbSession, query: Annotated[EnterpriseQuery, Query()]
) -> Page[EnterpriseSummary]:
    """Enterprises the caller may see; `q` searches both names and the credit code."""
    return service.list_enterprises(session, principal, query)


@router.post(
    "/enterprises",
    response_model=EnterpriseOut,
    status_code=status.HTTP_201_CREATED,
)
def create_enterprise(
    body: EnterpriseCreate, principal: ParkAdmin, session: DbSession
) -> EnterpriseOut:
    return service.create_enterprise(session, principal, body)


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseOut)
def get_enterprise(
    enterprise_id: EnterpriseId, principal: CurrentPrincipal, session: DbSession
) -> EnterpriseOut:
    return service.get_enterprise(session, principal, enterprise_id)


@router.patch("/enterprises/{enterprise_id}", response_model=EnterpriseOut)
def update_enterprise(
    enterprise_id: EnterpriseId,
    body: EnterpriseUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> EnterpriseOut:
    """Change the fields sent; `sites` and `customers`, when sent, replace the old lists."""
    return service.update_enterprise(session, principal, enterprise_id, body)


@router.delete(
    "/enterprises/{enterprise_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_enterprise(
    enterprise_id: EnterpriseId, principal: ParkAdmin, session: DbSession
) -> None:
    service.delete_enterprise(session, principal, enterprise_id)


@router.get("/enterprises/{enterprise_id}/sites", response_model=list[SiteOut])
def list_sites(
    enterprise_id: EnterpriseId, principal: CurrentPrincipal, session: DbSession
) -> list[SiteOut]:
    return service.list_sites(session, principal, enterprise_id)


@router.get("/vehicle-makers", response_model=list[VehicleMakerOut])
def list_vehicle_makers(principal: CurrentPrincipal, session: DbSession) -> list[VehicleMakerOut]:
    return service.list_vehicle_makers(session)


@router.get("/oem-plants", response_model=list[OemPlantOut])
def list_oem_plants(
    principal: CurrentPrincipal,
    session: DbSession,
    province: Annotated[str | None, Query(max_length=20)] = None,
) -> list[OemPlantOut]:
    """Vehicle assembly plants (approximate locations), optionally of one province."""
    return service.list_oem_plants(session, province)


@router.get("/projects", response_model=Page[ProjectOut])
def list_projects(
    principal: CurrentPrincipal, session: DbSession, query: Annotated[ProjectQuery, Query()]
) -> Page[ProjectOut]:
    return service.list_projects(session, principal, query)


@router.post(
    "/projects",
    response_model=ProjectOut,
    status_code=status.HTTP_201_CREATED,
)
def create_project(body: ProjectCreate, principal: ParkAdmin, session: DbSession) -> ProjectOut:
    return service.create_project(session, principal, body)


@router.get("/park/overview", response_model=ParkOverview)
def park_overview(principal: CurrentPrincipal, session: DbSession) -> ParkOverview:
    """Park-wide aggregates; open to every signed-in role."""
    return service.park_overview(session)

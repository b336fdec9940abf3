"""The park registry's logic, callable without HTTP (routes, pages, CLI and tests use it).

Every function takes a Session and, where rows belong to an enterprise, the calling
Principal. Reads of enterprise rows pass through ``nevport.auth.tenancy.scoped``;
writes are checked here, so the rules hold whichever front end calls.

Who may change what (documented in docs/park/registry.md):

* park_admin creates, changes and deletes any enterprise and creates projects;
* enterprise_admin changes only its own enterprise, and not the fields that an
  authority or the park decides (``ADMIN_ONLY_FIELDS``);
* everyone else reads what ``Principal.can_read_enterprise`` allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.auth.tenancy import scoped
from nevport.errors import Conflict, Forbidden, InvalidInput, NotFound
from nevport.park import listing
from nevport.park.models import Enterprise, OemPlant, Project, Site, VehicleMaker
from nevport.park.overview import park_overview
from nevport.park.schemas import (
    EnterpriseCreate,
    EnterpriseOut,
    EnterpriseQuery,
    EnterpriseSummary,
    EnterpriseUpdate,
    MakerRef,
    OemPlantOut,
    Page,
    ProjectCreate,
    ProjectOut,
    ProjectQuery,
    SiteIn,
    SiteOut,
    VehicleMakerOut,
)

__all__ = [
    "ADMIN_ONLY_FIELDS",
    "create_enterprise",
    "create_project",
    "delete_enterprise",
    "get_enterprise",
    "list_enterprises",
    "list_oem_plants",
    "list_projects",
    "list_sites",
    "list_vehicle_makers",
    "park_overview",
    "update_enterprise",
]

# Set by an authority or by the park, not by the firm itself: the licence (name_zh,
# credit_code), the statistics bureau (above_designated_size), the green-factory
# certification, the environmental watch list, the park's sector map, the demo marker.
ADMIN_ONLY_FIELDS = frozenset(
    {
        "name_zh",
        "credit_code",
        "sector",
        "above_designated_size",
        "green_level",
        "key_power_user",
        "synthetic",
    }
)
ENTERPRISE_SORTS: listing.Columns = {
    name: getattr(Enterprise, name)
    for name in (
        "id",
        "name_zh",
        "name_en",
        "credit_code",
        "sector",
        "output_value_yuan",
        "patents",
        "employees",
        "created_at",
        "updated_at",
    )
}
PROJECT_SORTS: listing.Columns = {
    name: getattr(Project, name)
    for name in (
        "id",
        "name_zh",
        "name_en",
        "investment_yuan",
        "expected_output_yuan",
        "status",
        "signed_on",
        "production_start",
    )
}
UNIQUE_ENTERPRISE_FIELDS = ("name_zh", "name_en", "credit_code")


def _require_park_admin(principal: Principal, action: str) -> None:
    if principal.role is not Role.park_admin:
        raise Forbidden(f"role {principal.role.value} may not {action}; needs park_admin")


def _load(session: Session, enterprise_id: int) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(f"enterprise {enterprise_id} does not exist", field="enterprise_id")
    return enterprise


def _readable(session: Session, principal: Principal, enterprise_id: int) -> Enterprise:
    # Refuse before looking the row up, so ids outside one's scope cannot be probed.
    if not principal.can_read_enterprise(enterprise_id):
        raise Forbidden(f"enterprise {enterprise_id} is outside the scope of your account")
    return _load(session, enterprise_id)


def _out(enterprise: Enterprise) -> EnterpriseOut:
    return EnterpriseOut.model_validate(enterprise)


# --- enterprises: reading ------------------------------------------------------------


SUMMARY_COLUMNS = tuple(getattr(Enterprise, name) for name in EnterpriseSummary.model_fields)


def list_enterprises(
    session: Session, principal: Principal, query: EnterpriseQuery | None = None
) -> Page[EnterpriseSummary]:
    """One page of the enterprises ``principal`` may see, filtered and sorted.

    Rows are read as plain columns, not ORM objects: lists are the hot path, and a page
    of summaries costs a fraction of loading each firm with its sites and customers.
    """
    query = query or EnterpriseQuery()
    stmt = scoped(select(*SUMMARY_COLUMNS), Enterprise.id, principal)
    if query.q:
        columns = (Enterprise.name_zh, Enterprise.name_en, Enterprise.credit_code)
        stmt = stmt.where(listing.contains_any(query.q, columns))
    for name in ("sector", "green_level", "above_designated_size", "synthetic"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(Enterprise, name) == value)
    total = listing.count(session, stmt)
    stmt = listing.order_by(stmt, session, query.sort, ENTERPRISE_SORTS, Enterprise.id)
    rows = session.execute(stmt.limit(query.limit).offset(query.offset))
    items = [EnterpriseSummary.model_validate(row, from_attributes=True) for row in rows]
    return Page(items=items, total=total, limit=query.limit, offset=query.offset)


def get_enterprise(session: Session, principal: Principal, enterprise_id: int) -> EnterpriseOut:
    return _out(_readable(session, principal, enterprise_id))


def list_sites(session: Session, principal: Principal, enterprise_id: int) -> list[SiteOut]:
    enterprise = _readable(session, principal, enterprise_id)
    return [SiteOut.model_validate(site) for site in enterprise.sites]


# --- enterprises: writing ------------------------------------------------------------


def _refuse_duplicates(session: Session, values: dict[str, Any], own_id: int | None) -> None:
    for name in UNIQUE_ENTERPRISE_FIELDS:
        if name not in values:
            continue
        column: InstrumentedAttribute[Any] = getattr(Enterprise, name)
        stmt = select(Enterprise.id).where(column == values[name])
        if own_id is not None:
            stmt = stmt.where(Enterprise.id != own_id)
        if session.scalar(stmt) is not None:
            raise Conflict(f"another enterprise already has {name} {values[name]!r}", field=name)


def resolve_makers(session: Session, refs: Sequence[MakerRef]) -> list[VehicleMaker]:
    """Vehicle makers named by id or by name_zh / name_en, in the order given, once each."""
    makers: dict[int, VehicleMaker] = {}
    for index, ref in enumerate(refs):
        if isinstance(ref, int):
            maker = session.get(VehicleMaker, ref)
        else:
            maker = session.scalar(
                select(VehicleMaker).where(
                    (VehicleMaker.name_zh == ref) | (VehicleMaker.name_en == ref)
                )
            )
        if maker is None:
            raise InvalidInput(f"no vehicle maker {ref!r}", field=f"customers.{index}")
        makers.setdefault(maker.id, maker)
    return list(makers.values())


def _apply_sites(enterprise: Enterprise, sites: Sequence[SiteIn], user_id: int | None) -> None:
    # Sites are matched by name so that a kept site keeps its id: meters and lines of
    # later systems point at site ids.
    current = {site.name: site for site in enterprise.sites}
    wanted: list[Site] = []
    for data in sites:
        site = current.get(data.name)
        if site is None:
            site = Site(created_by_id=user_id)
        for key, value in data.model_dump().items():
            setattr(site, key, value)
        site.updated_by_id = user_id
        wanted.append(site)
    enterprise.sites = wanted


def _flush(session: Session) -> None:
    """Flush inside a savepoint; a uniqueness race becomes Conflict and nothing is kept."""
    savepoint = session.begin_nested()
    try:
        session.flush()
    except IntegrityError as exc:
        savepoint.rollback()
        raise Conflict(f"the change breaks a uniqueness rule: {exc.orig}") from None
    savepoint.commit()


def build_enterprise(session: Session, data: EnterpriseCreate, user_id: int | None) -> Enterprise:
    """Insert ``data`` as a new enterprise; no role check (the seed loader uses it too)."""
    values = data.model_dump(exclude={"sites", "customers"})
    _refuse_duplicates(session, values, None)
    customers = resolve_makers(session, data.customers)
    enterprise = Enterprise(**values, created_by_id=user_id, updated_by_id=user_id)
    enterprise.customers = customers
    _apply_sites(enterprise, data.sites, user_id)
    session.add(enterprise)
    _flush(session)
    return enterprise


def create_enterprise(
    session: Session, principal: Principal, data: EnterpriseCreate
) -> EnterpriseOut:
    _require_park_admin(principal, "create enterprises")
    enterprise = build_enterprise(session, data, principal.user_id)
    session.refresh(enterprise)  # lists in their stored order, as every later read shows them
    return _out(enterprise)


def _check_update_rights(
    principal: Principal, enterprise: Enterprise, changes: dict[str, Any]
) -> None:
    if not principal.can_write_enterprise(enterprise.id):
        raise Forbidden(f"role {principal.role.value} may not change enterprise {enterprise.id}")
    if principal.role is Role.park_admin:
        return
    for name in sorted(ADMIN_ONLY_FIELDS & changes.keys()):
        if changes[name] != getattr(enterprise, name):
            raise Forbidden(f"only park_admin may change {name}", field=name)


def update_enterprise(
    session: Session, principal: Principal, enterprise_id: int, data: EnterpriseUpdate
) -> EnterpriseOut:
    """Apply the fields the caller sent; everything is checked before anything changes."""
    enterprise = _readable(session, principal, enterprise_id)
    changes = data.model_dump(include=data.model_fields_set, exclude={"sites", "customers"})
    _check_update_rights(principal, enterprise, changes)
    _refuse_duplicates(session, changes, enterprise.id)
    customers = None if data.customers is None else resolve_makers(session, data.customers)
    for key, value in changes.items():
        setattr(enterprise, key, value)
    if data.sites is not None:
        _apply_sites(enterprise, data.sites, principal.user_id)
    if customers is not None:
        enterprise.customers = customers
    enterprise.updated_by_id = principal.user_id  # also moves updated_at when only lists changed
    _flush(session)
    session.refresh(enterprise)
    return _out(enterprise)


def delete_enterprise(session: Session, principal: Principal, enterprise_id: int) -> None:
    """Remove an enterprise with its sites; refused while user accounts are bound to it."""
    _require_park_admin(principal, "delete enterprises")
    enterprise = _load(session, enterprise_id)
    users = session.scalars(select(User.username).where(User.enterprise_id == enterprise_id)).all()
    if users:
        raise Conflict(
            f"enterprise {enterprise_id} still has {len(users)} user account(s): "
            f"{', '.join(sorted(users))}; delete or move them first",
            field="enterprise_id",
        )
    session.delete(enterprise)
    session.flush()


# --- vehicle makers and their plants ---------------------------------------------------


def list_vehicle_makers(session: Session) -> list[VehicleMakerOut]:
    stmt = select(VehicleMaker).options(selectinload(VehicleMaker.plants)).order_by(VehicleMaker.id)
    return [VehicleMakerOut.model_validate(maker) for maker in session.scalars(stmt)]


def list_oem_plants(session: Session, province: str | None = None) -> list[OemPlantOut]:
    stmt = select(OemPlant).order_by(OemPlant.id)
    if province:
        stmt = stmt.where(OemPlant.province == province)
    return [OemPlantOut.model_validate(plant) for plant in session.scalars(stmt)]


# --- projects ------------------------------------------------------------------------


def _project_query(principal: Principal, query: ProjectQuery) -> Select[Any]:
    stmt = scoped(select(Project), Project.enterprise_id, principal)
    if query.q:
        stmt = stmt.where(listing.contains_any(query.q, (Project.name_zh, Project.name_en)))
    for name in ("status", "enterprise_id", "synthetic"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(Project, name) == value)
    return stmt


def list_projects(
    session: Session, principal: Principal, query: ProjectQuery | None = None
) -> Page[ProjectOut]:
    """Projects of the enterprises ``principal`` may see (all of them for the park's roles)."""
    query = query or ProjectQuery()
    stmt = _project_query(principal, query)
    total = listing.count(session, stmt)
    stmt = listing.order_by(stmt, session, query.sort, PROJECT_SORTS, Project.id)
    rows = session.scalars(stmt.limit(query.limit).offset(query.offset))
    items = [ProjectOut.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=query.limit, offset=query.offset)


def build_project(session: Session, data: ProjectCreate, user_id: int | None) -> Project:
    """Insert ``data`` as a new project; no role check (the seed loader uses it too)."""
    if data.enterprise_id is not None:
        _load(session, data.enterprise_id)
    for name in ("name_zh", "name_en"):
        value = getattr(data, name)
        if session.scalar(select(Project.id).where(getattr(Project, name) == value)) is not None:
            raise Conflict(f"another project already has {name} {value!r}", field=name)
    project = Project(**data.model_dump(), created_by_id=user_id, updated_by_id=user_id)
    session.add(project)
    _flush(session)
    return project


def create_project(session: Session, principal: Principal, data: ProjectCreate) -> ProjectOut:
    _require_park_admin(principal, "create projects")
    return ProjectOut.model_validate(build_project(session, data, principal.user_id))

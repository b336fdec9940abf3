"""Control routes: enterprise_admin of the enterprise alone may configure points and
request, confirm or cancel commands (park staff included: the plant owns its machines);
the enterprise's readers see points, commands and their audit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, status

from nevport.auth.deps import CurrentPrincipal, DbSession, SettingsDep, require_roles
from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.energy import service as energy
from nevport.energy.analysis.api import DEFAULT_TARIFF, TariffName
from nevport.energy.analysis.service import active_energy_channel
from nevport.energy.analysis.tariff import load_tariff
from nevport.energy.control import schedules, service
from nevport.energy.control.schemas import (
    CommandCreate,
    CommandOut,
    Confirm,
    InterlockCreate,
    LockIn,
    PointCreate,
    PointOut,
    ScheduleCreate,
    ScheduleOut,
    SuggestionOut,
    TriggerCreate,
)
from nevport.energy.control.shifting import suggest
from nevport.energy.intervals import Resolution
from nevport.errors import InvalidInput

router = APIRouter(prefix="/api/enterprises/{enterprise_id}/energy", tags=["energy control"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Admin = Annotated[Principal, require_roles(Role.enterprise_admin)]
CONTROL = "/control"


@router.get(f"{CONTROL}/points", response_model=list[PointOut])
def list_points(enterprise_id: Id, _: CurrentPrincipal, session: DbSession) -> list[PointOut]:
    return service.list_points(session, enterprise_id)


@router.post(f"{CONTROL}/points", response_model=PointOut, status_code=status.HTTP_201_CREATED)
def create_point(
    enterprise_id: Id, body: PointCreate, admin: Admin, session: DbSession
) -> PointOut:
    return service.create_point(session, enterprise_id, body, admin.user_id)


@router.patch(f"{CONTROL}/points/{{point_id}}", response_model=PointOut)
def lock_point(
    enterprise_id: Id, point_id: Id, body: LockIn, admin: Admin, session: DbSession
) -> PointOut:
    return service.set_locked(session, enterprise_id, point_id, body.locked, admin.user_id)


@router.post(f"{CONTROL}/points/{{point_id}}/interlocks", response_model=PointOut)
def add_interlock(
    enterprise_id: Id, point_id: Id, body: InterlockCreate, _: Admin, session: DbSession
) -> PointOut:
    return service.add_interlock(session, enterprise_id, point_id, body)


@router.post(f"{CONTROL}/points/{{point_id}}/triggers", status_code=status.HTTP_204_NO_CONTENT)
def add_trigger(
    enterprise_id: Id, point_id: Id, body: TriggerCreate, _: Admin, session: DbSession
) -> None:
    service.add_trigger(session, enterprise_id, point_id, body)


@router.get(f"{CONTROL}/commands", response_model=list[CommandOut])
def list_commands(
    enterprise_id: Id,
    _: CurrentPrincipal,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CommandOut]:
    return service.list_commands(session, enterprise_id, limit)


@router.post(f"{CONTROL}/commands", response_model=CommandOut, status_code=status.HTTP_201_CREATED)
def request_command(
    enterprise_id: Id, body: CommandCreate, admin: Admin, session: DbSession
) -> CommandOut:
    """Dry run unless ``dry_run`` is false; a real write then waits for /confirm."""
    return service.request(session, enterprise_id, body, admin.user_id, datetime.now(UTC))


@router.post(f"{CONTROL}/commands/{{command_id}}/confirm", response_model=CommandOut)
def confirm_command(
    enterprise_id: Id, command_id: Id, body: Confirm, admin: Admin, session: DbSession
) -> CommandOut:
    return service.confirm(
        session, enterprise_id, command_id, body, admin.user_id, datetime.now(UTC)
    )


@router.post(f"{CONTROL}/commands/{{command_id}}/cancel", response_model=CommandOut)
def cancel_command(
    enterprise_id: Id, command_id: Id, admin: Admin, session: DbSession
) -> CommandOut:
    return service.cancel(session, enterprise_id, command_id, admin.user_id)


@router.get(f"{CONTROL}/schedules", response_model=list[ScheduleOut])
def list_schedules(enterprise_id: Id, _: CurrentPrincipal, session: DbSession) -> list[ScheduleOut]:
    return schedules.list_all(session, enterprise_id)


@router.post(
    f"{CONTROL}/schedules", response_model=ScheduleOut, status_code=status.HTTP_201_CREATED
)
def create_schedule(
    enterprise_id: Id, body: ScheduleCreate, admin: Admin, session: DbSession
) -> ScheduleOut:
    """A weekday write at a local time, confirmed now by repeating point and value."""
    return schedules.create(session, enterprise_id, body, admin.user_id)


@router.delete(f"{CONTROL}/schedules/{{schedule_id}}", status_code=status.HTTP_204_NO_CONTENT)
def delete_schedule(enterprise_id: Id, schedule_id: Id, _: Admin, session: DbSession) -> None:
    schedules.delete(session, enterprise_id, schedule_id)


@router.get("/load-shifting", response_model=SuggestionOut)
def load_shifting(
    enterprise_id: Id,
    channel_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
    start: datetime,
    end: datetime,
    session: DbSession,
    settings: SettingsDep,
    shiftable_fraction: Annotated[Decimal, Query(gt=0, le=1)] = Decimal("0.3"),
    tariff: TariffName = DEFAULT_TARIFF,
) -> SuggestionOut:
    """Yuan a month saved by moving the flexible share of peak energy into the valley."""
    zone = ZoneInfo(settings.timezone)
    active_energy_channel(session, enterprise_id, channel_id)
    chosen = load_tariff(tariff)
    series = energy.energy_series(
        session, enterprise_id, channel_id, start, end, Resolution.quarter, zone
    )
    try:
        result = suggest(
            [(p.start, p.value) for p in series.points], chosen, zone, shiftable_fraction
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    return SuggestionOut(
        channel_id=channel_id,
        tariff=chosen.name,
        days=result.days,
        shiftable_fraction=shiftable_fraction,
        shift_kwh_per_day={p.value: kwh for p, kwh in result.shift_kwh_per_day.items()},
        saving_yuan_per_day=result.saving_yuan_per_day,
        saving_yuan_per_month=result.saving_yuan_per_month,
        valley_headroom_kwh_per_day=result.valley_headroom_kwh_per_day,
        limited_by_headroom=result.limited_by_headroom,
    )

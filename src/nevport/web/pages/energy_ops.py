"""Energy alarm and control pages of an enterprise, and their form posts.

Every post calls the same ``nevport.energy.alarms`` or ``nevport.energy.control``
function as the API, with the API's rule of who may do it: an alarm is acknowledged by
the enterprise's own staff or park_admin; control commands are requested, confirmed and
cancelled by the enterprise's enterprise_admin alone. The CSRF token is checked for
every cookie-borne post by the auth dependency; on success the browser goes back (303).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.auth.deps import CurrentPrincipal, DbSession, require_roles
from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.energy import service as energy
from nevport.energy.alarms import service as alarms
from nevport.energy.alarms.models import AlarmState
from nevport.energy.control import service as control
from nevport.energy.control.models import CommandStatus
from nevport.energy.control.schemas import CommandCreate, Confirm
from nevport.errors import Forbidden, InvalidInput
from nevport.park import service as park
from nevport.web.pages.render import local_path, render, translator

router = APIRouter(include_in_schema=False)
EnterpriseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Admin = Annotated[Principal, require_roles(Role.enterprise_admin)]
Next = Annotated[str, Form(alias="next", max_length=2000)]
BASE = "/enterprises/{enterprise_id}/energy"
COMMANDS_SHOWN = 100


def may_acknowledge(principal: Principal, enterprise_id: int) -> bool:
    own = principal.role.is_enterprise_role and principal.enterprise_id == enterprise_id
    return own or principal.role is Role.park_admin


def may_command(principal: Principal, enterprise_id: int) -> bool:
    return principal.role is Role.enterprise_admin and principal.enterprise_id == enterprise_id


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {int(i): str(name) for i, name in rows}


def _state(text: str) -> AlarmState | None:
    if not text:
        return None
    try:
        return AlarmState(text)
    except ValueError:
        names = ", ".join(s.value for s in AlarmState)
        raise InvalidInput(f"state {text!r} is not one of {names}", field="state") from None


def _enterprise_name(request: Request, session: Session, principal: Principal, eid: int) -> str:
    enterprise = park.get_enterprise(session, principal, eid)
    return translator(request).pick(enterprise.name_zh, enterprise.name_en)


@router.get(f"{BASE}/alarms")
def alarms_page(
    request: Request,
    enterprise_id: EnterpriseId,
    principal: CurrentPrincipal,
    session: DbSession,
    state: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The enterprise's alarms, newest first, each with its history of transitions."""
    name = _enterprise_name(request, session, principal, enterprise_id)
    shown = alarms.list_alarms(session, enterprise_id, _state(state))
    channels = {c.id: c for c in energy.find_channels(session, enterprise_id)}
    users = _names(session, (h.user_id for a in shown for h in a.history))
    context = {
        "enterprise_id": enterprise_id,
        "name": name,
        "alarms": shown,
        "state": state,
        "states": [s.value for s in AlarmState],
        "channels": channels,
        "users": users,
        "may_acknowledge": may_acknowledge(principal, enterprise_id),
        "zone": ZoneInfo(request.app.state.settings.timezone),
    }
    return render(request, "energy_alarms.html", context, principal=principal)


@router.post(f"{BASE}/alarms/{{alarm_id}}/acknowledge")
def acknowledge(
    enterprise_id: EnterpriseId,
    alarm_id: Id,
    principal: CurrentPrincipal,
    session: DbSession,
    note: Annotated[str, Form(max_length=500)] = "",
    next_path: Next = "",
) -> RedirectResponse:
    if not may_acknowledge(principal, enterprise_id):
        raise Forbidden(
            f"role {principal.role.value} may not acknowledge enterprise {enterprise_id}'s alarms"
        )
    alarms.acknowledge(session, enterprise_id, alarm_id, principal.user_id, note.strip())
    return _back(next_path, f"/enterprises/{enterprise_id}/energy/alarms")


@router.get(f"{BASE}/control")
def control_page(
    request: Request,
    enterprise_id: EnterpriseId,
    principal: CurrentPrincipal,
    session: DbSession,
) -> Response:
    """Control points with their interlocks, and the latest commands with their audit."""
    name = _enterprise_name(request, session, principal, enterprise_id)
    commands = control.list_commands(session, enterprise_id, COMMANDS_SHOWN)
    ids = [c.requested_by_id for c in commands] + [c.confirmed_by_id for c in commands]
    ids += [a.user_id for c in commands for a in c.audit]
    context = {
        "enterprise_id": enterprise_id,
        "name": name,
        "points": control.list_points(session, enterprise_id),
        "commands": commands,
        "users": _names(session, ids),
        "awaiting": CommandStatus.awaiting_confirmation,
        "pending": (CommandStatus.awaiting_confirmation, CommandStatus.scheduled),
        "may_command": may_command(principal, enterprise_id),
        "zone": ZoneInfo(request.app.state.settings.timezone),
    }
    return render(request, "energy_control.html", context, principal=principal)


def _back(next_path: str, fallback: str) -> RedirectResponse:
    return RedirectResponse(local_path(next_path, fallback), 303)


def _control_back(next_path: str, enterprise_id: int) -> RedirectResponse:
    return _back(next_path, f"/enterprises/{enterprise_id}/energy/control")


@router.post(f"{BASE}/control/commands")
def request_command(
    enterprise_id: EnterpriseId,
    admin: Admin,
    session: DbSession,
    point_code: Annotated[str, Form(max_length=64)],
    value: Annotated[int, Form(ge=0, le=65535)],
    mode: Annotated[str, Form(max_length=8)] = "dry_run",
    next_path: Next = "",
) -> RedirectResponse:
    """A dry run unless ``mode`` is ``write``; a write then waits for its confirmation."""
    if mode not in ("dry_run", "write"):
        raise InvalidInput(f"mode must be dry_run or write, got {mode!r}", field="mode")
    try:
        body = CommandCreate(point_code=point_code, value=value, dry_run=mode != "write")
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"], field="point_code") from None
    control.request(session, enterprise_id, body, admin.user_id, datetime.now(UTC))
    return _control_back(next_path, enterprise_id)


@router.post(f"{BASE}/control/commands/{{command_id}}/confirm")
def confirm_command(
    enterprise_id: EnterpriseId,
    command_id: Id,
    admin: Admin,
    session: DbSession,
    point_code: Annotated[str, Form(max_length=64)],
    value: Annotated[int, Form(ge=0, le=65535)],
    next_path: Next = "",
) -> RedirectResponse:
    """Confirmation repeats the point and the value, as the API's does."""
    try:
        body = Confirm(point_code=point_code, value=value)
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"], field="point_code") from None
    control.confirm(session, enterprise_id, command_id, body, admin.user_id, datetime.now(UTC))
    return _control_back(next_path, enterprise_id)


@router.post(f"{BASE}/control/commands/{{command_id}}/cancel")
def cancel_command(
    enterprise_id: EnterpriseId,
    command_id: Id,
    admin: Admin,
    session: DbSession,
    next_path: Next = "",
) -> RedirectResponse:
    control.cancel(session, enterprise_id, command_id, admin.user_id)
    return _control_back(next_path, enterprise_id)

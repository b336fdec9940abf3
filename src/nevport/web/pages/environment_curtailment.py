"""Heavy-pollution alerts and curtailment pages, with their forms.

``/environment/alerts``: every signed-in user sees the park's alerts; a regulator or park
admin declares and lifts them. ``/enterprises/{id}/environment/curtailment``: the
enterprise's measures per alert level (its admin or a park admin edits them; a
regulator only reads) and its staggered-production periods (ordered by a regulator or
park admin). Every permission is ``nevport.environment.curtailment``'s, so the pages
allow exactly what the API allows; each form posts with the session's CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from nevport.auth.deps import CurrentPrincipal, DbSession
from nevport.auth.service import Principal
from nevport.environment import curtailment, service
from nevport.environment.access import may_configure, require_reader
from nevport.environment.models import AlertLevel
from nevport.environment.schemas import AlertCreate, AlertOut, MeasureIn, StaggeredCreate
from nevport.environment.source import SITE_ZONE
from nevport.environment.topology import FacilityKind
from nevport.errors import InvalidInput
from nevport.park import service as park
from nevport.web.pages.environment_forms import Next, codes_of, local_time
from nevport.web.pages.render import local_path, render, translator

router = APIRouter(include_in_schema=False)
BASE = "/enterprises/{enterprise_id}/environment"
Stamp = Annotated[str, Form(max_length=40)]
Text = Annotated[str, Form(max_length=2000)]


def _state(alert: AlertOut, now: datetime) -> str:
    if alert.end_at <= now:
        return "ended"
    return "active" if alert.start_at <= now else "upcoming"


def in_force(alerts: list[AlertOut], now: datetime) -> AlertOut | None:
    """The strictest alert in force at ``now``, if any."""
    active = [a for a in alerts if a.start_at <= now < a.end_at]
    return max(active, key=lambda a: a.level.rank, default=None)


def _may_manage(principal: Principal) -> bool:
    return principal.role in curtailment.MANAGERS


def _checked(build: Any, field: str) -> Any:
    """A pydantic body from form fields, its first complaint as InvalidInput."""
    try:
        return build()
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"], field=field) from None


@router.get("/environment/alerts")
def alerts_page(request: Request, principal: CurrentPrincipal, session: DbSession) -> Response:
    now = datetime.now(UTC)
    alerts = curtailment.list_alerts(session)
    context = {
        "zone": SITE_ZONE,
        "alerts": alerts,
        "states": {a.id: _state(a, now) for a in alerts},
        "levels": [level.value for level in AlertLevel],
        "may_manage": _may_manage(principal),
        "own": principal.enterprise_id if principal.role.is_enterprise_role else None,
    }
    return render(request, "env_alerts.html", context, principal=principal)


@router.post("/environment/alerts")
def declare_alert(
    principal: CurrentPrincipal,
    session: DbSession,
    level: Annotated[str, Form(max_length=16)],
    start_at: Stamp,
    end_at: Stamp,
    reason: Text = "",
) -> RedirectResponse:
    body = _checked(
        lambda: AlertCreate(
            level=level,
            start_at=local_time(start_at, "start_at"),
            end_at=local_time(end_at, "end_at"),
            reason=reason,
        ),
        "alert",
    )
    curtailment.declare_alert(session, principal, body)
    return RedirectResponse("/environment/alerts", 303)


@router.post("/environment/alerts/{alert_id}/lift")
def lift_alert(alert_id: int, principal: CurrentPrincipal, session: DbSession) -> RedirectResponse:
    curtailment.lift_alert(session, principal, alert_id)
    return RedirectResponse("/environment/alerts", 303)


@router.get(f"{BASE}/curtailment")
def curtailment_page(
    request: Request, enterprise_id: int, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """The alert in force, the measures it applies, every level's measure, staggered periods."""
    require_reader(principal, enterprise_id)
    t, now = translator(request), datetime.now(UTC)
    enterprise = park.get_enterprise(session, principal, enterprise_id)
    measures = {m.level: m for m in curtailment.list_measures(session, principal, enterprise_id)}
    active = in_force(curtailment.list_alerts(session, now), now)
    facilities = service.list_facilities(session, principal, enterprise_id)
    context = {
        "zone": SITE_ZONE,
        "enterprise_id": enterprise_id,
        "name": t.pick(enterprise.name_zh, enterprise.name_en),
        "active": active,
        "levels": list(AlertLevel),
        "measures": measures,
        "applies": {lv for lv in AlertLevel if active is not None and lv.rank <= active.level.rank},
        "periods": curtailment.list_staggered(session, principal, enterprise_id),
        "production": [f.code for f in facilities if f.kind is FacilityKind.production],
        "may_edit": may_configure(principal, enterprise_id),
        "may_manage": _may_manage(principal),
    }
    return render(request, "env_curtailment.html", context, principal=principal)


def _here(enterprise_id: int, next_path: str) -> RedirectResponse:
    fallback = f"/enterprises/{enterprise_id}/environment/curtailment"
    return RedirectResponse(local_path(next_path, fallback), 303)


@router.post(f"{BASE}/curtailment-measures/{{level}}")
def set_measure(
    enterprise_id: int,
    level: AlertLevel,
    principal: CurrentPrincipal,
    session: DbSession,
    facilities: Text = "",
    measure: Text = "",
    next_path: Next = "",
) -> RedirectResponse:
    body = _checked(
        lambda: MeasureIn(facility_codes=codes_of(facilities), measure=measure), "measure"
    )
    curtailment.set_measure(session, principal, enterprise_id, level, body)
    return _here(enterprise_id, next_path)


@router.post(f"{BASE}/staggered-periods")
def add_staggered(
    enterprise_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    start_at: Stamp,
    end_at: Stamp,
    facilities: Text = "",
    reason: Text = "",
    next_path: Next = "",
) -> RedirectResponse:
    body = _checked(
        lambda: StaggeredCreate(
            start_at=local_time(start_at, "start_at"),
            end_at=local_time(end_at, "end_at"),
            facility_codes=codes_of(facilities),
            reason=reason,
        ),
        "staggered_period",
    )
    curtailment.add_staggered(session, principal, enterprise_id, body)
    return _here(enterprise_id, next_path)


@router.post(f"{BASE}/staggered-periods/{{period_id}}/delete")
def delete_staggered(
    enterprise_id: int,
    period_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    next_path: Next = "",
) -> RedirectResponse:
    curtailment.delete_staggered(session, principal, enterprise_id, period_id)
    return _here(enterprise_id, next_path)

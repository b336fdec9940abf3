"""Environmental supervision pages: the regulator dashboard, events, pre-reports, the
monthly compliance report, and each enterprise's own page with its linkage charts.

Regulators and park admins see every supervised enterprise; an enterprise's users are
sent to their own page under ``/enterprises/{enterprise_id}/environment``, which the
app-wide tenancy guard covers. Data and every permission come from
``nevport.environment``; the forms (``environment_forms``) post with the CSRF token.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from nevport.auth.deps import CurrentPrincipal, DbSession
from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.environment import curtailment, dashboard, lifecycle, report, resources, service
from nevport.environment.access import require_reader
from nevport.environment.events import Grade
from nevport.environment.models import Decision, EventStatus
from nevport.environment.source import SITE_ZONE
from nevport.errors import Forbidden, InvalidInput
from nevport.park import service as park
from nevport.web.i18n import Translator
from nevport.web.pages import environment_curtailment
from nevport.web.pages.render import render, secure_headers, translator

router = APIRouter(include_in_schema=False)
router.include_router(environment_curtailment.router)  # alerts and curtailment pages
SUPERVISORS = frozenset({Role.regulator, Role.park_admin})
WINDOW = timedelta(days=30)  # the dashboard's compliance window
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


def _supervisor(principal: Principal) -> None:
    if principal.role not in SUPERVISORS:
        raise Forbidden(f"role {principal.role.value} may not see the park-wide supervision")


def _page(
    request: Request, template: str, context: dict[str, Any], principal: Principal
) -> Response:
    """``render`` with the park's zone, in which every time on these pages is shown."""
    return render(request, template, {"zone": SITE_ZONE, **context}, principal=principal)


def _now() -> datetime:
    return datetime.now(UTC)


def percent(t: Translator, value: float | None) -> str:
    return "-" if value is None else f"{t.number(100 * value, 1)} %"


@router.get("/environment")
def dashboard_page(request: Request, principal: CurrentPrincipal, session: DbSession) -> Response:
    """Online rate, compliance, open events by grade, one row per supervised enterprise."""
    if principal.role.is_enterprise_role and principal.enterprise_id is not None:
        return RedirectResponse(f"/enterprises/{principal.enterprise_id}/environment", 303)
    _supervisor(principal)
    t, now = translator(request), _now()
    rows = dashboard.figures(session, principal, now - WINDOW, now, now)
    online = [r.online_rate for r in rows if r.online_rate is not None]
    compliance = [r.compliance_rate for r in rows if r.compliance_rate is not None]
    context = {
        "rows": rows,
        "names": [t.pick(r.name_zh, r.name_en) for r in rows],
        "open": dashboard.open_by_grade(session, principal),
        "online": percent(t, sum(online) / len(online) if online else None),
        "compliance": percent(t, sum(compliance) / len(compliance) if compliance else None),
        "percent": lambda value: percent(t, value),
        "month": now.astimezone(SITE_ZONE).strftime("%Y-%m"),
        "pending": len(service.list_pre_reports(session, principal, None, Decision.pending)),
    }
    return _page(request, "env_dashboard.html", context, principal)


@router.get("/environment/events")
def events_page(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    status: EventStatus | None = None,
    grade: Grade | None = None,
) -> Response:
    events = lifecycle.list_events(session, principal, None, status, grade, limit=500)
    context = {
        "events": events,
        "names": _names(request, session, principal, {e.enterprise_id for e in events}),
        "status": status.value if status else "",
        "grade": grade.value if grade else "",
        "statuses": [s.value for s in EventStatus],
        "grades": [g.value for g in Grade],
    }
    return _page(request, "env_events.html", context, principal)


def _names(
    request: Request, session: DbSession, principal: Principal, ids: set[int]
) -> dict[int, str]:
    t = translator(request)
    out = {}
    for enterprise_id in ids:
        enterprise = park.get_enterprise(session, principal, enterprise_id)
        out[enterprise_id] = t.pick(enterprise.name_zh, enterprise.name_en)
    return out


@router.get("/environment/pre-reports")
def pre_reports_page(
    request: Request, principal: CurrentPrincipal, session: DbSession, status: str = "pending"
) -> Response:
    """Pre-reports to decide (a regulator) or to follow (others)."""
    wanted = Decision(status) if status in Decision.__members__ else None
    reports = service.list_pre_reports(session, principal, None, wanted)
    context = {
        "reports": reports,
        "names": _names(request, session, principal, {r.enterprise_id for r in reports}),
        "status": status,
        "may_decide": principal.role is Role.regulator,
    }
    return _page(request, "env_pre_reports.html", context, principal)


def _report_rows(
    session: DbSession, principal: Principal, month: str
) -> tuple[list[dashboard.EnterpriseFigures], datetime, datetime]:
    start, end = dashboard.month_span(month)
    return dashboard.figures(session, principal, start, end, _now()), start, end


@router.get("/environment/report")
def report_page(
    request: Request, principal: CurrentPrincipal, session: DbSession, month: Month
) -> Response:
    """The monthly compliance report of every enterprise the caller may see."""
    t = translator(request)
    rows, start, _ = _report_rows(session, principal, month)
    context = {
        "rows": rows,
        "names": [t.pick(r.name_zh, r.name_en) for r in rows],
        "month": month,
        "previous": (start - timedelta(days=1)).strftime("%Y-%m"),
        "following": (start + timedelta(days=32)).strftime("%Y-%m"),
        "percent": lambda value: percent(t, value),
        "columns": report.COLUMNS,
    }
    return _page(request, "env_report.html", context, principal)


@router.get("/environment/report.xlsx")
def report_workbook(
    request: Request, principal: CurrentPrincipal, session: DbSession, month: Month
) -> Response:
    t = translator(request)
    rows, _, _ = _report_rows(session, principal, month)
    headers = {column: t(f"env.report.col.{column}") for column in report.COLUMNS}
    names = [t.pick(r.name_zh, r.name_en) for r in rows]
    body = report.workbook(t("env.report.title_month", month=month), headers, rows, names)
    response = Response(body, media_type=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="compliance-{month}.xlsx"'
    secure_headers(response)
    return response


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"day {text!r} is not YYYY-MM-DD", field="day") from None


@router.get("/enterprises/{enterprise_id}/environment")
def enterprise_page(
    request: Request,
    enterprise_id: int,
    principal: CurrentPrincipal,
    session: DbSession,
    day: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """One enterprise: linkage charts of a day, its events with actions, its pre-reports."""
    require_reader(principal, enterprise_id)
    t = translator(request)
    today = _now().astimezone(SITE_ZONE).date()
    shown = _day(day) if day else today
    enterprise = park.get_enterprise(session, principal, enterprise_id)
    series = dashboard.linkage(session, principal, enterprise_id, shown)
    member = principal.role.is_enterprise_role and principal.enterprise_id == enterprise_id
    context: dict[str, Any] = {
        "enterprise_id": enterprise_id,
        "name": t.pick(enterprise.name_zh, enterprise.name_en),
        "day": shown.isoformat(),
        "previous": (shown - timedelta(days=1)).isoformat(),
        "following": (shown + timedelta(days=1)).isoformat() if shown < today else "",
        "charts": [_linkage_chart(t, i, s) for i, s in enumerate(series)],
        "events": lifecycle.list_events(session, principal, enterprise_id, limit=100),
        "reports": service.list_pre_reports(session, principal, enterprise_id),
        "facilities": service.list_facilities(session, principal, enterprise_id),
        "may_respond": member,
        "may_verify": principal.role is Role.regulator and not member,
        "may_report": member,
        "names": {enterprise_id: t.pick(enterprise.name_zh, enterprise.name_en)},
        "resources": resources.resources(
            session, principal, enterprise_id, _now() - WINDOW, _now()
        ),
        "resource_chart": _resource_chart(
            t, resources.daily(session, principal, enterprise_id, _now() - WINDOW, _now())
        ),
        "alert": environment_curtailment.in_force(curtailment.list_alerts(session, _now()), _now()),
        "percent": lambda value: percent(t, value),
    }
    return _page(request, "env_enterprise.html", context, principal)


def _resource_chart(t: Translator, days: list[resources.DayRatios]) -> dict[str, object]:
    """A ``line`` spec: each day's reuse and PV self-consumption ratios [%], gaps unknown."""

    def pct(values: list[float | None]) -> list[float | None]:
        return [None if v is None else round(100 * v, 1) for v in values]

    reuse = pct([d.reuse_ratio for d in days])
    pv = pct([d.pv_self_consumption for d in days])
    return {
        "id": "resources",
        "kind": "line",
        "title": t("env.resources.chart"),
        "labels": [d.day.strftime("%m-%d") for d in days],
        "series": [
            {"name": t("env.resources.reuse"), "values": reuse},
            {"name": t("env.resources.pv_self"), "values": pv},
        ],
        "unit": "%",
        "empty": all(v is None for v in [*reuse, *pv]),
    }


def _linkage_chart(t: Translator, i: int, s: dashboard.LinkageSeries) -> dict[str, object]:
    """A ``line`` spec for app.js: production and treatment power [kW] over the day."""
    return {
        "id": f"link-{i}",
        "kind": "line",
        "title": t("env.linkage.title", production=s.production, treatment=s.treatment),
        "labels": s.labels,
        "series": [
            {"name": f"{s.production} ({t('env.kind.production')})", "values": s.production_kw},
            {"name": f"{s.treatment} ({t('env.kind.treatment')})", "values": s.treatment_kw},
        ],
        "unit": "kW",
        "empty": not any(v for v in [*s.production_kw, *s.treatment_kw]),
    }

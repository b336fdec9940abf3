"""Energy monitoring pages: an enterprise's live dashboard (power pushed by server-sent
events, load curves, heatmap, meter tree with balance, top consumers, device health),
its daily and monthly reports, and the park-wide view for park admins and regulators.

Enterprise pages live under ``/enterprises/{enterprise_id}/energy`` so the app-wide
tenancy guard covers them; the figures come from ``nevport.energy.monitor`` and
``nevport.energy.reports``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from nevport.auth.deps import CurrentPrincipal, DbSession
from nevport.auth.service import Principal
from nevport.db.engine import Database
from nevport.energy import monitor, reports
from nevport.errors import Forbidden, InvalidInput
from nevport.park import service as park
from nevport.web.i18n import Translator
from nevport.web.pages.render import render, secure_headers, translator

router = APIRouter(include_in_schema=False)
EnterpriseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
LIVE_PERIOD_S = 2.0  # [s] between two live power events
LIVE_MAX_EVENTS = 1800  # one hour of events per stream, then the browser reconnects
HEATMAP_DAYS = 7
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Literal["html", "xlsx"]


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def _day(text: str | None, zone: ZoneInfo) -> date:
    if not text:
        return datetime.now(UTC).astimezone(zone).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"day {text!r} is not YYYY-MM-DD", field="day") from None


def _kw(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


@router.get("/enterprises/{enterprise_id}/energy")
def dashboard(
    request: Request,
    enterprise_id: EnterpriseId,
    principal: CurrentPrincipal,
    session: DbSession,
    day: str | None = None,
) -> Response:
    t, zone = translator(request), _zone(request)
    enterprise = park.get_enterprise(session, principal, enterprise_id)
    shown = _day(day, zone)
    lo, hi = monitor.day_start(shown, zone), monitor.day_start(shown + timedelta(days=1), zone)
    now = datetime.now(UTC)
    curves = monitor.load_curves(session, enterprise_id, shown, zone)
    days, cells = monitor.heatmap(session, enterprise_id, shown, HEATMAP_DAYS, zone)
    live = monitor.live_power(session, enterprise_id, now)
    charts = {
        "curves": {
            "labels": curves.labels,
            "series": [
                {"name": t("energy.curves.today"), "values": curves.today},
                {"name": t("energy.curves.yesterday"), "values": curves.yesterday},
            ],
            "unit": "kW",
        },
        "heatmap": {"days": days, "cells": cells, "unit": "kWh"},
        "live": {
            "url": f"/enterprises/{enterprise_id}/energy/live",
            "name": t("energy.live.total"),
            "unit": "kW",
        },
    }
    context = {
        "enterprise_id": enterprise_id,
        "name": t.pick(enterprise.name_zh, enterprise.name_en),
        "day": shown.isoformat(),
        "previous": (shown - timedelta(days=1)).isoformat(),
        "following": (shown + timedelta(days=1)).isoformat() if hi <= now else None,
        "month": shown.strftime("%Y-%m"),
        "live_kw": _kw(live.total_kw),
        "tree": monitor.meter_tree(session, enterprise_id, lo, hi),
        "top": monitor.top_consumers(session, enterprise_id, lo, hi),
        "health": monitor.device_health(session, enterprise_id, now),
        "charts": charts,
        "zone": zone,
    }
    return render(request, "energy_dashboard.html", context, principal=principal)


async def _events(database: Database, enterprise_id: int, count: int) -> AsyncIterator[str]:
    # the browser reconnects after ``retry`` ms when a stream ends (EventSource)
    yield f"retry: {int(LIVE_PERIOD_S * 1000)}\n\n"
    for sent in range(count):
        if sent:
            await asyncio.sleep(LIVE_PERIOD_S)
        live = await asyncio.to_thread(_live, database, enterprise_id)
        yield f"event: power\ndata: {json.dumps(live)}\n\n"


def _live(database: Database, enterprise_id: int) -> dict[str, Any]:
    with database.session() as session:
        live = monitor.live_power(session, enterprise_id, datetime.now(UTC))
    return {
        "at": live.at.isoformat() if live.at else None,
        "total_kw": None if live.total_kw is None else float(live.total_kw),
        "meters": {code: float(kw) for code, kw in live.meters.items()},
    }


@router.get("/enterprises/{enterprise_id}/energy/live")
def live_stream(
    request: Request,
    enterprise_id: EnterpriseId,
    principal: CurrentPrincipal,
    events: Annotated[int, Query(ge=1, le=LIVE_MAX_EVENTS)] = LIVE_MAX_EVENTS,
) -> Response:
    """The enterprise's live power: server-sent events every LIVE_PERIOD_S for a client
    that asks for ``text/event-stream`` (EventSource does), else one JSON snapshot.

    A stream ends after ``events`` events (an hour by default) and the browser
    reconnects, so no connection is held forever.
    """
    if "text/event-stream" not in request.headers.get("accept", ""):
        response: Response = JSONResponse(_live(request.app.state.db, enterprise_id))
    else:
        response = StreamingResponse(
            _events(request.app.state.db, enterprise_id, events), media_type="text/event-stream"
        )
        response.headers["X-Accel-Buffering"] = "no"  # proxies must not hold events back
    secure_headers(response)
    return response


def _report_context(
    t: Translator, report: reports.Report, zone: ZoneInfo, period: str, when: str
) -> dict[str, Any]:
    return {
        "report": report,
        "period": period,
        "when": when,
        "peak_at": report.peak_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if report.peak_at
        else "-",
        "title": t(f"energy.report.title_{period}", when=when),
    }


def _xlsx(body: bytes, filename: str) -> Response:
    response = Response(body, media_type=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    secure_headers(response)
    return response


@router.get("/enterprises/{enterprise_id}/energy/report")
def enterprise_report(
    request: Request,
    enterprise_id: EnterpriseId,
    principal: CurrentPrincipal,
    session: DbSession,
    period: reports.Period = "day",
    when: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    format: Format = "html",  # noqa: A002 - the query parameter's public name
) -> Response:
    t, zone = translator(request), _zone(request)
    enterprise = park.get_enterprise(session, principal, enterprise_id)
    today = datetime.now(UTC).astimezone(zone).date()
    when = when or (today.isoformat() if period == "day" else today.strftime("%Y-%m"))
    report = reports.enterprise_report(session, enterprise_id, period, when, zone)
    name = t.pick(enterprise.name_zh, enterprise.name_en)
    context = _report_context(t, report, zone, period, when)
    if format == "xlsx":
        headers = [
            t(f"energy.report.col.{c}")
            for c in ("meter", "name", "level", "energy", "share", "loss")
        ]
        rows: list[list[object]] = [
            [
                r.code,
                "  " * r.depth + r.name,
                t(f"energy.level.{r.level}"),
                r.energy,
                r.share,
                r.loss,
            ]
            for r in report.rows
        ]
        rows.append([t("energy.report.total"), "", "", report.total, None, None])
        rows.append([t("energy.report.peak"), context["peak_at"], "", report.peak_kw, None, None])
        body = reports.workbook(f"{name} {context['title']}", headers, rows)
        return _xlsx(body, f"energy-{enterprise_id}-{when}.xlsx")
    context.update({"enterprise_id": enterprise_id, "name": name})
    return render(request, "energy_report.html", context, principal=principal)


def _park_reader(principal: Principal) -> None:
    if not principal.role.sees_all_enterprises:
        raise Forbidden(f"role {principal.role.value} may not see the park-wide energy view")


@router.get("/energy")
def park_page(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    period: reports.Period = "day",
    when: Annotated[str | None, Query(alias="date", max_length=10)] = None,
    format: Format = "html",  # noqa: A002 - the query parameter's public name
) -> Response:
    """Every metered enterprise's energy and peak demand for a day or month."""
    if principal.role.is_enterprise_role and principal.enterprise_id is not None:
        return RedirectResponse(f"/enterprises/{principal.enterprise_id}/energy", 303)
    _park_reader(principal)
    t, zone = translator(request), _zone(request)
    today = datetime.now(UTC).astimezone(zone).date()
    when = when or (today.isoformat() if period == "day" else today.strftime("%Y-%m"))
    ids = sorted(reports.enterprises_with_meters(session))
    rows = reports.park_report(session, ids, period, when, zone)
    names = {}
    for row in rows:
        enterprise = park.get_enterprise(session, principal, row.enterprise_id)
        names[row.enterprise_id] = t.pick(enterprise.name_zh, enterprise.name_en)
    known = [r.total for r in rows if r.total is not None]
    total = sum(known, Decimal(0)) if known else None
    title = t(f"energy.report.title_{period}", when=when)
    if format == "xlsx":
        headers = [
            t("enterprise.name"),
            t("energy.report.col.energy"),
            t("energy.report.peak"),
            t("energy.report.col.meters"),
        ]
        table: list[list[object]] = [
            [names[r.enterprise_id], r.total, r.peak_kw, r.meters] for r in rows
        ]
        table.append([t("energy.report.total"), total, None, None])
        body = reports.workbook(f"{t('energy.park.title')} {title}", headers, table)
        return _xlsx(body, f"energy-park-{when}.xlsx")
    context = {
        "rows": rows,
        "names": names,
        "total": total,
        "period": period,
        "when": when,
        "title": title,
    }
    return render(request, "energy_park.html", context, principal=principal)

"""Alerts, curtailment measures, staggered periods and the water / PV chart, through the
pages a signed-in browser uses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.environment import resources
from nevport.environment.models import AlertLevel, ResourceRole
from nevport.environment.schemas import ResourceChannelsIn
from nevport.environment.source import SITE_ZONE
from nevport.web.i18n import catalog

from ..environment import plant
from ..environment.test_resources import COUNTERS, ROLES, _meters

SignIn = Callable[[User], str]


def _firm(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> int:
    firm = make_enterprise(key_power_user=True)
    with database.session() as session:
        plant.build(session, firm.id, plant.admin(make_user(Role.park_admin).id))
    return int(firm.id)


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.S)
    assert match, f"nothing matches {pattern!r}"
    return match.group(1)


def _local(at: datetime) -> str:
    return at.astimezone(SITE_ZONE).strftime("%Y-%m-%dT%H:%M")


def test_alerts_are_declared_and_lifted_by_a_regulator_only(
    browser: TestClient,
    sign_in: SignIn,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    eid = _firm(database, make_enterprise, make_user)
    browser.cookies.set("lang", "en")
    now = datetime.now(UTC)
    alert = {
        "level": "orange",
        "start_at": _local(now - timedelta(hours=1)),
        "end_at": _local(now + timedelta(hours=5)),
        "reason": "PM2.5 forecast",
    }
    token = sign_in(make_user(Role.enterprise_admin, eid))
    assert (
        browser.post("/environment/alerts", data={**alert, "csrf_token": token}).status_code == 403
    )
    assert "Declare alert" not in browser.get("/environment/alerts").text
    browser.post("/logout", data={"csrf_token": token})

    token = sign_in(make_user(Role.regulator))
    forged = browser.post("/environment/alerts", data={**alert, "csrf_token": "forged"})
    assert forged.status_code == 403
    backwards = {**alert, "end_at": alert["start_at"], "start_at": alert["end_at"]}
    assert (
        browser.post("/environment/alerts", data={**backwards, "csrf_token": token}).status_code
        == 422
    )
    moved = browser.post("/environment/alerts", data={**alert, "csrf_token": token})
    assert moved.status_code == 303
    page = browser.get("/environment/alerts").text
    alert_id = int(_found(r'data-alert="(\d+)"', page))
    assert 'data-state="active"' in page
    assert "Orange" in page
    assert "PM2.5 forecast" in page
    browser.post("/logout", data={"csrf_token": token})

    token = sign_in(make_user(Role.enterprise_user, eid))  # sees it, cannot lift it
    lift = f"/environment/alerts/{alert_id}/lift"
    assert browser.post(lift, data={"csrf_token": token}).status_code == 403
    own = browser.get(f"/enterprises/{eid}/environment").text
    assert 'data-alert="orange"' in own  # the enterprise page names the alert in force
    browser.post("/logout", data={"csrf_token": token})

    token = sign_in(make_user(Role.park_admin))
    assert browser.post(lift, data={"csrf_token": token}).status_code == 303
    assert 'data-state="ended"' in browser.get("/environment/alerts").text


def test_an_enterprise_edits_its_own_measures_and_regulators_order_staggered_periods(
    browser: TestClient,
    sign_in: SignIn,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    eid, other = (_firm(database, make_enterprise, make_user) for _ in range(2))
    browser.cookies.set("lang", "en")
    page = f"/enterprises/{eid}/environment/curtailment"
    measure = {"facilities": "SC1", "measure": "stop the spray line"}

    token = sign_in(make_user(Role.enterprise_admin, eid))
    assert (
        browser.post(
            f"/enterprises/{eid}/environment/curtailment-measures/yellow",
            data={**measure, "csrf_token": token},
        ).status_code
        == 303
    )
    bad = {"facilities": "SB1", "csrf_token": token}  # a treatment unit is never curtailed
    assert (
        browser.post(
            f"/enterprises/{eid}/environment/curtailment-measures/red", data=bad
        ).status_code
        == 422
    )
    theirs = f"/enterprises/{other}/environment/curtailment-measures/yellow"
    assert browser.post(theirs, data={**measure, "csrf_token": token}).status_code == 403
    period = {
        "start_at": _local(plant.DAY_START),
        "end_at": _local(plant.DAY_START + timedelta(hours=2)),
        "reason": "staggered production",
        "csrf_token": token,
    }
    staggered = f"/enterprises/{eid}/environment/staggered-periods"
    assert browser.post(staggered, data=period).status_code == 403
    shown = browser.get(page)
    assert shown.status_code == 200, shown.text
    assert 'value="stop the spray line"' in shown.text  # its own form, filled in
    browser.post("/logout", data={"csrf_token": token})

    token = sign_in(make_user(Role.regulator))
    edit = f"/enterprises/{eid}/environment/curtailment-measures/yellow"
    assert browser.post(edit, data={**measure, "csrf_token": token}).status_code == 403
    assert browser.post(staggered, data={**period, "csrf_token": token}).status_code == 303
    shown = browser.get(page).text
    assert "stop the spray line" in shown
    assert 'value="stop the spray line"' not in shown
    period_id = int(_found(r'data-period="(\d+)"', shown))
    delete = f"/enterprises/{eid}/environment/staggered-periods/{period_id}/delete"
    assert browser.post(delete, data={"csrf_token": token}).status_code == 303
    assert "data-period=" not in browser.get(page).text
    measures = browser.get(f"/api/enterprises/{eid}/environment/curtailment-measures").json()
    assert [(m["level"], m["facility_codes"]) for m in measures] == [("yellow", ["SC1"])]
    assert browser.get(f"/api/enterprises/{other}/environment/curtailment-measures").json() == []


def test_the_measures_of_the_alert_in_force_are_marked(
    browser: TestClient,
    sign_in: SignIn,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    eid = _firm(database, make_enterprise, make_user)
    now = datetime.now(UTC)
    token = sign_in(make_user(Role.park_admin))
    alert = {
        "level": "yellow",
        "start_at": _local(now - timedelta(hours=1)),
        "end_at": _local(now + timedelta(hours=1)),
        "csrf_token": token,
    }
    assert browser.post("/environment/alerts", data=alert).status_code == 303
    shown = browser.get(f"/enterprises/{eid}/environment/curtailment").text
    applies = set(re.findall(r'data-applies="(\w+)"', shown))
    assert applies == {AlertLevel.blue.value, AlertLevel.yellow.value}  # and lower levels


def test_the_enterprise_page_charts_daily_water_reuse_and_pv_self_consumption(
    browser: TestClient,
    sign_in: SignIn,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    eid = _firm(database, make_enterprise, make_user)
    ids = _meters(database, eid)
    body = ResourceChannelsIn(
        channels={
            ResourceRole(role): [ids[code]]
            for role, (code, _, _) in zip(ROLES, COUNTERS, strict=True)
        }
    )
    with database.session() as session:
        resources.set_channels(session, plant.admin(make_user(Role.park_admin).id), eid, body)
    browser.cookies.set("lang", "zh-CN")
    sign_in(make_user(Role.enterprise_user, eid))
    page = browser.get(f"/enterprises/{eid}/environment").text
    charts = json.loads(_found(r'id="chart-data">(.*?)</script>', page))
    (chart,) = [c for c in charts if c["id"] == "resources"]
    assert chart["title"] == catalog("zh-CN")["env.resources.chart"]
    assert chart["unit"] == "%"
    reuse, pv = (s["values"] for s in chart["series"])
    # 2 of 6 m3 reclaimed and 12 of 16 kWh of PV used on site, every hour of data
    assert {v for v in reuse if v is not None} == {33.3}
    assert {v for v in pv if v is not None} == {75.0}
    assert len(chart["labels"]) == len(reuse) >= 2
    assert 'id="chart-resources"' in page

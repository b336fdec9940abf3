"""Environment pages through a signed-in browser: dashboard, lifecycle forms, the report."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.environment.events import Grade
from nevport.environment.models import Decision, EventStatus
from nevport.environment.rules import REGISTRY
from nevport.environment.supervise import evaluate
from nevport.web.i18n import catalog

from ..environment import plant

SignIn = Callable[[User], str]


def _firm(
    database: Database, make_enterprise: Callable[..., Any], make_user: Callable[..., Any]
) -> int:
    firm = make_enterprise(key_power_user=True)
    with database.session() as session:
        plant.build(session, firm.id, plant.admin(make_user(Role.park_admin).id))
        plant.store_day(session, firm.id)
        evaluate(session, firm.id, plant.BASE, plant.DAY_END)
    return int(firm.id)


def _event_id(html: str, rule_text: str) -> int:
    row = re.search(r'data-event="(\d+)">(?:(?!</tr>).)*' + re.escape(rule_text), html, re.S)
    assert row, f"no event row with {rule_text!r}"
    return int(row.group(1))


def test_dashboard_counts_and_the_enterprise_page_charts_linkage(
    browser: TestClient,
    sign_in: SignIn,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    eid = _firm(database, make_enterprise, make_user)
    browser.cookies.set("lang", "en")
    sign_in(make_user(Role.regulator))
    page = browser.get("/environment")
    assert page.status_code == 200, page.text
    assert re.search(r'data-open="blue">\s*\d', page.text)
    assert f"/enterprises/{eid}/environment" in page.text
    day = plant.DAY_START.date().isoformat()
    own = browser.get(f"/enterprises/{eid}/environment?day={day}")
    assert own.status_code == 200, own.text
    charts = json.loads(re.search(r'id="chart-data">(.*?)</script>', own.text, re.S).group(1))
    chart, water_and_pv = charts
    assert water_and_pv["id"] == "resources"
    assert water_and_pv["empty"]  # no water or PV counter named: no chart, no zeros
    assert chart["kind"] == "line"
    assert len(chart["labels"]) == 96  # quarter hours of the park day
    assert max(v for v in chart["series"][0]["values"] if v is not None) == 20.0  # kW


def test_lifecycle_and_pre_reports_through_the_forms(
    browser: TestClient,
    sign_in: SignIn,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    eid = _firm(database, make_enterprise, make_user)
    base = f"/enterprises/{eid}/environment"
    browser.cookies.set("lang", "en")
    member, regulator = make_user(Role.enterprise_user, eid), make_user(Role.regulator)

    token = sign_in(member)
    assert browser.get("/environment").headers["location"] == base
    page = browser.get(base)
    event = _event_id(page.text, "Production without treatment")
    answer = {"csrf_token": token, "response": "fan belt broke", "evidence": "photo 3"}
    assert browser.post(f"{base}/events/{event}/response", data=answer).status_code == 303
    start = (plant.DAY_END + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    end = (plant.DAY_END + timedelta(days=3, hours=4)).strftime("%Y-%m-%dT%H:%M")
    report = {
        "csrf_token": token,
        "start_at": start,
        "end_at": end,
        "reason": "filter change",
        "facilities": "SB1",
    }
    assert browser.post(f"{base}/pre-reports", data=report).status_code == 303
    listed = browser.get("/environment/pre-reports").text
    report_id = int(re.search(r'data-report="(\d+)"', listed).group(1))
    own_decision = {"csrf_token": token, "approve": "1"}
    assert (
        browser.post(f"{base}/pre-reports/{report_id}/decision", data=own_decision).status_code
        == 403
    )
    assert browser.post(f"{base}/events/{event}/response", data=answer).status_code == 409
    no_csrf = browser.post(f"{base}/pre-reports", data={**report, "csrf_token": "forged"})
    assert no_csrf.status_code == 403

    assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
    token = sign_in(regulator)
    for path, data in [  # a regulator changes no enterprise data
        (f"{base}/events/{event}/response", answer),
        (f"{base}/pre-reports", report),
    ]:
        assert browser.post(path, data={**data, "csrf_token": token}).status_code == 403
    verify = {"csrf_token": token, "approve": "1", "note": "checked on site"}
    assert browser.post(f"{base}/events/{event}/verification", data=verify).status_code == 303
    decide = {"csrf_token": token, "approve": "1", "next": "/environment/pre-reports"}
    moved = browser.post(f"{base}/pre-reports/{report_id}/decision", data=decide)
    assert moved.headers["location"] == "/environment/pre-reports"
    closed = browser.get(f"/api/enterprises/{eid}/environment/events/{event}").json()
    assert closed["status"] == EventStatus.closed
    reports = browser.get(f"/api/enterprises/{eid}/environment/pre-reports").json()
    assert reports[0]["status"] == Decision.approved


def test_regulator_cannot_change_enterprise_data_through_the_api(
    client: TestClient,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
    auth_headers: Callable[[Any], dict[str, str]],
) -> None:
    eid = _firm(database, make_enterprise, make_user)
    regulator = auth_headers(make_user(Role.regulator))
    own = auth_headers(make_user(Role.enterprise_admin, eid))
    base = f"/api/enterprises/{eid}/environment"
    facility = {
        "code": "SC9",
        "name": "oven",
        "kind": "production",
        "rated_w": 1000,
        "standby_w": 10,
        "running_w": 100,
    }
    assert client.post(f"{base}/facilities", json=facility, headers=regulator).status_code == 403
    link = {"production": "SC1", "treatment": "SB1"}
    assert client.post(f"{base}/links", json=link, headers=regulator).status_code == 403
    window = {
        "start_at": plant.DAY_END.isoformat(),
        "end_at": (plant.DAY_END + timedelta(hours=1)).isoformat(),
        "reason": "x",
    }
    assert client.post(f"{base}/pre-reports", json=window, headers=regulator).status_code == 403
    report = client.post(f"{base}/pre-reports", json=window, headers=own).json()
    decision = {"approve": True}
    path = f"{base}/pre-reports/{report['id']}/decision"
    assert client.post(path, json=decision, headers=own).status_code == 403
    assert client.post(path, json=decision, headers=regulator).status_code == 200


def test_monthly_report_as_page_and_workbook(
    browser: TestClient,
    sign_in: SignIn,
    database: Database,
    make_enterprise: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    eid = _firm(database, make_enterprise, make_user)
    browser.cookies.set("lang", "en")
    sign_in(make_user(Role.park_admin))
    month = plant.DAY_START.strftime("%Y-%m")
    page = browser.get(f"/environment/report?month={month}")
    assert page.status_code == 200, page.text
    assert f"/enterprises/{eid}/environment" in page.text
    book = browser.get(f"/environment/report.xlsx?month={month}")
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(book.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Enterprise", "Facilities", "Online rate", "Compliance rate")
    (firm,) = rows[1:]
    assert firm[1] == 2
    assert firm[5] == 1  # one day with raised events
    assert 0 < firm[2] < 1  # the plant reported only part of the month
    assert browser.get("/environment/report?month=2026-13").status_code == 422


def test_every_computed_environment_key_exists() -> None:
    keys = {f"env.rule.{name}" for name in REGISTRY}
    keys |= {f"env.grade.{g.value}" for g in Grade}
    keys |= {f"env.status.{s.value}" for s in EventStatus}
    keys |= {f"env.decision.{d.value}" for d in Decision} | {"env.decision.all"}
    from nevport.environment.report import COLUMNS

    keys |= {f"env.report.col.{column}" for column in COLUMNS}
    for language in ("zh-CN", "en"):
        assert sorted(keys - set(catalog(language))) == []

"""The overview, the enterprise list and detail pages, by role and language."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.park.models import Enterprise, GreenLevel, Sector, Site

SignIn = Callable[[User], str]
CHART_DATA = re.compile(r'<script type="application/json" id="chart-data">(.*?)</script>', re.S)


@pytest.fixture
def park(make_enterprise: Callable[..., Enterprise]) -> list[Enterprise]:
    """Three enterprises with different sectors, green levels and sizes."""
    return [
        make_enterprise(
            name_zh="天津汽车模具",
            name_en="Tianjin Auto Tooling",
            sector=Sector.chassis_body,
            green_level=GreenLevel.national,
            above_designated_size=True,
            employees=820,
            patents=85,
            output_value_yuan=1_250_000_000,
            sites=[Site(name="一号厂房", address="京滨工业园", latitude=39.49, longitude=116.99)],
        ),
        make_enterprise(
            name_zh="京清电子",
            name_en="Jingqing Electronics",
            sector=Sector.electronics,
            green_level=GreenLevel.municipal,
            output_value_yuan=48_000_000,
        ),
        make_enterprise(
            name_zh="智行科技", name_en="ZhiXing Tech", sector=Sector.intelligent_driving
        ),
    ]


@pytest.mark.parametrize("role", [r for r in Role if not r.is_enterprise_role])
def test_every_role_sees_the_overview(
    role: Role,
    park: list[Enterprise],
    make_user: Callable[..., User],
    sign_in: SignIn,
    browser: TestClient,
) -> None:
    sign_in(make_user(role))
    page = browser.get("/")
    assert page.status_code == 200
    assert "园区概览" in page.text
    assert "13 亿元" in page.text  # 1.25e9 + 0.48e8 yuan of reported output
    charts = {chart["id"]: chart for chart in json.loads(CHART_DATA.search(page.text).group(1))}
    assert set(charts) == {"sectors", "projects", "green", "plants"}
    sectors = dict(
        zip(charts["sectors"]["labels"], charts["sectors"]["series"][0]["values"], strict=True)
    )
    assert sectors == {"底盘与车身": 1, "汽车电子": 1, "智能驾驶": 1}
    assert charts["green"]["series"][0]["values"] == [1, 1]
    assert charts["projects"]["empty"]  # no project yet: a note instead of a blank chart
    assert "暂无数据" in page.text


def test_overview_in_english_uses_english_units(
    park: list[Enterprise], make_user: Callable[..., User], sign_in: SignIn, browser: TestClient
) -> None:
    sign_in(make_user(Role.park_admin))
    browser.cookies.set("lang", "en")
    page = browser.get("/")
    assert '<html lang="en">' in page.text
    assert "Park overview" in page.text
    assert "1.3 billion yuan" in page.text
    assert "园区概览" not in page.text


def test_park_admin_lists_and_filters_every_enterprise(
    park: list[Enterprise], make_user: Callable[..., User], sign_in: SignIn, browser: TestClient
) -> None:
    sign_in(make_user(Role.park_admin))
    page = browser.get("/enterprises")
    assert page.status_code == 200
    assert all(e.name_zh in page.text for e in park)
    assert "共 3 家企业" in page.text
    filtered = browser.get("/enterprises?sector=electronics&green_level=municipal")
    assert "京清电子" in filtered.text
    assert "天津汽车模具" not in filtered.text
    searched = browser.get("/enterprises?q=tooling&above_designated_size=true")
    assert "天津汽车模具" in searched.text
    assert "京清电子" not in searched.text


def test_htmx_filter_request_gets_only_the_results(
    park: list[Enterprise], make_user: Callable[..., User], sign_in: SignIn, browser: TestClient
) -> None:
    sign_in(make_user(Role.regulator))
    response = browser.get("/enterprises?q=%E6%99%BA%E8%A1%8C", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<table" in response.text
    assert "智行科技" in response.text
    assert "京清电子" not in response.text
    assert response.headers["HX-Push-Url"] == "/enterprises?q=%E6%99%BA%E8%A1%8C"
    restore = browser.get(
        "/enterprises", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


def test_invalid_filter_is_a_translated_422_page(
    park: list[Enterprise], make_user: Callable[..., User], sign_in: SignIn, browser: TestClient
) -> None:
    sign_in(make_user(Role.park_admin))
    response = browser.get("/enterprises?sector=spaceships")
    assert response.status_code == 422
    assert "输入有误" in response.text
    assert "sector" in response.text  # the technical detail names the field


def test_enterprise_user_sees_only_its_own_enterprise(
    park: list[Enterprise], make_user: Callable[..., User], sign_in: SignIn, browser: TestClient
) -> None:
    own, other = park[0], park[1]
    sign_in(make_user(Role.enterprise_user, enterprise_id=own.id))
    listing = browser.get("/enterprises")
    assert own.name_zh in listing.text
    assert other.name_zh not in listing.text
    detail = browser.get(f"/enterprises/{own.id}")
    assert detail.status_code == 200
    assert "一号厂房" in detail.text
    assert "91120222" in detail.text  # the credit code
    refused = browser.get(f"/enterprises/{other.id}")
    assert refused.status_code == 403
    assert "无访问权限" in refused.text
    assert other.name_zh not in refused.text
    nav = re.search(r'<nav class="mainnav".*?</nav>', detail.text, re.S)
    assert nav is not None
    assert "本企业" in nav.group(0)
    assert 'href="/enterprises"' not in nav.group(0)


@pytest.mark.parametrize("role", [Role.student, Role.instructor])
def test_training_roles_may_not_see_the_registry(
    role: Role,
    park: list[Enterprise],
    make_user: Callable[..., User],
    sign_in: SignIn,
    browser: TestClient,
) -> None:
    sign_in(make_user(role))
    assert browser.get("/enterprises").status_code == 403
    assert browser.get(f"/enterprises/{park[0].id}").status_code == 403
    home = browser.get("/")
    assert 'href="/enterprises"' not in home.text


def test_unknown_enterprise_is_a_translated_404(
    make_user: Callable[..., User], sign_in: SignIn, browser: TestClient
) -> None:
    sign_in(make_user(Role.park_admin))
    browser.cookies.set("lang", "en")
    response = browser.get("/enterprises/999999")
    assert response.status_code == 404
    assert "Not found" in response.text


def test_anonymous_detail_goes_to_login(park: list[Enterprise], browser: TestClient) -> None:
    response = browser.get(f"/enterprises/{park[0].id}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/enterprises/{park[0].id}"


def test_list_is_paginated(
    make_enterprise: Callable[..., Enterprise],
    make_user: Callable[..., User],
    sign_in: SignIn,
    browser: TestClient,
) -> None:
    for n in range(23):
        make_enterprise(output_value_yuan=(n + 1) * 1_000_000)
    sign_in(make_user(Role.park_admin))
    first = browser.get("/enterprises")
    assert "第 1 / 2 页" in first.text
    assert first.text.count("<tr>") == 21  # header row + 20
    second = browser.get("/enterprises?page=2")
    assert second.text.count("<tr>") == 4
    assert "Test Enterprise 1<" in second.text  # smallest output value comes last

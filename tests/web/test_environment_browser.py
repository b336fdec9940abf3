"""The enterprise's environment page in headless Chromium: linkage charts are drawn."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect, sync_playwright

from nevport.auth import service as auth_service
from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.db.migrate import upgrade
from nevport.environment.source import SITE_ZONE
from nevport.environment.supervise import evaluate
from nevport.park.models import Enterprise, Sector
from nevport.web.server import BackgroundServer

from ..conftest import TEST_PASSWORD, TEST_SECRET
from ..environment import plant
from ..factories import valid_credit_code
from .test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MIN_CHART_PIXELS,
    _chart_pixels,
    _require_chromium,
)

pytestmark = pytest.mark.browser
REGULATOR = "browser-regulator"


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackgroundServer, int]]:
    _require_chromium()
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("env-browser"), secret_key=TEST_SECRET, cookie_secure=False
    )
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    with database.session() as session:
        firm = Enterprise(
            name_zh="喷涂厂",
            name_en="Paint shop",
            credit_code=valid_credit_code(7),
            sector=Sector.chassis_body,
            key_power_user=True,
        )
        session.add(firm)
        session.flush()
        admin = auth_service.create_user(session, "browser-admin", TEST_PASSWORD, Role.park_admin)
        auth_service.create_user(session, REGULATOR, TEST_PASSWORD, Role.regulator)
        plant.build(session, firm.id, plant.admin(admin.id))
        plant.store_day(session, firm.id)
        evaluate(session, firm.id, plant.BASE, plant.DAY_END)
        eid = firm.id
    database.dispose()
    with BackgroundServer(settings) as running:
        yield running, eid


def test_the_regulator_sees_the_linkage_chart_and_the_events(
    supervised: tuple[BackgroundServer, int],
) -> None:
    server, eid = supervised
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(locale="en", viewport={"width": 1400, "height": 900}).new_page()
        try:
            page.goto(f"{server.url}/login")
            page.fill("input[name=username]", REGULATOR)
            page.fill("input[name=password]", TEST_PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{server.url}/environment")
            expect(page.locator("h1")).to_have_text("Environmental power supervision")
            page.click(f"a[href='/enterprises/{eid}/environment']")
            page.goto(f"{page.url}?day={plant.DAY_START.date().isoformat()}")
            expect(page.locator("html")).to_have_attribute("data-charts-ready", "1")
            assert _chart_pixels(page, "link-0") > MIN_CHART_PIXELS
            expect(page.locator("tr[data-event]").first).to_be_visible()
            assert "Production without treatment" in page.locator("table").first.inner_text()
        finally:
            browser.close()


def test_a_regulator_declares_and_lifts_an_alert_that_the_enterprise_page_names(
    supervised: tuple[BackgroundServer, int],
) -> None:
    server, eid = supervised
    now = datetime.now(SITE_ZONE)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(locale="en", viewport={"width": 1400, "height": 900}).new_page()
        try:
            page.goto(f"{server.url}/login")
            page.fill("input[name=username]", REGULATOR)
            page.fill("input[name=password]", TEST_PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{server.url}/environment/alerts")
            expect(page.locator("h1")).to_have_text("Heavy-pollution alerts")
            page.select_option("select[name=level]", "orange")
            page.fill("input[name=start_at]", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
            page.fill("input[name=end_at]", (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
            page.fill("input[name=reason]", "PM2.5 forecast above 150 for 48 h")
            page.click("button:has-text('Declare alert')")
            row = page.locator("tr[data-alert]").first
            expect(row.locator("td[data-state]")).to_have_attribute("data-state", "active")
            expect(row).to_contain_text("Orange")

            page.goto(f"{server.url}/enterprises/{eid}/environment")
            expect(page.locator("p.alert[data-alert=orange]")).to_contain_text("Alert in force")

            page.goto(f"{server.url}/environment/alerts")
            page.locator("tr[data-alert]").first.locator("button:has-text('Lift')").click()
            expect(page.locator("tr[data-alert] td[data-state]").first).to_have_attribute(
                "data-state", "ended"
            )
            page.goto(f"{server.url}/enterprises/{eid}/environment")
            expect(page.locator("h1")).to_be_visible()
            expect(page.locator("p.alert[data-alert]")).to_have_count(0)
        finally:
            browser.close()

"""The enterprise's environment page in headless Chromium: linkage charts are drawn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect, sync_playwright

from nevport.auth import service as auth_service
from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.db.migrate import upgrade
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

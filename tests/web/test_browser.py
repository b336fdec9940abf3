"""A real browser against the real server: sign in, overview in zh-CN, then in English.

Drives Debian's Chromium (``NEVPORT_TEST_CHROMIUM``, default /usr/bin/chromium) through
Playwright. Under CI a missing browser fails the test; elsewhere it skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from nevport.auth import service as auth_service
from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.db.migrate import upgrade
from nevport.park.demo import seed_demo
from nevport.web.server import BackgroundServer

from ..conftest import TEST_PASSWORD, TEST_SECRET

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("NEVPORT_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("NEVPORT_TEST_SCREENSHOTS", "/tmp"))
USERNAME = "browser-admin"
# Coloured pixels a drawn chart has at least; an empty canvas has none.
MIN_CHART_PIXELS = 500


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    message = f"no Chromium at {CHROMIUM} (set NEVPORT_TEST_CHROMIUM)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _fill(settings: Settings) -> None:
    """The demo park and a park_admin to sign in with."""
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    with database.session() as session:
        auth_service.create_user(session, USERNAME, TEST_PASSWORD, Role.park_admin)
        seed_demo(session)
    database.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    _require_chromium()
    data_dir = tmp_path_factory.mktemp("browser")
    settings = Settings(data_dir=data_dir, secret_key=TEST_SECRET, cookie_secure=False)
    _fill(settings)
    with BackgroundServer(settings) as running:
        yield running


def _chart_pixels(page: Page, chart_id: str) -> int:
    script = """(id) => {
      const canvas = document.querySelector('#chart-' + id + ' canvas');
      if (!canvas) { return 0; }
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 0 && !(r > 240 && g > 240 && b > 240)) { coloured += 1; }
      }
      return coloured;
    }"""
    value: int = page.evaluate(script, chart_id)
    return value


def _expect_charts_drawn(page: Page) -> None:
    """Every chart with data is drawn; the sector chart, never empty here, has pixels."""
    drawn = page.locator(".chart").count()
    assert drawn >= 1
    expect(page.locator("html")).to_have_attribute("data-charts-ready", str(drawn))
    assert _chart_pixels(page, "sectors") > MIN_CHART_PIXELS


def test_sign_in_and_read_the_overview_in_both_languages(server: BackgroundServer) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{server.url}/")
            expect(page).to_have_url(f"{server.url}/login?next=/")
            expect(page.locator("h2")).to_have_text("登录")
            page.fill("input[name=username]", USERNAME)
            page.fill("input[name=password]", TEST_PASSWORD)
            page.click("button[type=submit]")

            expect(page).to_have_url(f"{server.url}/")
            expect(page.locator("h1")).to_have_text("园区概览")
            _expect_charts_drawn(page)
            assert "亿元" in page.locator(".kpis").inner_text()
            page.screenshot(path=str(SCREENSHOTS / "nevport-overview-zh.png"), full_page=True)

            page.click(".topbar .lang-switch a[hreflang=en]")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.locator("h1")).to_have_text("Park overview")
            _expect_charts_drawn(page)
            assert "billion yuan" in page.locator(".kpis").inner_text()
            page.screenshot(path=str(SCREENSHOTS / "nevport-overview-en.png"), full_page=True)

            page.click(".mainnav a[href='/enterprises']")
            expect(page.locator("h1")).to_have_text("Enterprises")
            rows = page.locator("#results tbody tr")
            before = rows.count()
            page.select_option("select[name=sector]", "powertrain")  # htmx swaps the table
            expect(page).to_have_url(f"{server.url}/enterprises?sector=powertrain")
            expect(rows.first.locator("td").nth(1)).to_have_text("Powertrain")
            sectors = rows.locator("td:nth-child(2)").all_inner_texts()
            assert set(sectors) == {"Powertrain"}
            assert len(sectors) <= before
            page.screenshot(path=str(SCREENSHOTS / "nevport-enterprises-en.png"), full_page=True)

            rows.first.locator("a").click()
            expect(page.locator(".crumbs")).to_contain_text("Enterprises")
            page.screenshot(path=str(SCREENSHOTS / "nevport-enterprise-en.png"), full_page=True)

            page.click(".topbar button[type=submit]")  # sign out, a CSRF-protected POST
            expect(page).to_have_url(f"{server.url}/login")
        finally:
            context.close()
            browser.close()

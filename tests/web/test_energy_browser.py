"""A real browser on the energy dashboard: the live power chart fills from server-sent
events while new readings arrive, and the load curves and heatmap are drawn."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from nevport.auth import service as auth_service
from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.db.migrate import upgrade
from nevport.energy import service
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.park.models import Enterprise, Sector
from nevport.web.server import BackgroundServer

from ..conftest import TEST_PASSWORD, TEST_SECRET
from ..factories import valid_credit_code
from .test_browser import CHROMIUM, CHROMIUM_ARGS, MIN_CHART_PIXELS, SCREENSHOTS, _require_chromium

pytestmark = pytest.mark.browser
USERNAME = "energy-admin"
POWER = Quantity.active_power
ENERGY = Quantity.active_energy_import


def _reading(q: Quantity, ts: datetime, value: Decimal) -> ReadingIn:
    return ReadingIn(meter="IN", quantity=q, ts=ts, value=value)


def _fill(database: Database) -> int:
    with database.session() as session:
        auth_service.create_user(session, USERNAME, TEST_PASSWORD, Role.park_admin)
        enterprise = Enterprise(
            name_zh="博思特能源装备",
            name_en="Boster Energy Equipment",
            credit_code=valid_credit_code(7),
            sector=Sector.powertrain,
        )
        session.add(enterprise)
        session.flush()
        service.create_meter(
            session,
            enterprise.id,
            MeterCreate(
                code="IN",
                name="Incomer",
                level=MeterLevel.incomer,
                installed_at=datetime(2020, 1, 1, tzinfo=UTC),
                channels=[ChannelCreate(quantity=ENERGY), ChannelCreate(quantity=POWER)],
            ),
        )
        # six hours of quarter-hour counter readings ending now: curves and heatmap
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        readings = [
            _reading(ENERGY, now - timedelta(minutes=15 * i), Decimal(10_000 - 40 * i))
            for i in range(24)
        ]
        ingest(session, enterprise.id, readings, zone=_zone())
        return enterprise.id


def _zone() -> ZoneInfo:
    return ZoneInfo("Asia/Shanghai")  # the settings' default zone


def _push_power(database: Database, enterprise_id: int, kw: int) -> None:
    with database.session() as session:
        now = datetime.now(UTC).replace(microsecond=0)
        ingest(session, enterprise_id, [_reading(POWER, now, Decimal(kw * 1000))], zone=_zone())


def _pixels(page: Page, element_id: str) -> int:
    value: int = page.evaluate(
        """(id) => {
          const canvas = document.querySelector('#' + id + ' canvas');
          if (!canvas) { return 0; }
          const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) {
            if (d[i + 3] > 0 && !(d[i] > 240 && d[i + 1] > 240 && d[i + 2] > 240)) { n += 1; }
          }
          return n;
        }""",
        element_id,
    )
    return value


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[BackgroundServer, Database, int]]:
    _require_chromium()
    data_dir: Path = tmp_path_factory.mktemp("energy-browser")
    settings = Settings(
        data_dir=data_dir, secret_key=TEST_SECRET, cookie_secure=False, background_tasks=False
    )
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    enterprise_id = _fill(database)
    with BackgroundServer(settings) as running:
        yield running, database, enterprise_id
    database.dispose()


def test_live_chart_fills_from_server_sent_events(
    site: tuple[BackgroundServer, Database, int],
) -> None:
    server, database, enterprise_id = site
    _push_power(database, enterprise_id, 310)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        try:
            page.goto(f"{server.url}/login?next=/enterprises/{enterprise_id}/energy")
            page.fill("input[name=username]", USERNAME)
            page.fill("input[name=password]", TEST_PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{server.url}/enterprises/{enterprise_id}/energy")
            expect(page.locator(".mainnav a[href='/energy']")).to_have_class("active")
            expect(page.locator("#energy-live-kw")).to_have_text("310.0", timeout=15_000)
            _push_power(database, enterprise_id, 420)  # a new reading while the page is open
            expect(page.locator("#energy-live-kw")).to_have_text("420.0", timeout=15_000)
            expect(page.locator("html")).to_have_attribute("data-energy-charts", "3")
            # The figure only changes on a server-sent event; the count shows the chart got it
            # too (the stream may have reconnected in between, restarting the count).
            assert int(page.locator("html").get_attribute("data-energy-live-events") or 0) >= 1
            assert _pixels(page, "energy-chart-live") > MIN_CHART_PIXELS
            assert _pixels(page, "energy-chart-curves") > MIN_CHART_PIXELS
            assert _pixels(page, "energy-chart-heatmap") > MIN_CHART_PIXELS
            page.screenshot(path=str(SCREENSHOTS / "nevport-energy-en.png"), full_page=True)
        finally:
            context.close()
            browser.close()

"""A real browser on the energy alarm and control pages: an enterprise admin acknowledges
an alarm, runs a dry run, then requests and confirms a write that switches a simulated
coil, each step through the pages' own forms (CSRF token included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect, sync_playwright

from nevport.auth import service as auth_service
from nevport.auth.roles import Role
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.db.migrate import upgrade
from nevport.energy import service
from nevport.energy.alarms import service as alarms
from nevport.energy.alarms.models import RuleKind
from nevport.energy.alarms.schemas import RuleCreate
from nevport.energy.control import service as control
from nevport.energy.control.models import RegisterKind
from nevport.energy.control.schemas import PointCreate
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.park.models import Enterprise, Sector
from nevport.web.server import BackgroundServer

from ..conftest import TEST_PASSWORD, TEST_SECRET
from ..energy.control.conftest import coil, equipment  # noqa: F401 - fixture
from ..factories import valid_credit_code
from .test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, _require_chromium

pytestmark = pytest.mark.browser
USERNAME = "plant-admin"
COIL = 3
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _fill(database: Database, port: int) -> int:
    with database.session() as session:
        enterprise = Enterprise(
            name_zh="天津博顿",
            name_en="Tianjin Boton",
            credit_code=valid_credit_code(8),
            sector=Sector.powertrain,
        )
        session.add(enterprise)
        session.flush()
        admin = auth_service.create_user(
            session, USERNAME, TEST_PASSWORD, Role.enterprise_admin, enterprise_id=enterprise.id
        )
        meter = service.create_meter(
            session,
            enterprise.id,
            MeterCreate(
                code="IN",
                name="Incomer",
                level=MeterLevel.incomer,
                installed_at=datetime(2020, 1, 1, tzinfo=UTC),
                channels=[ChannelCreate(quantity=Quantity.active_power)],
            ),
        )
        rule = RuleCreate(
            name="incomer overload",
            channel_id=meter.channels[0].id,
            kind=RuleKind.threshold,
            limit=Decimal(150_000),
        )
        alarms.create_rule(session, enterprise.id, rule, admin.id)
        point = PointCreate(
            code="FAN3",
            name="exhaust fan",
            host="127.0.0.1",
            port=port,
            kind=RegisterKind.coil,
            address=COIL,
        )
        control.create_point(session, enterprise.id, point, admin.id)
        reading = ReadingIn(
            meter="IN",
            quantity=Quantity.active_power,
            ts=datetime.now(UTC) - timedelta(seconds=5),
            value=Decimal(200_000),
        )
        ingest(session, enterprise.id, [reading], zone=SHANGHAI)
    with database.session() as session:
        alarms.evaluate(session, datetime.now(UTC), SHANGHAI)
    return enterprise.id


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    equipment: int,  # noqa: F811
) -> Iterator[tuple[BackgroundServer, int]]:
    _require_chromium()
    data_dir: Path = tmp_path_factory.mktemp("energy-ops-browser")
    settings = Settings(
        data_dir=data_dir, secret_key=TEST_SECRET, cookie_secure=False, background_tasks=False
    )
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    enterprise_id = _fill(database, equipment)
    with BackgroundServer(settings) as running:
        yield running, enterprise_id
    database.dispose()


def test_acknowledge_dry_run_and_confirmed_write_in_a_browser(
    site: tuple[BackgroundServer, int],
    equipment: int,  # noqa: F811
) -> None:
    server, enterprise_id = site
    base = f"{server.url}/enterprises/{enterprise_id}/energy"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        try:
            page.goto(f"{server.url}/login?next=/enterprises/{enterprise_id}/energy")
            page.fill("input[name=username]", USERNAME)
            page.fill("input[name=password]", TEST_PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(base)
            page.click("#energy-tabs a[href$='/energy/alarms']")
            row = page.locator("#energy-alarms tbody tr").first
            expect(row).to_have_attribute("data-state", "active")
            row.locator("input[name=note]").fill("load shed by hand")
            row.locator("button[type=submit]").click()
            expect(row).to_have_attribute("data-state", "acknowledged")
            expect(row).to_contain_text("load shed by hand")
            page.screenshot(path=str(SCREENSHOTS / "nevport-energy-alarms-en.png"), full_page=True)

            page.click("#energy-tabs a[href$='/energy/control']")
            form = page.locator("#energy-command-form")
            form.locator("input[name=value]").fill("1")
            form.locator("button[type=submit]").click()  # dry run: the default choice
            newest = page.locator("#energy-commands tbody tr").first
            expect(newest).to_have_attribute("data-status", "simulated")
            assert coil(equipment, COIL) is False
            form.locator("input[name=value]").fill("1")
            form.locator("input[value=write]").check()
            form.locator("button[type=submit]").click()
            expect(newest).to_have_attribute("data-status", "awaiting_confirmation")
            assert coil(equipment, COIL) is False
            newest.get_by_role("button", name="Confirm FAN3 := 1").click()
            expect(newest).to_have_attribute("data-status", "executed")
            assert coil(equipment, COIL) is True
            page.screenshot(path=str(SCREENSHOTS / "nevport-energy-control-en.png"), full_page=True)
        finally:
            context.close()
            browser.close()

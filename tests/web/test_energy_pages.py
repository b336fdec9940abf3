"""Energy pages on both databases: the dashboard's balance, the live event stream, the
reports as HTML and .xlsx, the park view, and tenancy on every one of them."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.energy import service
from nevport.energy.ingest import ingest
from nevport.energy.models import MeterLevel
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelCreate, MeterCreate, ReadingIn
from nevport.park.models import Enterprise

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENERGY = Quantity.active_energy_import


@dataclass(frozen=True)
class Site:
    enterprise_id: int
    day: date  # local day holding the readings


def _meter(code: str, level: MeterLevel, parent: str | None, *, power: bool) -> MeterCreate:
    quantities = [ENERGY, Quantity.active_power] if power else [ENERGY]
    return MeterCreate(
        code=code,
        name=f"meter {code}",
        level=level,
        parent_code=parent,
        installed_at=datetime(2020, 1, 1, tzinfo=UTC),
        channels=[ChannelCreate(quantity=q) for q in quantities],
    )


@pytest.fixture
def site(database: Database, make_enterprise: Callable[..., Enterprise]) -> Site:
    """An incomer (100 kWh in an hour) over two workshops (60 and 30 kWh): 10 % unmetered."""
    enterprise = make_enterprise()
    now = datetime.now(UTC).replace(microsecond=0)
    day = (now - timedelta(days=1)).astimezone(SHANGHAI).date()
    ten = datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI).astimezone(UTC)
    rises = {"IN": Decimal(25), "W1": Decimal(15), "W2": Decimal("7.5")}
    readings = [
        ReadingIn(meter=code, quantity=ENERGY, ts=ten + timedelta(minutes=15 * i), value=rise * i)
        for code, rise in rises.items()
        for i in range(5)
    ]
    readings.append(
        ReadingIn(
            meter="IN",
            quantity=Quantity.active_power,
            ts=now - timedelta(seconds=10),
            value=Decimal(123_400),
        )
    )
    with database.session() as session:
        service.create_meter(
            session, enterprise.id, _meter("IN", MeterLevel.incomer, None, power=True)
        )
        for code in ("W1", "W2"):
            service.create_meter(
                session, enterprise.id, _meter(code, MeterLevel.workshop, "IN", power=False)
            )
        ingest(session, enterprise.id, readings, zone=SHANGHAI)
    return Site(enterprise.id, day)


def test_dashboard_shows_tree_balance_and_health(
    browser: TestClient, sign_in: Callable[[User], str], make_user: Callable[..., User], site: Site
) -> None:
    sign_in(make_user(Role.enterprise_user, site.enterprise_id))
    page = browser.get(f"/enterprises/{site.enterprise_id}/energy?day={site.day}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "meter W1" in html
    assert "meter W2" in html
    assert "10 %" in html  # (100 - 90) / 100 of the incomer is not metered below it
    assert "123.4" in html  # live power in kW, rendered before any event arrives
    assert 'id="energy-data"' in html
    assert "badge-online" in html
    assert f'href="/enterprises/{site.enterprise_id}/energy"' in html  # nav link


def test_live_stream_sends_power(
    browser: TestClient, sign_in: Callable[[User], str], make_user: Callable[..., User], site: Site
) -> None:
    sign_in(make_user(Role.park_admin))
    url = f"/enterprises/{site.enterprise_id}/energy/live"
    reply = browser.get(f"{url}?events=2", headers={"Accept": "text/event-stream"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/event-stream")
    events = reply.text.split("\n\n")
    assert events[0] == "retry: 2000"
    assert [e.split("\n")[0] for e in events[1:3]] == ["event: power", "event: power"]
    assert '"total_kw": 123.4' in events[1]
    snapshot = browser.get(url, headers={"Accept": "application/json"})  # no stream asked
    assert snapshot.json()["total_kw"] == 123.4


def test_other_enterprises_are_refused(
    browser: TestClient,
    sign_in: Callable[[User], str],
    make_user: Callable[..., User],
    make_enterprise: Callable[..., Enterprise],
    site: Site,
) -> None:
    other = make_enterprise()
    sign_in(make_user(Role.enterprise_admin, other.id))
    base = f"/enterprises/{site.enterprise_id}/energy"
    for path in (base, f"{base}/live?events=1", f"{base}/report", f"{base}/report?format=xlsx"):
        assert browser.get(path).status_code == 403, path
    assert browser.get("/energy").headers["location"] == f"/enterprises/{other.id}/energy"


def test_daily_report_html_and_xlsx_agree(
    browser: TestClient, sign_in: Callable[[User], str], make_user: Callable[..., User], site: Site
) -> None:
    sign_in(make_user(Role.enterprise_admin, site.enterprise_id))
    url = f"/enterprises/{site.enterprise_id}/energy/report?period=day&date={site.day}"
    html = browser.get(url)
    assert html.status_code == 200
    assert "100 kWh</span>" in html.text  # the incomer's hour
    assert "100 kW</span>" in html.text  # peak demand: 25 kWh in a quarter = 100 kW
    book = browser.get(url + "&format=xlsx")
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["IN"][3] == 100
    assert rows["W1"][3] == 60
    assert rows["W2"][3] == 30
    assert rows["IN"][5] == 10  # loss %
    month = browser.get(url.replace(f"period=day&date={site.day}", "period=month"))
    assert month.status_code == 200


def test_park_view_lists_metered_enterprises(
    browser: TestClient, sign_in: Callable[[User], str], make_user: Callable[..., User], site: Site
) -> None:
    sign_in(make_user(Role.park_admin))
    page = browser.get(f"/energy?period=day&date={site.day}")
    assert page.status_code == 200
    assert f"/enterprises/{site.enterprise_id}/energy" in page.text
    assert "100" in page.text
    book = browser.get(f"/energy?period=month&date={site.day:%Y-%m}&format=xlsx")
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    totals = list(sheet.iter_rows(min_row=3, values_only=True))
    assert totals[0][1] == 100
    assert totals[-1][1] == 100

"""Energy alarm and control pages on both databases: listing, filtering, acknowledging,
dry-run and confirmed writes to real (simulated) equipment, and who may do what."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import nevport.web
from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.energy.alarms import service as alarms
from nevport.energy.alarms.models import AlarmState, RuleKind, Severity
from nevport.energy.alarms.schemas import RuleCreate
from nevport.energy.control import service as control
from nevport.energy.control.models import CommandStatus, RegisterKind
from nevport.energy.control.schemas import PointCreate
from nevport.energy.ingest import ingest
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ReadingIn
from nevport.park.models import Enterprise

from ..energy.conftest import SHANGHAI, Plant, plant  # noqa: F401 - fixture
from ..energy.control.conftest import coil, equipment  # noqa: F401 - fixture

SignIn = Callable[[User], str]
MakeUser = Callable[..., User]


@pytest.fixture
def alarm(database: Database, plant: Plant, make_user: MakeUser) -> int:  # noqa: F811
    """An active alarm: the incomer drew 200 kW against a 150 kW threshold."""
    admin = make_user(Role.enterprise_admin, plant.enterprise_id)
    reading = ReadingIn(
        meter="M1",
        quantity=Quantity.active_power,
        ts=datetime.now(UTC) - timedelta(seconds=5),
        value=Decimal(200_000),
    )
    rule = RuleCreate(
        name="incomer overload",
        channel_id=plant.power_channel,
        kind=RuleKind.threshold,
        severity=Severity.critical,
        limit=Decimal(150_000),
    )
    with database.session() as session:
        alarms.create_rule(session, plant.enterprise_id, rule, admin.id)
    with database.session() as session:
        ingest(session, plant.enterprise_id, [reading], zone=SHANGHAI)
    with database.session() as session:
        assert alarms.evaluate(session, datetime.now(UTC), SHANGHAI) >= 0
    with database.session() as session:
        (found,) = alarms.list_alarms(session, plant.enterprise_id)
    assert found.state is AlarmState.active
    return found.id


def test_alarm_page_filters_and_acknowledges(
    browser: TestClient,
    sign_in: SignIn,
    make_user: MakeUser,
    plant: Plant,  # noqa: F811
    alarm: int,
) -> None:
    user = make_user(Role.enterprise_user, plant.enterprise_id, username="duty-engineer")
    csrf = sign_in(user)
    url = f"/enterprises/{plant.enterprise_id}/energy/alarms"
    page = browser.get(url)
    assert page.status_code == 200, page.text
    assert f'data-alarm="{alarm}" data-state="active"' in page.text
    assert "incomer overload" in page.text
    assert f'action="{url}/{alarm}/acknowledge"' in page.text
    assert "data-alarm" not in browser.get(url, params={"state": "cleared"}).text
    assert browser.get(url, params={"state": "bogus"}).status_code == 422
    no_token = browser.post(f"{url}/{alarm}/acknowledge", data={"note": "x"})
    assert no_token.status_code == 403
    done = browser.post(
        f"{url}/{alarm}/acknowledge",
        data={"csrf_token": csrf, "note": "fan restarted", "next": url},
    )
    assert done.status_code == 303
    assert done.headers["location"] == url
    page = browser.get(url, params={"state": "acknowledged"})
    assert f'data-alarm="{alarm}" data-state="acknowledged"' in page.text
    assert "duty-engineer" in page.text  # who acknowledged, in the history
    assert "fan restarted" in page.text
    assert f'action="{url}/{alarm}/acknowledge"' not in page.text  # nothing left to do
    again = browser.post(f"{url}/{alarm}/acknowledge", data={"csrf_token": csrf})
    assert again.status_code == 409


def test_alarm_page_refuses_other_tenants_and_readers_cannot_acknowledge(
    browser: TestClient,
    sign_in: SignIn,
    make_user: MakeUser,
    make_enterprise: Callable[..., Enterprise],
    plant: Plant,  # noqa: F811
    alarm: int,
) -> None:
    url = f"/enterprises/{plant.enterprise_id}/energy/alarms"
    for role, enterprise in (
        (Role.enterprise_admin, make_enterprise().id),
        (Role.student, None),
    ):
        csrf = as_user(browser, sign_in, make_user(role, enterprise))
        assert browser.get(url).status_code in (403, 404), role
        posted = browser.post(f"{url}/{alarm}/acknowledge", data={"csrf_token": csrf})
        assert posted.status_code in (403, 404), role
    csrf = as_user(browser, sign_in, make_user(Role.regulator))
    page = browser.get(url)
    assert page.status_code == 200
    assert "incomer overload" in page.text
    assert "/acknowledge" not in page.text
    posted = browser.post(f"{url}/{alarm}/acknowledge", data={"csrf_token": csrf})
    assert posted.status_code == 403


COILS = itertools.count(1)  # each test switches its own coil of the module's simulator


@pytest.fixture
def address() -> int:
    return next(COILS)


@pytest.fixture
def point(
    database: Database,
    plant: Plant,  # noqa: F811
    equipment: int,  # noqa: F811
    make_user: MakeUser,
    address: int,
) -> str:
    admin = make_user(Role.enterprise_admin, plant.enterprise_id)
    body = PointCreate(
        code="FAN7",
        name="exhaust fan",
        host="127.0.0.1",
        port=equipment,
        kind=RegisterKind.coil,
        address=address,
    )
    with database.session() as session:
        control.create_point(session, plant.enterprise_id, body, admin.id)
    return body.code


def as_user(browser: TestClient, sign_in: SignIn, user: User) -> str:
    """Sign out whoever was signed in, then sign ``user`` in; returns the CSRF token."""
    browser.cookies.clear()
    return sign_in(user)


def statuses(database: Database, enterprise_id: int) -> list[CommandStatus]:
    with database.session() as session:
        return [c.status for c in control.list_commands(session, enterprise_id)]


def test_control_page_dry_run_then_confirmed_write(
    browser: TestClient,
    sign_in: SignIn,
    make_user: MakeUser,
    database: Database,
    plant: Plant,  # noqa: F811
    equipment: int,  # noqa: F811
    point: str,
    address: int,
) -> None:
    url = f"/enterprises/{plant.enterprise_id}/energy/control"
    csrf = sign_in(make_user(Role.enterprise_admin, plant.enterprise_id, username="plant-admin"))
    page = browser.get(url)
    assert page.status_code == 200, page.text
    assert 'data-point="FAN7"' in page.text
    assert 'value="dry_run" checked' in page.text  # dry run unless chosen otherwise
    form = {"csrf_token": csrf, "point_code": point, "value": "1"}
    assert browser.post(f"{url}/commands", data=form).status_code == 303
    assert statuses(database, plant.enterprise_id) == [CommandStatus.simulated]
    assert coil(equipment, address) is False  # a dry run writes nothing
    assert browser.post(f"{url}/commands", data={**form, "mode": "write"}).status_code == 303
    assert statuses(database, plant.enterprise_id)[0] is CommandStatus.awaiting_confirmation
    assert coil(equipment, address) is False  # nothing before the confirmation
    with database.session() as session:
        command = control.list_commands(session, plant.enterprise_id)[0].id
    page = browser.get(url)
    assert f'data-command="{command}" data-status="awaiting_confirmation"' in page.text
    assert f"{url}/commands/{command}/confirm" in page.text
    wrong = browser.post(
        f"{url}/commands/{command}/confirm", data={**form, "value": "0"}
    )  # a confirmation must name what is written
    assert wrong.status_code == 422
    done = browser.post(f"{url}/commands/{command}/confirm", data=form)
    assert done.status_code == 303
    assert coil(equipment, address) is True
    assert statuses(database, plant.enterprise_id)[0] is CommandStatus.executed
    page = browser.get(url).text
    assert f'data-command="{command}" data-status="executed"' in page
    for action in ("requested", "awaiting_confirmation", "confirmed", "executed"):
        assert f" {action}" in page, action
    assert "plant-admin" in page  # who confirmed, in the audit trail


def test_only_the_enterprise_admin_may_command(
    browser: TestClient,
    sign_in: SignIn,
    make_user: MakeUser,
    make_enterprise: Callable[..., Enterprise],
    database: Database,
    plant: Plant,  # noqa: F811
    equipment: int,  # noqa: F811
    point: str,
    address: int,
) -> None:
    url = f"/enterprises/{plant.enterprise_id}/energy/control"
    csrf = sign_in(make_user(Role.enterprise_admin, plant.enterprise_id))
    form = {"csrf_token": csrf, "point_code": point, "value": "1", "mode": "write"}
    assert browser.post(f"{url}/commands", data=form).status_code == 303
    with database.session() as session:
        (command,) = control.list_commands(session, plant.enterprise_id)
    for role in (Role.enterprise_user, Role.park_admin, Role.regulator):
        enterprise = plant.enterprise_id if role.is_enterprise_role else None
        csrf = as_user(browser, sign_in, make_user(role, enterprise))
        page = browser.get(url)
        assert page.status_code == 200, role
        assert 'data-point="FAN7"' in page.text
        assert "/confirm" not in page.text, role
        assert 'id="energy-command-form"' not in page.text, role
        confirm = {"csrf_token": csrf, "point_code": point, "value": "1"}
        posted = browser.post(f"{url}/commands/{command.id}/confirm", data=confirm)
        assert posted.status_code == 403, role
        assert browser.post(f"{url}/commands", data=confirm).status_code == 403, role
    assert coil(equipment, address) is False
    assert statuses(database, plant.enterprise_id) == [CommandStatus.awaiting_confirmation]
    for role, enterprise in ((Role.enterprise_admin, make_enterprise().id), (Role.student, None)):
        csrf = as_user(browser, sign_in, make_user(role, enterprise))
        assert browser.get(url).status_code in (403, 404), role
        posted = browser.post(f"{url}/commands/{command.id}/cancel", data={"csrf_token": csrf})
        assert posted.status_code in (403, 404), role


def test_dashboard_links_the_alarm_and_control_pages(
    browser: TestClient,
    sign_in: SignIn,
    make_user: MakeUser,
    plant: Plant,  # noqa: F811
) -> None:
    sign_in(make_user(Role.enterprise_user, plant.enterprise_id))
    base = f"/enterprises/{plant.enterprise_id}/energy"
    page = browser.get(base)
    assert f'href="{base}/alarms"' in page.text
    assert f'href="{base}/control"' in page.text
    assert browser.get(f"{base}/control").status_code == 200


def test_computed_keys_of_the_pages_exist_in_both_languages() -> None:
    """Keys built from values (t('energy.command.' ~ status)) cannot be scanned."""
    computed = {f"energy.alarm.state.{s.value}" for s in AlarmState}
    computed |= {f"energy.severity.{s.value}" for s in Severity}
    computed |= {f"energy.rule.{k.value}" for k in RuleKind}
    computed |= {f"energy.command.{s.value}" for s in CommandStatus}
    computed |= {f"energy.register.{k.value}" for k in RegisterKind}
    locales = Path(nevport.web.__file__).parent / "locales"
    for language in ("zh-CN", "en"):
        catalog = json.loads((locales / f"{language}.json").read_text(encoding="utf-8"))
        assert sorted(computed - set(catalog)) == [], language

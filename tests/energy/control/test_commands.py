"""Commands to simulated equipment over real Modbus: dry run, confirmation, interlocks,
roles, schedules, rule-driven proposals and the audit trail, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select

from nevport.auth.models import User
from nevport.auth.roles import Role
from nevport.db.engine import Database
from nevport.energy.alarms.loop import evaluate_once
from nevport.energy.control.service import run_due
from nevport.notify.models import Event

from ...notify.conftest import free_port
from ..conftest import Plant
from .conftest import ADDRESSES, Api, coil, compressor, power

SHANGHAI = ZoneInfo("Asia/Shanghai")
Headers = Callable[[User], dict[str, str]]


def test_dry_run_writes_nothing_and_a_confirmed_command_switches_the_coil(
    api: Api, equipment: int, plant: Plant, database: Database
) -> None:
    address = next(ADDRESSES)
    point = compressor(api, equipment, plant, address)
    power(database, plant, 100_000)
    dry = api.post("/commands", {"point_code": point["code"], "value": 1})
    assert (dry["status"], dry["previous_value"]) == ("simulated", 0)
    assert "nothing written" in dry["result"]
    assert coil(equipment, address) is False

    real = api.post("/commands", {"point_code": point["code"], "value": 1, "dry_run": False})
    assert real["status"] == "awaiting_confirmation"
    assert coil(equipment, address) is False
    wrong = api.post(
        f"/commands/{real['id']}/confirm", {"point_code": point["code"], "value": 0}, status=422
    )
    assert "the command is" in wrong["detail"]
    done = api.post(
        f"/commands/{real['id']}/confirm", {"point_code": point["code"], "value": 1}, status=200
    )
    assert (done["status"], done["previous_value"], done["read_back"]) == ("executed", 0, 1)
    assert coil(equipment, address) is True
    assert [a["action"] for a in done["audit"]] == [
        "requested",
        "awaiting_confirmation",
        "confirmed",
        "executed",
    ]
    api.post(
        f"/commands/{real['id']}/confirm", {"point_code": point["code"], "value": 1}, status=409
    )
    with database.session() as session:
        topics = list(session.scalars(select(Event.topic).order_by(Event.id)))
    assert topics == ["energy.control.awaiting_confirmation", "energy.control.executed"]


def test_interlocks_refuse_a_start_under_high_load_or_without_fresh_data(
    api: Api, equipment: int, plant: Plant, database: Database
) -> None:
    address = next(ADDRESSES)
    point = compressor(api, equipment, plant, address)
    unknown = api.post("/commands", {"point_code": point["code"], "value": 1})
    assert unknown["status"] == "refused"
    assert "state is unknown" in unknown["result"]
    power(database, plant, 160_000)
    busy = api.post("/commands", {"point_code": point["code"], "value": 1, "dry_run": False})
    assert busy["status"] == "refused"
    assert "reads 160000, above the limit 150000" in busy["result"]
    stop = api.post("/commands", {"point_code": point["code"], "value": 0})
    assert stop["status"] == "simulated"  # switching off is never interlocked here
    locked = api.client.patch(
        f"{api.base}/points/{point['id']}", json={"locked": True}, headers=api.headers
    )
    assert locked.json()["locked"]
    assert (
        "locked out" in api.post("/commands", {"point_code": point["code"], "value": 0})["result"]
    )
    assert coil(equipment, address) is False


def test_only_the_enterprise_admin_commands_and_bad_values_are_refused(
    api: Api,
    client: TestClient,
    equipment: int,
    plant: Plant,
    make_user: Callable[..., User],
    auth_headers: Headers,
) -> None:
    point = compressor(api, equipment, plant, next(ADDRESSES))
    body = {"point_code": point["code"], "value": 1}
    for role in (Role.enterprise_user, Role.park_admin):
        headers = auth_headers(
            make_user(role, plant.enterprise_id if role is Role.enterprise_user else None)
        )
        assert client.post(f"{api.base}/commands", json=body, headers=headers).status_code == 403
    out_of_range = api.post("/commands", {"point_code": point["code"], "value": 2}, status=422)
    assert "outside CMP" in out_of_range["detail"]
    bad_point = api.post(
        "/points",
        {"code": "X", "name": "x", "host": "h", "kind": "coil", "address": 1, "max_value": 5},
        status=422,
    )
    assert "a coil holds 0 or 1" in str(bad_point["detail"])


def test_an_unreachable_device_fails_the_command_with_the_reason(
    api: Api, plant: Plant, database: Database
) -> None:
    point = compressor(api, free_port(), plant, 1)
    power(database, plant, 100_000)
    real = api.post("/commands", {"point_code": point["code"], "value": 1, "dry_run": False})
    failed = api.post(
        f"/commands/{real['id']}/confirm", {"point_code": point["code"], "value": 1}, status=200
    )
    assert failed["status"] == "failed"
    assert "cannot connect" in failed["result"]


def test_a_scheduled_command_runs_when_due_and_an_alarm_proposes_one(
    api: Api, client: TestClient, equipment: int, plant: Plant, database: Database
) -> None:
    address = next(ADDRESSES)
    point = compressor(api, equipment, plant, address)
    power(database, plant, 100_000)
    at = datetime.now(UTC) + timedelta(minutes=1)
    real = api.post(
        "/commands",
        {"point_code": point["code"], "value": 1, "dry_run": False, "execute_at": at.isoformat()},
    )
    assert (
        api.post(
            f"/commands/{real['id']}/confirm", {"point_code": point["code"], "value": 1}, status=200
        )["status"]
        == "scheduled"
    )
    with database.session() as session:
        assert run_due(session, datetime.now(UTC)) == 0
    power(database, plant, 100_000)  # fresh data for the interlock at execution time
    with database.session() as session:
        assert run_due(session, at + timedelta(seconds=1)) == 1
    assert coil(equipment, address) is True

    rule = client.post(
        f"/api/enterprises/{plant.enterprise_id}/energy/alarm-rules",
        json={
            "name": "overload",
            "channel_id": plant.power_channel,
            "kind": "threshold",
            "limit": "180000",
        },
        headers=api.headers,
    ).json()
    api.post(f"/points/{point['id']}/triggers", {"rule_id": rule["id"], "value": 0}, status=204)
    power(database, plant, 190_000)
    evaluate_once(database, SHANGHAI)
    proposed = client.get(f"{api.base}/commands", headers=api.headers).json()[0]
    assert (proposed["status"], proposed["value"]) == ("awaiting_confirmation", 0)
    assert proposed["reason"].startswith("alarm ")
    assert coil(equipment, address) is True  # nothing written until a person confirms

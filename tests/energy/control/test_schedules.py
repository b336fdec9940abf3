"""Recurring schedules: confirmed once, fired once per due day, interlocked, audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nevport.db.engine import Database
from nevport.energy.control.device import Target, write
from nevport.energy.control.models import RegisterKind
from nevport.energy.control.schedules import fire_due

from ..conftest import Plant
from .conftest import ADDRESSES, Api, coil, compressor

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_22 = datetime(2026, 3, 2, 22, 0, tzinfo=SHANGHAI)


def test_a_weekday_switch_off_fires_once_at_its_local_time(
    api: Api, equipment: int, plant: Plant, database: Database
) -> None:
    address = next(ADDRESSES)
    point = compressor(api, equipment, plant, address)
    write(Target("127.0.0.1", equipment, 1, RegisterKind.coil, address), 1)  # running
    body = {"point_code": point["code"], "value": 0, "at": "22:00", "weekdays": [0, 1, 2, 3, 4]}
    wrong = api.post(
        "/schedules", {**body, "confirm_point_code": point["code"], "confirm_value": 1}, status=422
    )
    assert "the schedule writes" in wrong["detail"]
    made = api.post("/schedules", {**body, "confirm_point_code": point["code"], "confirm_value": 0})
    assert (made["at"], made["weekdays"]) == ("22:00", [0, 1, 2, 3, 4])

    with database.session() as session:
        assert fire_due(session, MONDAY_22 - timedelta(minutes=1), SHANGHAI) == 0  # not yet
        assert fire_due(session, MONDAY_22 + timedelta(minutes=2), SHANGHAI) == 1
        assert fire_due(session, MONDAY_22 + timedelta(minutes=3), SHANGHAI) == 0  # once a day
        assert fire_due(session, MONDAY_22 + timedelta(days=5), SHANGHAI) == 0  # Saturday
        assert fire_due(session, MONDAY_22 + timedelta(days=1, minutes=30), SHANGHAI) == 0  # late
    assert coil(equipment, address) is False
    (command,) = [
        c
        for c in api.client.get(f"{api.base}/commands", headers=api.headers).json()
        if c["reason"].startswith("schedule")
    ]
    assert command["status"] == "executed"
    assert [a["action"] for a in command["audit"]] == ["requested", "executed"]

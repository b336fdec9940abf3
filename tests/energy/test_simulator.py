"""The simulated factory behaves like one: shifts, nights, weekends; registers wrap."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from nevport.energy.protocols import dlt645
from nevport.energy.simulator import REGISTER_MAX, Fleet, _answer, _register, factory_kw

SH = ZoneInfo("Asia/Shanghai")


def test_day_shift_draws_more_than_night_and_weekend() -> None:
    tuesday_10 = datetime(2025, 6, 3, 10, tzinfo=SH)
    tuesday_03 = datetime(2025, 6, 3, 3, tzinfo=SH)
    saturday_10 = datetime(2025, 6, 7, 10, tzinfo=SH)
    assert factory_kw(0, tuesday_10) > 2.5 * factory_kw(0, tuesday_03)
    assert factory_kw(0, tuesday_03) < factory_kw(0, saturday_10) < factory_kw(0, tuesday_10)


def test_register_wraps_after_its_maximum() -> None:
    assert _register(REGISTER_MAX) == REGISTER_MAX
    assert _register(REGISTER_MAX + Decimal("0.26")) == Decimal("0.25")


def test_meter_answers_a_read_and_ignores_garbage() -> None:
    fleet = Fleet.build(2, [], 0.0)
    fleet.tick()
    request = dlt645.encode(dlt645.read_request("000000000002", 0x00010000))
    reading = dlt645.interpret(dlt645.decode(_answer(fleet, request) or b""))
    assert (reading.address, reading.name) == ("000000000002", "active_energy_import")
    assert _answer(fleet, request[:-2] + b"\x00\x16") is None  # bad checksum: silence


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown faults"):
        Fleet.build(1, ["gremlins"], 0.1)

"""Raise and clear decisions over samples (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from nevport.energy.alarms.conditions import Sample, offline, rate_of_change, threshold

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def series(*values: int | None, step_s: int = 60) -> list[Sample]:
    return [
        Sample(T0 + timedelta(seconds=i * step_s), None if v is None else Decimal(v))
        for i, v in enumerate(values)
    ]


def test_threshold_raises_once_and_clears_past_the_deadband() -> None:
    changes = threshold(
        series(100, 160, 170, None, 140, 120, 160),
        above=True,
        limit=Decimal(150),
        deadband=Decimal(20),
        firing=False,
    )
    assert [(c.firing, c.value) for c in changes] == [
        (True, Decimal(160)),
        (False, Decimal(120)),
        (True, Decimal(160)),
    ]  # 140 is inside the deadband: still firing; None changes nothing


def test_threshold_below_a_floor() -> None:
    changes = threshold(
        series(50, 40, 52), above=False, limit=Decimal(45), deadband=Decimal(5), firing=False
    )
    assert [(c.firing, c.value) for c in changes] == [(True, Decimal(40)), (False, Decimal(52))]


def test_rate_of_change_per_minute_continues_from_the_previous_round() -> None:
    before = Sample(T0 - timedelta(minutes=1), Decimal(100))
    changes = rate_of_change(
        before, series(130, 131, 132), limit=Decimal(20), deadband=Decimal(0), firing=False
    )
    assert [(c.firing, c.at) for c in changes] == [(True, T0), (False, T0 + timedelta(minutes=1))]


def test_offline_raises_after_the_silence_and_clears_when_data_returns() -> None:
    now = T0 + timedelta(minutes=10)
    assert offline(T0, now, 300, firing=False)[0].message.startswith("no reading for over 300 s")
    assert offline(T0, now, 900, firing=False) == []
    assert offline(None, now, 300, firing=False)[0].firing
    back = offline(now, now, 300, firing=True)
    assert [c.firing for c in back] == [False]

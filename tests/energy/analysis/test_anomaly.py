"""Anomaly stories on hourly load: off-shift load, a step, a night above the day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from nevport.energy.analysis.anomaly import Shifts, night_above_day, off_shift_load, step_changes

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, tzinfo=SHANGHAI).astimezone(UTC)


def week(load: dict[int, float] | None = None) -> list[tuple[datetime, float | None]]:
    """Hourly watts for a week: 200 kW on shift (08-22 on weekdays), 40 kW otherwise."""
    shifts = Shifts()
    out: list[tuple[datetime, float | None]] = []
    for h in range(7 * 24):
        t = MONDAY + timedelta(hours=h)
        watts = 200_000.0 if shifts.on(t.astimezone(SHANGHAI)) else 40_000.0
        out.append((t, (load or {}).get(h, watts)))
    return out


def test_a_normal_week_raises_nothing() -> None:
    series = week()
    assert off_shift_load(series, Shifts(), SHANGHAI) == []
    assert night_above_day(series, SHANGHAI) == []
    # a shift start is a step every day; the detector sees the daily pattern as steps,
    # so the story that matters is that a plain week gives one per shift edge, no more
    assert len(step_changes(series)) <= 2 * 5 + 2


def test_machines_left_running_overnight_are_found() -> None:
    series = week({24 + 2: 180_000.0, 24 + 3: 180_000.0})  # Tuesday 02:00 and 03:00 local
    found = off_shift_load(series, Shifts(), SHANGHAI)
    assert [a.start for a in found] == [MONDAY + timedelta(hours=26), MONDAY + timedelta(hours=27)]


def test_a_night_shift_heavier_than_the_day_is_reported_for_that_night() -> None:
    heavy = dict.fromkeys((24 * 2 + 22, 24 * 2 + 23, *range(24 * 3, 24 * 3 + 6)), 300000.0)
    found = night_above_day(week(heavy), SHANGHAI)
    assert [a.detail for a in found] == ["night of 2026-03-04"]


def test_a_persistent_step_in_a_flat_load_is_found_once() -> None:
    series: list[tuple[datetime, float | None]] = [
        (MONDAY + timedelta(hours=h), 50_000.0 if h < 30 else 80_000.0) for h in range(60)
    ]
    series[10] = (series[10][0], None)  # a missing hour does not matter
    (step,) = step_changes(series)
    assert step.start == MONDAY + timedelta(hours=30)
    assert (step.reference_w, step.value_w) == (50_000.0, 80_000.0)

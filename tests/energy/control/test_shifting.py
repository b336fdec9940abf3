"""Load-shifting suggestions priced by the tariff (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from nevport.energy.analysis.tariff import Period, load_tariff
from nevport.energy.control.shifting import suggest

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, tzinfo=SHANGHAI)


def day_of(on_kw: int, off_kw: int) -> list[tuple[datetime, Decimal | None]]:
    """One local day: ``on_kw`` from 08:00 to 22:00, ``off_kw`` otherwise, per quarter."""
    out: list[tuple[datetime, Decimal | None]] = []
    for i in range(96):
        at = MONDAY + timedelta(minutes=15 * i)
        kw = on_kw if 8 <= at.hour < 22 else off_kw
        out.append((at.astimezone(UTC), Decimal(kw) / 4))
    return out


def test_a_third_of_the_peak_moved_to_the_valley_saves_the_price_difference() -> None:
    result = suggest(day_of(200, 40), load_tariff(), SHANGHAI, Decimal("0.3"))
    # peak energy: 08-11 and 18-22 at 200 kW, 22-23 at 40 kW = 1440 kWh; 30 % = 432 kWh
    assert result.shift_kwh_per_day == {Period.critical_peak: 0, Period.peak: Decimal("432.000")}
    assert result.saving_yuan_per_day == Decimal("336.96")  # 432 x (1.04 - 0.26)
    assert result.saving_yuan_per_month == Decimal("10108.80")
    assert result.valley_headroom_kwh_per_day == Decimal("1280.000")  # (200 - 40) kW x 8 h
    assert not result.limited_by_headroom


def test_a_flat_load_has_no_valley_headroom_so_nothing_is_suggested() -> None:
    result = suggest(day_of(100, 100), load_tariff(), SHANGHAI, Decimal("0.5"))
    assert result.saving_yuan_per_day == 0
    assert result.limited_by_headroom


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="not in"):
        suggest(day_of(1, 1), load_tariff(), SHANGHAI, Decimal("1.5"))
    with pytest.raises(ValueError, match="no metered quarter hours"):
        suggest([(MONDAY, None)], load_tariff(), SHANGHAI, Decimal("0.3"))

"""Tariff files, TOU cost, maximum demand, power-factor table and the monthly bill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from nevport.energy.analysis.cost import max_demand, monthly_bill, tou_cost
from nevport.energy.analysis.power_factor import adjustment_percent, power_factor
from nevport.energy.analysis.tariff import Period, load_tariff, parse_tariff
from nevport.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal
MONDAY = datetime(2026, 3, 2, tzinfo=SHANGHAI)  # a spring weekday


def quarters(day: datetime, kwh: Decimal) -> list[tuple[datetime, Decimal | None]]:
    """A flat load over one local day: 96 quarters of ``kwh`` each."""
    start = day.astimezone(UTC)
    return [(start + i * timedelta(minutes=15), kwh) for i in range(96)]


def test_tianjin_defaults_follow_the_published_ratios() -> None:
    prices = load_tariff().prices
    assert prices[Period.peak] == prices[Period.flat] * D("1.6")
    assert prices[Period.valley] == prices[Period.flat] * D("0.4")
    assert prices[Period.critical_peak] == prices[Period.peak] * D("1.2")


@pytest.mark.parametrize(
    ("local", "period"),
    [
        ("2026-03-02T03:00", Period.valley),
        ("2026-03-02T07:45", Period.flat),
        ("2026-03-02T08:00", Period.peak),
        ("2026-03-02T23:00", Period.valley),
        ("2026-07-15T11:30", Period.critical_peak),  # summer critical window
        ("2026-03-15T11:30", Period.flat),  # same hour in spring
    ],
)
def test_periods_are_read_in_local_time(local: str, period: Period) -> None:
    at = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI).astimezone(UTC)
    assert load_tariff().period_at(at, SHANGHAI) is period


FLAT = '["07:00", "08:00"], ["11:00", "18:00"]'
GOOD = (
    Path(__file__).parents[3]
    / "src/nevport/energy/analysis/tariffs/tianjin-general-industrial.yaml"
)


@pytest.mark.parametrize(
    ("old", "new", "where", "reason"),
    [
        (FLAT, '["11:00", "18:00"]', "periods", "leave 4 quarter hours out, from 07:00"),
        (FLAT, '["07:00", "09:00"], ["11:00", "18:00"]', "periods", "08:00 is in both"),
        ('"0.650000"', '"-1"', "flat_price", "greater than 0"),
        ('["18:00", "19:00"]', '["18:00", "19:10"]', "critical_peak.1.hours", "not a quarter"),
        ("demand_charge:", "demand_charges:", "demand_charges", "Extra inputs"),
    ],
)
def test_bad_tariff_files_are_refused_with_line_and_field(
    old: str, new: str, where: str, reason: str
) -> None:
    text = GOOD.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(InvalidInput, match=reason) as refused:
        parse_tariff(text.replace(old, new, 1), "t.yaml")
    assert refused.value.field == where
    # errors about the whole periods mapping point at its first line
    marker = "peak:   [" if where == "periods" else old
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if marker in ln)
    assert refused.value.message.startswith(f"t.yaml:{line}:")


def test_tou_cost_of_a_flat_day_in_spring() -> None:
    cost = tou_cost(quarters(MONDAY, D("25")), load_tariff(), SHANGHAI)
    by = {row.period: row for row in cost.periods}
    assert by[Period.peak].energy_kwh == 8 * 4 * 25  # 08-11, 18-23
    assert by[Period.flat].energy_kwh == 8 * 4 * 25  # 07-08, 11-18
    assert by[Period.valley].energy_kwh == 8 * 4 * 25
    # 800 kWh at 1.04 + 800 at 0.65 + 800 at 0.26 yuan/kWh
    assert cost.cost_yuan == D("1560.00")


def test_missing_quarters_are_counted_not_priced_and_demand_is_the_highest_quarter() -> None:
    series = quarters(MONDAY, D("25"))
    series[5] = (series[5][0], None)
    series[40] = (series[40][0], D("60.5"))
    assert tou_cost(series, load_tariff(), SHANGHAI).missing_quarters == 1
    assert max_demand(series) == (D("242.0"), series[40][0])


@pytest.mark.parametrize(
    ("pf", "standard", "percent"),
    [
        ("1.00", "0.90", "-0.75"),
        ("0.95", "0.90", "-0.75"),
        ("0.92", "0.90", "-0.30"),
        ("0.90", "0.90", "0"),
        ("0.895", "0.90", "0"),  # rounds half up to 0.90
        ("0.89", "0.90", "0.5"),
        ("0.80", "0.90", "5.0"),
        ("0.70", "0.90", "10.0"),
        ("0.65", "0.90", "15.0"),
        ("0.60", "0.90", "25.0"),
        ("0.94", "0.85", "-1.10"),
        ("0.65", "0.85", "10.0"),
        ("0.92", "0.80", "-1.30"),
        ("0.60", "0.80", "10.0"),
    ],
)
def test_power_factor_table_rows(pf: str, standard: str, percent: str) -> None:
    assert adjustment_percent(D(pf), D(standard)) == D(percent)


def test_power_factor_refuses_impossible_values() -> None:
    with pytest.raises(ValueError, match="outside"):
        adjustment_percent(D("1.2"))
    with pytest.raises(ValueError, match="not one of"):
        adjustment_percent(D("0.9"), D("0.88"))
    assert power_factor(D(0), D(0)) is None


def test_monthly_bill_with_demand_charge_and_low_power_factor_surcharge() -> None:
    series = quarters(MONDAY, D("25"))  # one day stands for the month here
    # 2400 kWh with 1800 kvarh: pf = 0.8 -> +5 % under the 0.90 standard
    bill = monthly_bill(series, D("1800"), load_tariff(), SHANGHAI)
    assert bill.max_demand_kw == 100
    assert bill.basic_charge_yuan == D("3840.00")  # 100 kW x 38.40
    assert bill.power_factor == D("0.8000")
    assert bill.pf_adjustment_yuan == D("270.00")  # 5 % of (1560 + 3840)
    assert bill.total_yuan == D("5670.00")
    by_capacity = monthly_bill(series, None, load_tariff(), SHANGHAI, contracted_kva=D("315"))
    assert by_capacity.basic_charge_yuan == D("8064.00")  # 315 kVA x 25.60
    assert by_capacity.pf_adjustment_yuan == 0

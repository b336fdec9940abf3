"""Baseline regression, Guideline 14 statistics, savings with their band; equivalents."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from nevport.energy.analysis.baseline import Day, fit, savings, t_quantile
from nevport.energy.analysis.equivalents import equivalent
from nevport.energy.quantities import Quantity


def plant(days: int, seed: int, efficiency: float = 1.0, noise: float = 0.02) -> list[Day]:
    """A plant using 2000 kWh a day plus 3 kWh a unit plus 40 kWh per cooling degree day."""
    rng = random.Random(seed)
    out = []
    for _ in range(days):
        output = rng.uniform(800, 1400)
        temp = rng.uniform(10, 32)
        kwh = (2000 + 3 * output + 40 * max(temp - 18, 0)) * efficiency
        out.append(Day(kwh * (1 + rng.gauss(0, noise)), output, temp))
    return out


def test_the_fit_recovers_the_plant_and_meets_guideline_14() -> None:
    model = fit(plant(120, seed=1))
    coefficients = dict(zip(model.terms, model.coefficients, strict=True))
    assert coefficients["output"] == pytest.approx(3, rel=0.1)
    assert coefficients["cdd"] == pytest.approx(40, rel=0.15)
    assert model.cv_rmse == pytest.approx(0.02, rel=0.25)
    assert abs(model.nmbe) < 1e-9  # least squares with an intercept has no bias
    assert model.meets_guideline_14


def test_six_percent_savings_reach_a_five_percent_target_with_confidence() -> None:
    model = fit(plant(120, seed=1))
    result = savings(model, plant(60, seed=2, efficiency=0.94), target=0.05)
    assert result.fraction == pytest.approx(0.06, abs=0.006)
    assert result.target_met
    assert 0 < result.uncertainty_kwh < 0.01 * result.adjusted_baseline_kwh
    assert result.target_met_with_confidence


def test_noisy_data_widen_the_band_below_the_target() -> None:
    model = fit(plant(30, seed=3, noise=0.12))
    result = savings(model, plant(10, seed=4, efficiency=0.94, noise=0.12), target=0.05)
    assert result.uncertainty_kwh > 0.03 * result.adjusted_baseline_kwh
    assert not result.target_met_with_confidence
    assert not model.meets_guideline_14 or model.cv_rmse > 0.1


def test_constant_temperature_drops_the_degree_day_terms() -> None:
    days = [Day(d.energy_kwh, d.output, 15.0) for d in plant(20, seed=5)]
    assert fit(days).terms == ("intercept", "output", "hdd")[:2]


def test_too_few_days_are_refused() -> None:
    with pytest.raises(ValueError, match="3 baseline days, need at least 10"):
        fit(plant(3, seed=6))


@pytest.mark.parametrize(("dof", "exact"), [(5, 2.015), (10, 1.812), (30, 1.697), (120, 1.658)])
def test_t_quantile_matches_the_table(dof: int, exact: float) -> None:
    assert t_quantile(0.95, dof) == pytest.approx(exact, rel=0.002)


def test_equivalents_of_a_megawatt_hour_and_of_gas() -> None:
    power = equivalent(Quantity.active_energy_import, Decimal(1000))
    assert power.coal_kgce == Decimal("122.9000")
    assert power.co2_kg == Decimal("536.6000")
    regional = equivalent(Quantity.active_energy_import, Decimal(1000), Decimal("0.6"))
    assert regional.co2_kg == Decimal("600.0")
    assert equivalent(Quantity.gas_volume, Decimal(100)).co2_kg == Decimal("218.4000")
    with pytest.raises(ValueError, match="no equivalence factors for voltage"):
        equivalent(Quantity.voltage, Decimal(1))

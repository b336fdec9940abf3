"""Metric stories: a passive driver commits the infractions each metric is there to catch."""

from __future__ import annotations

import pytest

from nevport.sim.metrics import CRITERIA, Criterion, register, verdict
from nevport.sim.runner import run_variants
from nevport.sim.scenario import find_scenario

CRUISE = "tests.sim.drivers:Cruise"


def _m(
    sid: str,
    driver: str = CRUISE,
    weather: str = "clear",
    overrides: dict[str, float] | None = None,
) -> dict[str, float]:
    r = run_variants(find_scenario(sid), weather, [0], 0, driver, overrides)[0]
    return r["metrics"]


def test_running_a_red_light_is_counted_and_stopping_is_not() -> None:
    assert _m("ur_signal_red")["red_light"] == 1.0
    assert _m("ur_signal_red", "reference")["red_light"] == 0.0


def test_rolling_through_a_stop_sign_is_a_violation() -> None:
    assert _m("ur_stop_sign", overrides={"cross_kmh": 30.0})["stop_sign"] == 1.0
    assert _m("ur_stop_sign", "reference")["stop_sign"] == 0.0


def test_collision_records_impact_speed_and_lowers_the_driving_score() -> None:
    m = _m("ncap_ccrs", overrides={"vut_kmh": 40.0, "offset_m": 0.0})
    assert m["collision"] == 1.0
    assert m["impact_speed"] == pytest.approx(40 / 3.6, rel=0.01)  # never braked: full speed
    assert m["driving_score"] == pytest.approx(0.6 * m["route_completion"], abs=1e-5)


def test_ttc_thw_and_drac_describe_a_close_following_situation() -> None:
    m = _m("ncap_ccrb", "reference", overrides={"headway_m": 12.0, "decel": 6.0})
    assert m["collision"] == 0.0
    assert 0.0 < m["min_ttc"] < 3.0
    assert 0.0 < m["min_thw"] < 12.0 / (50 / 3.6) + 0.01  # never above the initial headway
    assert m["drac_max"] > 1.0


def test_pet_measures_how_close_a_crossing_was() -> None:
    passive = _m("ur_cyclist_crossing")
    careful = _m("ur_cyclist_crossing", "reference")
    assert careful["pet"] > passive["pet"] >= 0.0


def test_speeding_and_comfort_are_measured_against_limits() -> None:
    m = _m("ur_school_zone", overrides={"trigger": 175.0})
    assert m["speeding"] == pytest.approx(0.0, abs=0.01)  # holds exactly 30 km/h
    fast = run_variants(
        find_scenario("hw_curve_speed"), "clear", [0], 0, CRUISE, {"speed_kmh": 120.0}
    )[0]["metrics"]
    # at least what the bend demands, at most what the tyres give (mu g, clear: 0.85 x 9.81)
    assert (120 / 3.6) ** 2 / 250.0 <= fast["lat_acc_max"] <= 0.85 * 9.81 * 1.05


def test_registry_refuses_a_second_criterion_with_the_same_name() -> None:
    class Again(Criterion):
        name = "no_collision"

        def passes(self, m: dict[str, float], threshold: float | None) -> bool:
            return True

    with pytest.raises(ValueError, match="registered twice"):
        register(Again)
    assert CRITERIA["no_collision"] is not Again


def test_verdict_lists_failed_criteria_with_thresholds() -> None:
    m = {"collision": 0.0, "min_ttc": 1.2, "route_completion": 0.5}
    ok, failed = verdict(m, (("no_collision", None), ("min_ttc", 1.0), ("route_completion", None)))
    assert not ok
    assert failed == ["route_completion"]
    assert verdict(m, (("min_ttc", 1.5),)) == (False, ["min_ttc"])

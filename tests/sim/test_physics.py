"""Physical stories: braking, stopping, friction and the traffic model."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pytest

from nevport.sim.dynamics import G, friction_limit
from nevport.sim.runner import run_variants, simulate
from nevport.sim.scenario import find_scenario, load_scenario
from nevport.sim.step import step
from nevport.sim.traffic import idm_acceleration
from nevport.sim.weather import PRESETS, custom_weather, get_weather
from nevport.sim.workload import ring_workload
from tests.sim.drivers import BrakeOnSight

BRAKE_SCENARIO = """\
id: brake_test
title: {en: braking test, zh: 制动测试}
category: highway
map: ncap_track
duration: 20
parameters:
  kmh: {default: 72}
ego: {lane: 0, s: 20, speed_kmh: $kmh, set_speed_kmh: $kmh, route_end: 560}
actors:
  - {id: wall, type: static, lane: 0, s: 300, length: 1, width: 3, behaviour: fixed}
"""


@pytest.fixture
def brake_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "brake.yaml"
    path.write_text(BRAKE_SCENARIO, encoding="utf-8")
    return path


def _stop_distance(path: Path, mu: float, kmh: float) -> float:
    """Distance [m] driven from the wall entering sensor range to standstill."""
    scn = load_scenario(path)
    weather = custom_weather("clear", mu=mu, detect_prob=1.0)
    rec, *_ = simulate(scn, weather, [0], 0, "tests.sim.drivers:BrakeOnSight", {"kmh": kmh})
    s, v = rec.stacked("s")[:, 0, 0], rec.stacked("v")[:, 0, 0]
    seen = np.argmax(rec.stacked("s")[:, 0, 1] - s <= weather.sensor_range)
    stopped = np.argmax(v <= 0.0)
    return float(s[stopped] - s[seen])


@pytest.mark.parametrize("mu", [0.85, 0.5, 0.25])
def test_braking_distance_matches_v2_over_2_mu_g_plus_reaction(
    brake_scenario: Path, mu: float
) -> None:
    v = 20.0  # [m/s]
    dist = _stop_distance(brake_scenario, mu, v * 3.6)
    expected = v * BrakeOnSight.REACTION + v**2 / (2 * mu * G)
    # tolerance 2 %: the wall enters range between two 0.05 s frames (up to v * dt = 1 m)
    assert dist == pytest.approx(expected, rel=0.02), (dist, expected)


def test_braking_distance_grows_as_friction_falls(brake_scenario: Path) -> None:
    dists = [_stop_distance(brake_scenario, mu, 72.0) for mu in (0.9, 0.6, 0.3)]
    assert dists[0] < dists[1] < dists[2]
    braking = [d - 20.0 * BrakeOnSight.REACTION for d in dists]
    assert braking[2] / braking[0] == pytest.approx(3.0, rel=0.05)  # braking part goes as 1/mu


def test_reference_ads_stops_before_a_stationary_obstacle(brake_scenario: Path) -> None:
    r = run_variants(load_scenario(brake_scenario), "clear", [0], driver="reference")[0]
    assert r["metrics"]["collision"] == 0.0
    assert r["metrics"]["min_speed"] == 0.0  # it came to a stop, it did not steer around


def test_friction_circle_caps_combined_acceleration() -> None:
    a, k = friction_limit(np.array([-9.0]), np.array([0.02]), np.array([20.0]), np.array([0.3]))
    assert float(np.hypot(a, 20.0**2 * k)[0]) == pytest.approx(0.3 * G)
    a2, k2 = friction_limit(np.array([-1.0]), np.array([0.0]), np.array([20.0]), np.array([0.9]))
    assert (a2[0], k2[0]) == (-1.0, 0.0)  # inside the circle nothing changes


def test_idm_free_road_reaches_desired_speed_and_brakes_for_a_standing_car() -> None:
    one = np.ones(1)
    free = idm_acceleration(
        30.0 * one, 30.0 * one, 1e4 * one, 0 * one, 1.5 * one, 1.4 * one, 2.0 * one, 2.0 * one
    )
    assert abs(free[0]) < 1e-3
    close = idm_acceleration(
        20.0 * one, 30.0 * one, 20.0 * one, 20.0 * one, 1.5 * one, 1.4 * one, 2.0 * one, 2.0 * one
    )
    assert close[0] < -5.0


def test_ring_traffic_never_collides_and_keeps_moving() -> None:
    state, params = ring_workload(vehicles=50, batch=3, seed=4)
    controls = np.zeros((3, 2))
    lanes_changed = 0
    for _ in range(600):  # 30 s
        before = params.road.lane_of(state.d)
        state = step(state, controls, params)
        lanes_changed += int((params.road.lane_of(state.d) != before).sum())
        lane = params.road.lane_of(state.d)
        for b in range(3):
            for ln in range(4):
                s = np.sort(state.s[b][lane[b] == ln])
                if len(s) > 1:
                    gaps = np.diff(np.concatenate([s, [s[0] + 2000.0]]))
                    assert gaps.min() > 4.5  # no two cars overlap in a lane (4.5 m long)
    assert state.v.mean() > 15.0
    assert lanes_changed > 0  # MOBIL acts


def test_snow_makes_a_hard_braking_lead_unavoidable_for_the_reference_ads() -> None:
    scn = find_scenario("ncap_ccrb")  # single lane: braking is the only way out
    hard = {"headway_m": 12.0, "decel": 6.0}
    clear = run_variants(scn, "clear", [0], overrides=hard)[0]
    snow = run_variants(scn, "snow", [0], overrides=hard)[0]
    assert clear["metrics"]["collision"] == 0.0
    assert snow["metrics"]["collision"] == 1.0
    assert snow["metrics"]["impact_speed"] > 1.0
    assert get_weather("snow").mu < get_weather("clear").mu


def test_a_passive_driver_in_a_bend_fails_comfort_and_the_failure_has_plot_series() -> None:
    scn = find_scenario("hw_curve_speed")  # no other actors at all
    r = run_variants(
        scn, "clear", [0], driver="tests.sim.drivers:Cruise", overrides={"speed_kmh": 120.0}
    )[0]
    assert r["verdict"] == "fail"
    assert "comfort_lateral" in r["failed"]
    assert r["metrics"]["lat_acc_max"] > 4.0  # (120/3.6)^2 / 250 m = 4.4 m/s^2
    assert len(r["series"]["t"]) == len(r["series"]["ttc"]) > 10


YIELD_SCENARIO = """\
id: yield_test
title: {en: traffic yields, zh: 礼让行人}
category: urban
map: urban_street
duration: 25
ego: {lane: 0, s: 10, speed_kmh: 0}
actors:
  - {id: car, type: car, lane: 0, s: 200, speed_kmh: 40}
  - {id: oncoming, type: car, lane: 1, s: 420, speed_kmh: 40}
  - {id: ped, type: pedestrian, speed_kmh: 4, start: walking, path: [[300, -3], [300, 10]]}
"""


def test_traffic_stops_for_a_pedestrian_on_the_crosswalk_then_drives_on(tmp_path: Path) -> None:
    path = tmp_path / "yield.yaml"
    path.write_text(YIELD_SCENARIO, encoding="utf-8")
    rec, *_ = simulate(
        load_scenario(path), get_weather("clear"), [0], 0, "tests.sim.drivers:Cruise"
    )
    s, d = rec.stacked("s")[:, 0], rec.stacked("d")[:, 0]
    ped_on = (d[:, 3] > 0.0) & (d[:, 3] < 7.0)
    car_front, onc_front = s[:, 1] + 2.35, s[:, 2] - 2.35
    assert ped_on.any()
    assert (car_front[ped_on] < 298.0).all()  # forward car waits before the near edge
    assert (onc_front[ped_on] > 302.0).all()  # oncoming car waits before its near edge
    assert car_front[-1] > 310.0
    assert onc_front[-1] < 290.0


STOP_SCENARIO = """\
id: stop_test
title: {en: traffic stops at a stop sign, zh: 停车让行}
category: urban
map: urban_stop
duration: 25
ego: {lane: 0, s: 10, speed_kmh: 0}
actors:
  - {id: car, type: car, lane: 0, s: 90, speed_kmh: 40}
  - {id: follower, type: car, lane: 0, s: 60, speed_kmh: 40}
"""


def test_traffic_stops_at_a_stop_sign_then_goes_one_after_the_other(tmp_path: Path) -> None:
    path = tmp_path / "stop.yaml"
    path.write_text(STOP_SCENARIO, encoding="utf-8")
    rec, *_ = simulate(
        load_scenario(path), get_weather("clear"), [0], 0, "tests.sim.drivers:Cruise"
    )
    s, v = rec.stacked("s")[:, 0], rec.stacked("v")[:, 0]
    for j in (1, 2):
        front = s[:, j] + 2.35
        near_line = (front > 147.0) & (front <= 150.5)
        assert near_line.any()
        assert v[near_line, j].min() < 0.3
        assert front[-1] > 180.0  # and then crossed the junction


def test_the_reference_ads_plans_with_friction_it_estimates_from_perceived_cues(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nevport.sim import ads
    from nevport.sim.sensors import Observation

    def cues(w: str) -> Observation:
        weather = get_weather(w)
        fake = {
            "precipitation": np.array([weather.rain_mm_h]),
            "snowfall": np.array([weather.snowfall > 0.5]),
            "visibility": np.array([weather.mor]),
        }
        return cast(Observation, type("Cues", (), fake))

    est = {w: float(ads.friction_estimate(cues(w))[0]) for w in PRESETS}
    assert est["snow"] == 0.2
    assert est["heavy_rain"] == 0.5
    assert est["fog_50"] == 0.7
    assert est["clear"] == est["night"] == 0.8
    assert all(est[w] <= get_weather(w).mu for w in PRESETS)  # never above the truth
    # a pedestrian on a crosswalk in snow: planning with the estimate the ADS stops in time
    # in every variant; planning as on a dry road it does not
    scn = find_scenario("ur_ped_crosswalk")
    aware = run_variants(scn, "snow", list(range(10)), seed=0)
    monkeypatch.setattr(ads, "friction_estimate", lambda obs: np.full(obs.t.shape, 0.8))
    dry = run_variants(scn, "snow", list(range(10)), seed=0)
    assert sum(r["metrics"]["collision"] for r in aware) == 0
    assert all(r["metrics"]["ped_yield"] == 0 for r in aware)
    assert sum(r["verdict"] == "pass" for r in dry) < sum(r["verdict"] == "pass" for r in aware)

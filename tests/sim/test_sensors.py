"""Perception stories: fog shortens range, occlusion hides, night hides the unlit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nevport.sim.build import build, concrete
from nevport.sim.scenario import find_scenario, load_scenario
from nevport.sim.sensors import Perception, perceive
from nevport.sim.state import PEDESTRIAN
from nevport.sim.step import step
from nevport.sim.weather import PRESETS, custom_weather, get_weather

TWO_OBJECTS = """\
id: sensor_range
title: {en: sensor range, zh: 传感器距离}
category: highway
map: ncap_track
duration: 5
parameters:
  gap: {default: 50}
ego: {lane: 0, s: 20}
actors:
  - {id: car, type: car, lane: 0, s: "20 + $gap", behaviour: fixed}
  - {id: ped, type: pedestrian, s: "20 + $gap", d: -2.5, behaviour: fixed}
"""


def _detected(tmp_path: Path, weather_name: str, gap: float, **changes: float) -> tuple[bool, bool]:
    path = tmp_path / "range.yaml"
    path.write_text(TWO_OBJECTS, encoding="utf-8")
    scn = load_scenario(path)
    weather = custom_weather(weather_name, detect_prob=1.0, **changes)
    built = build(scn, [{"gap": gap}], weather)
    obs = perceive(built.state, built.params, Perception(weather, [1], built.route_end))
    return bool(obs.obj_valid[0, 0]), bool(obs.obj_valid[0, 1])


def test_fog_shortens_detection_to_the_model_range(tmp_path: Path) -> None:
    fog = get_weather("fog_50")
    assert fog.sensor_range < 35.0 < get_weather("fog_200").sensor_range < 100.0
    assert _detected(tmp_path, "clear", 100.0)[0]
    assert not _detected(tmp_path, "fog_50", fog.sensor_range + 3.0)[0]
    assert _detected(tmp_path, "fog_50", fog.sensor_range - 3.0)[0]


def test_range_falls_monotonically_with_visibility() -> None:
    ranges = [custom_weather("clear", mor=m).sensor_range for m in (20000, 2000, 500, 200, 50)]
    assert ranges == sorted(ranges, reverse=True)
    assert ranges[0] > 140.0
    assert ranges[-1] < 35.0


def test_night_hides_an_unlit_pedestrian_but_not_a_car(tmp_path: Path) -> None:
    car, ped = _detected(tmp_path, "night", 90.0)
    assert car
    assert not ped
    assert all(_detected(tmp_path, "night", 40.0))
    assert all(_detected(tmp_path, "clear", 90.0))


def test_pedestrian_behind_a_van_is_not_perceived_until_visible() -> None:
    scn = find_scenario("ur_ped_behind_parked")
    weather = custom_weather("clear", detect_prob=1.0)
    built = build(scn, [concrete(scn, 0, 0)], weather)
    state, params = built.state, built.params
    perception = Perception(weather, [3], built.route_end)
    ped = int(np.nonzero(params.actors.kind[0] == PEDESTRIAN)[0][0])
    van_edge = -1.3 + 1.1  # [m] the van's road-side edge (d of its centre + half width)
    hidden_frames, seen_out = 0, False
    for _ in range(260):  # 13 s at a steady 40 km/h, no braking: a pure perception check
        obs = perceive(state, params, perception)
        seen, d_ped, ahead = bool(obs.obj_valid[0, ped - 1]), state.d[0, ped], obs.obj_s[0, ped - 1]
        if d_ped < van_edge - 0.5 and ahead > 8.0:
            hidden_frames += 1
            assert not seen, f"perceived at d={d_ped:.2f} m while behind the van"
        if d_ped > van_edge + 0.5 and ahead > 0:
            seen_out |= seen
        state = step(state, np.zeros((1, 2)), params)
    assert hidden_frames > 20
    assert seen_out


def test_privileged_mode_is_ground_truth() -> None:
    scn = find_scenario("hw_dense_traffic")
    weather = get_weather("fog_50")
    built = build(scn, [concrete(scn, 0, 0)], weather)
    obs = perceive(
        built.state, built.params, Perception(weather, [0], built.route_end, privileged=True)
    )
    truth = built.state.s[0, 1:] - built.state.s[0, 0]
    assert np.array_equal(obs.obj_s[0], truth)
    assert obs.obj_valid[0].all()  # all within 300 m, fog notwithstanding


def test_position_noise_grows_with_range_and_worse_weather(tmp_path: Path) -> None:
    path = tmp_path / "range.yaml"
    path.write_text(TWO_OBJECTS, encoding="utf-8")
    scn = load_scenario(path)

    def spread(weather_name: str, gap: float) -> float:
        weather = custom_weather(weather_name, detect_prob=1.0)
        built = build(scn, [{"gap": gap}] * 200, weather)
        obs = perceive(
            built.state, built.params, Perception(weather, list(range(200)), built.route_end)
        )
        return float(np.std(obs.obj_s[:, 0] - gap))

    assert spread("clear", 20.0) < spread("clear", 100.0)
    assert spread("clear", 20.0) < spread("heavy_rain", 20.0)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_degrades_no_better_than_clear(name: str) -> None:
    w, clear = get_weather(name), get_weather("clear")
    assert w.mu <= clear.mu
    assert w.sensor_range <= clear.sensor_range + 1e-9
    assert w.detect_prob <= clear.detect_prob
    assert w.speed_factor <= 1.0 <= w.headway_factor

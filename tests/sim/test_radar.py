"""Radar stories: fog barely shortens it, rain does; fusion keeps what only radar sees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nevport.sim.ads import ReferenceADS
from nevport.sim.build import build
from nevport.sim.radar import RANGE_CLEAR, attenuation_db_km, fog_water
from nevport.sim.scenario import load_scenario
from nevport.sim.sensors import Observation, Perception, perceive
from nevport.sim.weather import get_weather

STOPPED_CAR = """\
id: radar_story
title: {en: radar story, zh: 雷达}
category: highway
map: ncap_track
duration: 5
ego: {lane: 0, s: 20}
actors:
  - {id: car, type: car, lane: 0, s: 120, behaviour: fixed}
  - {id: ped, type: pedestrian, s: 120, d: 1.0, behaviour: fixed}
"""


def _frames(tmp_path: Path, weather_name: str, frames: int = 40) -> list[Observation]:
    path = tmp_path / "radar.yaml"
    path.write_text(STOPPED_CAR, encoding="utf-8")
    weather = get_weather(weather_name)
    built = build(load_scenario(path), [{}], weather)
    perception = Perception(weather, [7], built.route_end)
    return [perceive(built.state, built.params, perception) for _ in range(frames)]


def test_in_fog_50_the_radar_sees_a_stopped_car_the_camera_cannot(tmp_path: Path) -> None:
    fog = get_weather("fog_50")
    assert fog.sensor_range < 35.0  # the camera-like sensor: about 28 m
    assert fog.radar_range > 0.95 * RANGE_CLEAR  # the radar: within 5 % of clear air
    obs = _frames(tmp_path, "fog_50")  # the car's centre is 100 m ahead
    camera = np.mean([o.obj_valid[0, 0] for o in obs])
    radar = np.mean([o.radar_valid[0, 0] for o in obs])
    assert camera == 0.0
    assert radar > 0.85  # detection probability 0.95 per frame
    fused = [ReferenceADS.fuse(o) for o in obs]
    seen = [f for f, o in zip(fused, obs, strict=True) if o.radar_valid[0, 0]]
    assert all(f.obj_valid[0, 0] for f in seen)
    assert np.mean([f.obj_s[0, 0] for f in seen]) == pytest.approx(100.0, abs=0.5)
    assert np.std([f.obj_d[0, 0] for f in seen]) < 1.0  # 0.3 deg azimuth noise at 100 m


def test_the_small_pedestrian_is_beyond_radar_range_at_100_m(tmp_path: Path) -> None:
    obs = _frames(tmp_path, "clear", 10)
    assert not any(o.radar_valid[0, 1] for o in obs)  # 0.5 m^2 against 10 m^2: 0.47 x range


def test_rain_shortens_the_radar_more_than_fog() -> None:
    heavy_rain, fog = get_weather("heavy_rain"), get_weather("fog_50")
    assert heavy_rain.radar_range < fog.radar_range
    assert 140.0 < heavy_rain.radar_range < 175.0  # about 11 dB/km one way at 25 mm/h
    assert attenuation_db_km(0.0, fog_water(50.0)) == pytest.approx(0.97, abs=0.05)
    assert fog_water(50.0) == pytest.approx(0.32, abs=0.01)  # dense fog, Eldridge 1971

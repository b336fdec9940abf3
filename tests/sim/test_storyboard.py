"""Storyboard stories: triggers fire once, actions move actors and signals as written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nevport.sim.road import AMBER, GREEN, RED
from nevport.sim.runner import simulate
from nevport.sim.scenario import find_scenario, load_scenario
from nevport.sim.weather import get_weather

CRUISE = "tests.sim.drivers:Cruise"


def _run(sid: str, overrides: dict[str, float] | None = None):  # type: ignore[no-untyped-def]
    rec, params, *_ = simulate(find_scenario(sid), get_weather("clear"), [0], 0, CRUISE, overrides)
    return rec, params


def test_cut_in_moves_the_cutter_into_the_ego_lane_in_the_given_time() -> None:
    rec, params = _run("hw_cut_in_near", {"cut_duration": 2.0})
    t, d = rec.stacked("t")[:, 0], rec.stacked("d")[:, 0, 1]
    centres = params.road.lane_centres
    assert d[0] == centres[2]
    started = t[np.argmax(d < centres[2] - 0.01)]
    arrived = t[np.argmax(np.abs(d - centres[1]) < 0.01)]
    assert started == pytest.approx(0.55)  # fires at t = 0.5 s, moves from the next step on
    assert arrived - started == pytest.approx(2.0, abs=0.06)


def test_signal_actions_and_after_delays_play_amber_red_green() -> None:
    rec, _ = _run("ur_signal_amber", {"distance": 35.0})
    t, sig = rec.stacked("t")[:, 0], rec.stacked("sig")[:, 0, 0]
    changes = [
        (round(float(t[k]), 2), int(sig[k])) for k in range(1, len(t)) if sig[k] != sig[k - 1]
    ]
    assert [c[1] for c in changes] == [AMBER, RED, GREEN]
    assert changes[1][0] - changes[0][0] == pytest.approx(3.0)
    assert changes[2][0] - changes[1][0] == pytest.approx(15.0)


def test_speed_action_brakes_the_lead_at_the_given_rate() -> None:
    rec, _ = _run("hw_lead_hard_brake", {"decel": 5.0})
    v = rec.stacked("v")[:, 0, 1]
    a = np.diff(v) / 0.05
    braking = a[a < -0.1]
    assert np.allclose(braking[:-1], -5.0)  # constant until the last, partial step
    assert v[-1] == 0.0


def test_walk_starts_a_waiting_pedestrian_only_when_triggered() -> None:
    rec, _ = _run("ur_ped_crosswalk", {"trigger": 250.0})
    s_ego, d_ped = rec.stacked("s")[:, 0, 0], rec.stacked("d")[:, 0, 1]
    start = np.argmax(d_ped > -3.0)
    assert s_ego[start - 1] >= 250.0 > s_ego[start - 2]  # first step after the ego passed 250 m


PROFILE_SCENARIO = """\
id: profile_test
title: {en: speed profiles, zh: 速度曲线}
category: highway
map: test_track
duration: 12
ego: {lane: 0, s: 10, speed_kmh: 0}
actors:
  - {id: lead, type: car, lane: 1, s: 100, speed_kmh: 72, mobil: false}
storyboard:
  - name: brake
    when: {time: 1}
    do: [{speed: {actor: lead, target_kmh: 0, rate: 4, profile: PROFILE}}]
"""


@pytest.mark.parametrize("profile", ["linear", "step", "sinusoidal", "cubic"])
def test_speed_change_profiles(tmp_path: Path, profile: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE_SCENARIO.replace("PROFILE", profile), encoding="utf-8")
    rec, *_ = simulate(load_scenario(path), get_weather("clear"), [0], 0, CRUISE)
    t, v = rec.stacked("t")[:, 0], rec.stacked("v")[:, 0, 1]
    a = np.diff(v) / 0.05
    stop = float(t[np.argmax(v <= 0.0)]) - 1.0  # time from the trigger to standstill
    if profile == "linear":
        assert stop == pytest.approx(5.0, abs=0.06)
        assert a.min() == pytest.approx(-4.0)
    elif profile == "step":
        assert stop <= 0.06  # at once
    elif profile == "cubic":
        assert stop == pytest.approx(5.0, abs=0.06)  # same mean rate as linear
        assert a.min() == pytest.approx(-4.0 * 1.5, rel=0.02)  # 3 tau^2 - 2 tau^3 peaks at 1.5x
        assert a[np.argmin(a)] == a.min()
        mid = float(t[1:][np.argmin(a)]) - 1.0
        assert mid == pytest.approx(2.5, abs=0.1)  # steepest halfway, symmetric
        first = a[np.argmax(a < -1e-6)]
        assert -0.2 < first < 0.0  # starts gently
    else:
        assert stop == pytest.approx(5.0, abs=0.06)  # same mean rate as linear
        assert a.min() == pytest.approx(-4.0 * np.pi / 2, rel=0.02)  # peak of a half cosine
        first = a[np.argmax(a < -1e-6)]
        assert -0.2 < first < 0.0  # starts gently

"""Physical stories on an off-ramp: exiting traffic changes to the ramp and leaves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nevport.sim.build import build
from nevport.sim.runner import variant_rows
from nevport.sim.scenario import load_scenario
from nevport.sim.state import SimState
from nevport.sim.step import step
from nevport.sim.weather import get_weather

SCENARIO = """\
id: ramp_story
title: {{en: off-ramp story, zh: 出口匝道}}
category: highway
duration: 80
map:
  id: exit
  geometry: [{{straight: 2500}}]
  lanes:
    - {{width: 3.75, speed_limit_kmh: 80, start: 1200, end: 1500, exit: true}}
    - {{width: 3.75, speed_limit_kmh: 100}}
    - {{width: 3.75, speed_limit_kmh: 100}}
ego: {{lane: 1, s: 5, speed_kmh: 0}}
actors:
{actors}
"""


def _run(tmp_path: Path, actors: str, seconds: float) -> list[SimState]:
    path = tmp_path / "ramp.yaml"
    path.write_text(SCENARIO.format(actors=actors), encoding="utf-8")
    built = build(load_scenario(path), [{}], get_weather("clear"))
    state, params = built.state, built.params
    out = [state]
    for _ in range(round(seconds / params.dt)):
        state = step(state, np.zeros((1, 2)), params)
        out.append(state)
    return out


def _series(states: list[SimState], name: str, actor: int) -> np.ndarray:
    return np.array([getattr(st, name)[0, actor] for st in states])


def test_an_exiting_car_crosses_to_the_ramp_and_leaves_the_route(tmp_path: Path) -> None:
    actors = """\
  - {id: leaver, type: car, lane: 2, s: 300, speed_kmh: 90, exit: 1}
  - {id: stayer, type: car, lane: 2, s: 250, speed_kmh: 90}
"""
    states = _run(tmp_path, actors, 75.0)
    s1, d1 = _series(states, "s", 1), _series(states, "d", 1)
    s2, d2 = _series(states, "s", 2), _series(states, "d", 2)
    at_ramp = np.argmax(d1 < 3.75)  # first step on the ramp lane
    assert 1200.0 <= s1[at_ramp] <= 1480.0  # it changed onto the ramp before the diverge
    assert s1[-1] > 1500.0
    assert d1[-1] < -5.0  # and drove off the route
    assert np.all(d2[s2 < 2400.0] > 3.75)  # the through car never entered the ramp
    assert s2[-1] > 1600.0


def test_a_through_car_on_the_ramp_lane_leaves_it_before_the_diverge(tmp_path: Path) -> None:
    actors = "  - {id: lost, type: car, lane: 0, s: 1220, speed_kmh: 70}\n"
    states = _run(tmp_path, actors, 25.0)
    s1, d1 = _series(states, "s", 1), _series(states, "d", 1)
    assert np.all(d1[s1 > 1480.0] > 3.75)  # back on the through lanes before the end
    assert s1[-1] > 1600.0


def test_an_exiting_car_that_cannot_cross_waits_rather_than_misses_the_exit(
    tmp_path: Path,
) -> None:
    actors = """\
  - {id: leaver, type: car, lane: 2, s: 700, speed_kmh: 80, exit: 1}
  - {id: barrier, type: static, lane: 1, s: 1170, length: 540, width: 1.0, behaviour: fixed}
"""
    states = _run(tmp_path, actors, 75.0)
    s1, d1, v1 = _series(states, "s", 1), _series(states, "d", 1), _series(states, "v", 1)
    waiting = v1 < 5.0
    assert waiting.any()  # barred from the ramp until 1440 m, it braked hard in its lane
    first = np.argmax(waiting)
    assert s1[first] < 1480.0  # before the last point where it could still change
    assert d1[first] > 3.75  # while still off the ramp
    assert s1[np.argmax(d1 < 3.75)] < 1480.0  # then crossed to the ramp in time
    assert d1[-1] < -5.0  # and left the route


def test_a_share_of_the_traffic_exits_by_uniform_parameters(tmp_path: Path) -> None:
    actor = '  - {id: car, type: car, lane: 1, s: 300, speed_kmh: 90, exit: "$u + $share - 0.5"}'
    text = (
        SCENARIO.format(actors=actor)
        + "parameters:\n  u: {default: 0, range: [0, 1]}\n  share: {default: 0.3}\n"
    )
    path = tmp_path / "share.yaml"
    path.write_text(text, encoding="utf-8")
    scn = load_scenario(path)
    built = build(scn, variant_rows(scn, list(range(1, 401)), 0), get_weather("clear"))
    assert built.params.exits is not None
    assert built.params.exits[:, 1].mean() == pytest.approx(0.3, abs=0.06)  # 400 draws

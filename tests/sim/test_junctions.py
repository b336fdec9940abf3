"""Physical stories at junctions: queues on arms, turning off the route, gap acceptance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nevport.sim.build import build
from nevport.sim.junction import T_CRIT_THROUGH
from nevport.sim.scenario import load_scenario
from nevport.sim.state import SimState
from nevport.sim.step import step
from nevport.sim.weather import get_weather

MAP = """\
map:
  id: cross
  geometry: [{{straight: 400}}]
  lanes:
    - {{width: 3.5, speed_limit_kmh: 50, marking_left: solid}}
    - {{width: 3.5, speed_limit_kmh: 50, direction: backward, marking_left: none}}
  {extra}
  junctions:
    - id: main
      s: 200
      width: 14
      arms:
        - {{id: south, angle: -90, {south}}}
        - {{id: north, angle: 90}}
"""

HEAD = """\
id: junction_story
title: {{en: junction story, zh: 路口}}
category: urban
duration: 60
ego: {{lane: 0, s: 5, speed_kmh: 0}}
"""


def _run(tmp_path: Path, body: str, seconds: float, **fmt: str) -> list[SimState]:
    """States every step of a scenario whose ego stands still at s = 5 m."""
    text = HEAD.format() + MAP.format(**{"extra": "", "south": "", **fmt}) + body
    path = tmp_path / "story.yaml"
    path.write_text(text, encoding="utf-8")
    built = build(load_scenario(path), [{}], get_weather("clear"))
    state, params = built.state, built.params
    controls = np.zeros((1, 2))
    out = [state]
    for _ in range(round(seconds / params.dt)):
        state = step(state, controls, params)
        out.append(state)
    return out


def _series(states: list[SimState], name: str, actor: int) -> np.ndarray:
    return np.array([getattr(st, name)[0, actor] for st in states])


RED_ARM = "control: signal, program: [{state: red, duration: 30}, {state: green, duration: 30}]"
TWO_CROSSING = """\
actors:
  - {id: first, type: car, speed_kmh: 40, start: walking, connection: "main:south>north"}
  - {id: second, type: car, speed_kmh: 40, start: walking, connection: "main:south>north",
     approach: 70}
"""


def test_a_red_arm_signal_builds_a_queue_that_leaves_on_green(tmp_path: Path) -> None:
    states = _run(tmp_path, TWO_CROSSING, 45.0, south=RED_ARM)
    p1, p2 = _series(states, "p", 1), _series(states, "p", 2)
    v1, v2 = _series(states, "v", 1), _series(states, "v", 2)
    at_29 = round(29.0 / 0.05)
    line = 50.0 - 7.0  # [m] approach minus half the box: the stop line along the path
    front1 = p1[at_29] + 0.5 * 4.7
    assert v1[at_29] < 0.1
    assert v2[at_29] < 0.1
    assert line - 3.0 < front1 <= line  # the first stops about s0 = 2 m before its line
    gap = (p1 + 20.0) - p2 - 4.7  # the second's path starts 20 m further out
    assert 1.5 < gap[at_29] < 3.0  # the second queues at about the IDM minimum gap s0 = 2 m
    assert p1[-1] > 60.0
    assert p2[-1] > 60.0
    assert np.all(gap[p1 < p1.max()] > 1.0)  # never close up (until the first has left)


TURNING = """\
actors:
  - {id: turner, type: car, speed_kmh: 40, start: walking, connection: "main:route>south",
     approach: 80}
  - {id: follower, type: car, lane: 0, s: 90, speed_kmh: 40}
"""


def test_a_car_turns_right_off_the_route_and_the_follower_goes_on(tmp_path: Path) -> None:
    states = _run(tmp_path, TURNING, 30.0)
    d1, v1 = _series(states, "d", 1), _series(states, "v", 1)
    s2, v2 = _series(states, "s", 2), _series(states, "v", 2)
    s1 = _series(states, "s", 1)
    assert d1[-1] < -20.0  # the turner has left down the south arm
    in_turn = (s1 > 193.0) & (d1 < 1.0) & (d1 > -5.0)
    assert v1[in_turn].max() < 7.5  # it took the turn slowly (radius about 10 m at 2.5 m/s^2)
    assert v2[in_turn].min() < 10.0  # the follower slowed behind it
    gap = s1 - s2 - 4.7
    on_route = d1 > 0.0
    assert np.all(gap[on_route] > 1.0)  # without closing up while it was still on the lane
    assert v2[-1] > 10.5
    assert s2[-1] > 250.0


STOP_MINOR = """\
actors:
  - {id: minor, type: car, speed_kmh: 30, start: walking, connection: "main:south>north",
     approach: 40}
  - {id: major, type: car, lane: 0, s: 60, speed_kmh: 50}
"""


def test_a_stop_sign_driver_waits_for_a_gap_of_the_critical_headway(tmp_path: Path) -> None:
    states = _run(tmp_path, STOP_MINOR, 30.0, south="control: stop")
    p1, v1 = _series(states, "p", 1), _series(states, "v", 1)
    s2, v2 = _series(states, "s", 2), _series(states, "v", 2)
    stopped = np.nonzero(v1 < 0.3)[0]
    assert stopped.size > 0  # it stopped at the line
    go = stopped[-1]  # last step at rest: it accepted the gap here
    eta = (193.0 - (s2[go] + 2.35)) / max(v2[go], 0.1)
    passed = s2[go] - 2.35 > 207.0
    assert passed or eta >= T_CRIT_THROUGH - 0.05
    # the major car arrived about 2.5 s after the minor car stopped: it had to wait
    assert go * 0.05 > (207.0 - 60.0) / (50 / 3.6) - 2.0
    assert p1[-1] > 60.0  # and then crossed


@pytest.mark.parametrize("major_first", [True, False])
def test_route_stop_sign_waits_for_crossing_traffic(tmp_path: Path, major_first: bool) -> None:
    body = """\
actors:
  - {id: car, type: car, lane: 0, s: 150, speed_kmh: 30}
  - {id: cross, type: car, speed_kmh: 40, start: walking, connection: "main:south>north",
     approach: %s}
""" % (90 if major_first else 300)
    states = _run(tmp_path, body, 40.0, extra="stop_signs: [{s: 190}]")
    s1, v1 = _series(states, "s", 1), _series(states, "v", 1)
    p2, v2 = _series(states, "p", 2), _series(states, "v", 2)
    rest = np.nonzero(v1 < 0.3)[0]
    assert rest.size > 0
    assert abs(s1[rest[0]] + 2.35 - 190.0) < 3.0
    go = rest[-1]
    eta = (90.0 - 7.0 - (p2[go] + 2.35)) / max(v2[go], 0.1) if major_first else np.inf
    if major_first:  # the crossing car must have passed the box, or be more than t_c away
        assert p2[go] - 2.35 > 90.0 + 7.0 - 1.0 or eta >= T_CRIT_THROUGH - 0.05
    else:
        assert eta == np.inf
        assert go * 0.05 < 12.0
    assert s1[-1] > 220.0

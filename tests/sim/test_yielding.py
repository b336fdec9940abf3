"""Physical stories of yielding at junctions: turning cars wait for pedestrians on the
crosswalk of their path and for gaps in oncoming traffic; storyboard actions switch arm
signals."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from nevport.sim import crosswalks
from nevport.sim.build import build
from nevport.sim.crosswalks import T_ENTER
from nevport.sim.errors import SchemaError
from nevport.sim.junction import T_CRIT_PERMISSIVE, T_FOLLOW_PERMISSIVE, YIELD_BEFORE
from nevport.sim.runner import simulate, variant_rows
from nevport.sim.scenario import find_scenario, load_scenario
from nevport.sim.state import SimParams, SimState
from nevport.sim.step import step
from nevport.sim.traffic import FAR
from nevport.sim.weather import get_weather

HEAD = """\
id: yield_story
title: {en: yielding story, zh: 让行}
category: urban
duration: 60
ego: {lane: 0, s: 5, speed_kmh: 0}
map:
  id: cross
  geometry: [{straight: 400}]
  lanes:
    - {width: 3.5, speed_limit_kmh: 50, marking_left: solid}
    - {width: 3.5, speed_limit_kmh: 50, direction: backward, marking_left: none}
  junctions:
    - id: main
      s: 200
      width: 14
      arms:
        - {id: south, angle: -90, crosswalk: 4, %s}
        - {id: north, angle: 90}
"""
NEAR, FAR_EDGE = 193.0, 207.0  # [m] the box along the route
HALF = 2.35  # [m] half a car length


def _run(tmp_path: Path, body: str, seconds: float, south: str = "control: priority"):
    path = tmp_path / "story.yaml"
    path.write_text(HEAD % south + body, encoding="utf-8")
    built = build(load_scenario(path), [{}], get_weather("clear"))
    state, params = built.state, built.params
    out = [state]
    for _ in range(round(seconds / params.dt)):
        state = step(state, np.zeros((1, 2)), params)
        out.append(state)
    return out, params


def _series(states: list[SimState], name: str, actor: int) -> np.ndarray:
    return np.array([getattr(st, name)[0, actor] for st in states])


RIGHT_TURN = """\
actors:
  - {id: turner, type: car, speed_kmh: 40, start: walking, connection: "main:route>south",
     approach: 80}
  - {id: ped, type: pedestrian, start: %s, path: [[%s, -5.5], [214, -5.5]]}
"""


def _on_zone(params: SimParams, s: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Whether points lie on the south arm's crosswalk (painted area plus 0.5 m)."""
    z = crosswalks.zones(params.road)
    return (np.abs(s - z.s[0]) <= z.half_len[0]) & (np.abs(d - z.d[0]) <= z.half_wid[0])


def test_a_turning_car_stops_for_a_pedestrian_on_the_crosswalk_then_goes(tmp_path: Path) -> None:
    states, params = _run(tmp_path, RIGHT_TURN % ("walking", 186), 30.0)
    assert params.links is not None
    entry = params.links.crossing[0, 1, 0]  # path length where the path enters the crosswalk
    assert np.isfinite(entry)
    p, v = _series(states, "p", 1), _series(states, "v", 1)
    ped_on = _on_zone(params, _series(states, "s", 2), _series(states, "d", 2))
    assert ped_on.any()
    # while the pedestrian is on the crosswalk the car's front never enters it ...
    assert np.all(p[ped_on] + HALF <= entry + 0.05)
    # ... it comes to rest before it, at about the IDM minimum gap s0 = 2 m ...
    rest = np.nonzero(v < 0.1)[0][0]
    assert entry - 3.0 < p[rest] + HALF <= entry
    assert ped_on[rest]
    # ... and drives on once the pedestrian has left it (after IDM's start-up)
    left = np.nonzero(ped_on)[0][-1]
    go = rest + np.nonzero(v[rest:] > 0.5)[0][0]
    assert left < go <= left + round(1.5 / 0.05)
    assert p[-1] > entry + 20.0


def test_a_waiting_pedestrian_beside_the_crosswalk_does_not_stop_the_car(tmp_path: Path) -> None:
    states, _ = _run(tmp_path, RIGHT_TURN % ("waiting", 190), 12.0)
    v = _series(states, "v", 1)
    assert v.min() > 4.0  # it only slowed for the turn


@pytest.mark.parametrize("t_enter", [T_ENTER, 0.0])
def test_a_pedestrian_about_to_enter_stops_the_car(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, t_enter: float
) -> None:
    # the pedestrian steps onto the crosswalk just as the car would reach it: a driver who
    # looks T_ENTER ahead has stopped by then, one who waits until it is on has not
    monkeypatch.setattr(crosswalks, "T_ENTER", t_enter)
    states, params = _run(tmp_path, RIGHT_TURN % ("walking", 184.2), 30.0)
    assert params.links is not None
    entry = params.links.crossing[0, 1, 0]
    p, v = _series(states, "p", 1), _series(states, "v", 1)
    ped_on = _on_zone(params, _series(states, "s", 2), _series(states, "d", 2))
    first_on = np.nonzero(ped_on)[0][0]
    if t_enter > 0:
        assert v[first_on] < 1.0
        assert p[first_on] + HALF < entry
        assert np.all(p[ped_on] + HALF <= entry + 0.05)
    else:  # the car is already on the crosswalk when the pedestrian steps on
        assert p[first_on] + HALF > entry
        assert v[p < p.max() - 1.0].min() > 3.0  # (until it has left the scene)


CYCLIST_ON_CROSSWALK = """\
actors:
  - {id: turner, type: car, speed_kmh: 40, start: walking, connection: "main:route>south",
     approach: 80}
  - {id: bike, type: cyclist, speed_kmh: 18, start: walking, path: [[150, -5.5], [260, -5.5]]}
"""


@pytest.mark.parametrize("rule", [True, False])
def test_a_turning_car_stops_for_a_cyclist_on_the_crosswalk_then_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rule: bool
) -> None:
    # at 18 km/h the cyclist covers 10 m in T_ENTER: the driver stops before it is on
    if not rule:  # no heading counts as crossing: drivers ignore cyclists
        monkeypatch.setattr(crosswalks, "CROSSING_ANGLE", 2.0)
    states, params = _run(tmp_path, CYCLIST_ON_CROSSWALK, 30.0)
    assert params.links is not None
    entry = params.links.crossing[0, 1, 0]
    p, v = _series(states, "p", 1), _series(states, "v", 1)
    bike_on = _on_zone(params, _series(states, "s", 2), _series(states, "d", 2))
    first_on, left = np.nonzero(bike_on)[0][[0, -1]]
    if rule:
        assert v[first_on] < 1.0  # already (nearly) at rest when the cyclist rides on
        assert np.all(p[bike_on] + HALF <= entry + 0.05)
        rest = np.nonzero(v < 0.1)[0][0]
        assert entry - 3.0 < p[rest] + HALF <= entry
        go = rest + np.nonzero(v[rest:] > 0.5)[0][0]
        assert left < go <= left + round(1.5 / 0.05)  # and goes once it has left
        assert p[-1] > entry + 20.0
    else:  # the car is on the crosswalk when the cyclist rides on, and never stopped
        assert p[first_on] + HALF > entry
        assert v[: left + 1].min() > 3.0


@pytest.mark.parametrize(("heading", "counts"), [(np.pi / 2, True), (0.0, False)])
def test_only_a_cyclist_crossing_occupies_a_crosswalk(heading: float, counts: bool) -> None:
    # the route crosswalk of urban_street spans the road; a cyclist on it riding across the road
    # occupies it, one riding along the road through it does not
    scn = find_scenario("ur_cyclist_crossing")
    built = build(scn, variant_rows(scn, [0], 0), get_weather("clear"))
    state, params = built.state, built.params
    z = crosswalks.zones(params.road)
    bike = params.actor_ids.index("bike")
    state = state.replace(
        s=np.where(np.arange(state.s.shape[1]) == bike, z.s[0], state.s),
        d=np.where(np.arange(state.s.shape[1]) == bike, z.d[0], state.d),
        psi=np.where(np.arange(state.s.shape[1]) == bike, heading, state.psi),
    )
    assert bool(crosswalks.occupied(state, params, z)[0, 0]) is counts


def test_an_arm_stop_line_lies_before_its_crosswalk(tmp_path: Path) -> None:
    body = 'actors:\n  - {id: c, type: car, speed_kmh: 30, connection: "main:south>north"}\n'
    _, params = _run(tmp_path, body, 0.0)
    assert params.links is not None
    line, entry = params.links.line[0, 1], params.links.crossing[0, 1, 0]
    assert line == pytest.approx(50.0 - 7.0 - 4.0)  # approach - half box - crosswalk width
    assert line <= entry + 0.5  # the crosswalk (with its 0.5 m margin) starts at the line


CROSSING = """\
actors:
  - {id: cross, type: car, speed_kmh: 30, start: walking, connection: "main:south>north",
     approach: 40}
"""
RED_ARM = "control: signal, program: [{state: red, duration: 60}, {state: green, duration: 5}]"
GREEN_ARM = "control: signal, program: [{state: green, duration: 60}, {state: red, duration: 5}]"


def _signal_action(state: str, at: float) -> str:
    return f"""\
storyboard:
  - name: switch
    when: {{time: {at}}}
    do: [{{signal: {{id: "main:south", state: {state}}}}}]
"""


@pytest.mark.parametrize("switch", [False, True])
def test_a_storyboard_action_turns_an_arm_signal_green(tmp_path: Path, switch: bool) -> None:
    body = CROSSING + (_signal_action("green", 8.0) if switch else "")
    states, params = _run(tmp_path, body, 25.0, south=RED_ARM)
    assert params.links is not None
    line = params.links.line[0, 1]
    p, v = _series(states, "p", 1), _series(states, "v", 1)
    at_8 = round(8.0 / 0.05)
    assert v[at_8] < 0.1  # waiting at red by the arm's own program
    assert line - 3.0 < p[at_8] + HALF <= line
    if switch:  # the action overrides the program: it goes at once and crosses
        go = np.nonzero(v[at_8:] > 0.5)[0][0] + at_8
        assert go * 0.05 < 9.5
        assert p[-1] > line + 30.0
    else:
        assert p[-1] + HALF <= line


def test_a_storyboard_action_holds_an_arm_at_red(tmp_path: Path) -> None:
    states, params = _run(tmp_path, CROSSING + _signal_action("red", 0.0), 25.0, south=GREEN_ARM)
    assert params.links is not None
    p, v = _series(states, "p", 1), _series(states, "v", 1)
    assert v[-1] < 0.1
    assert params.links.line[0, 1] - 3.0 < p[-1] + HALF <= params.links.line[0, 1]


def test_an_unknown_signal_names_the_arm_signals(tmp_path: Path) -> None:
    body = CROSSING + _signal_action("green", 1.0).replace("main:south", "main:west")
    with pytest.raises(SchemaError, match="main:south"):
        _run(tmp_path, body, 0.0, south=RED_ARM)


LEFT_TURN = """\
actors:
  - {id: turner, type: car, speed_kmh: 40, start: walking, connection: "main:route>north",
     approach: 80}
"""
ONCOMING = """\
  - {id: on1, type: car, lane: 1, s: 300, speed_kmh: 40}
  - {id: on2, type: car, lane: 1, s: 330, speed_kmh: 40}
  - {id: on3, type: car, lane: 1, s: 420, speed_kmh: 40}
"""


def test_a_left_turner_waits_for_a_gap_in_oncoming_traffic(tmp_path: Path) -> None:
    states, params = _run(tmp_path, LEFT_TURN + ONCOMING, 30.0)
    assert params.links is not None
    line, t_c = params.links.line[0, 1], params.links.t_crit[0, 1]
    wait_at = params.links.axis[0, 1] - YIELD_BEFORE  # short of the oncoming lane, in the box
    assert line < wait_at < line + 14.0
    assert t_c == T_CRIT_PERMISSIVE["priority"]
    p, v = _series(states, "p", 1), _series(states, "v", 1)
    t = np.array([st.t[0] for st in states])
    accepted = states[-1].accepted_at[0, 1]
    k = round(accepted / 0.05)
    # it stopped short of the oncoming lane while the first two (2.7 s apart) went by ...
    rest = np.nonzero(v < 0.1)[0]
    assert rest.size > 0
    assert wait_at - 3.0 < p[rest[0]] + HALF <= wait_at
    assert np.all(p[: k + 1] + HALF <= wait_at + 0.05)
    s1, d1 = _series(states, "s", 1), _series(states, "d", 1)
    for j in (2, 3, 4):
        s_j, v_j = _series(states, "s", j), _series(states, "v", j)
        passed = s_j[k] + HALF < NEAR  # its rear has left the box
        lag = (s_j[k] - HALF - FAR_EDGE) / v_j[k]  # its front's time to the box
        assert passed or lag >= t_c  # ... and it turned in a gap of at least t_c
        if not passed:  # the next one only lifts off as the turner clears its lane
            dist = np.hypot(s_j - s1, _series(states, "d", j) - d1)
            assert dist[k:].min() > 10.0
            assert (np.diff(v_j) / 0.05).min() > -3.0
    assert _series(states, "s", 3)[k] + HALF < NEAR  # it waited for the second one
    assert p[-1] > line + 30.0
    assert t[rest[0]] < accepted


def test_without_oncoming_traffic_the_left_turner_does_not_stop(tmp_path: Path) -> None:
    states, _ = _run(tmp_path, LEFT_TURN, 15.0)
    p, v = _series(states, "p", 1), _series(states, "v", 1)
    assert v[p < p.max() - 1.0].min() > 4.0


def test_left_turners_of_one_approach_enter_at_least_a_follow_up_headway_apart(
    tmp_path: Path,
) -> None:
    body = LEFT_TURN + LEFT_TURN.splitlines()[1].replace("turner", "second") + "\n"
    body += "     approach: 90}\n"
    states, _ = _run(tmp_path, body, 30.0)
    acc = states[-1].accepted_at[0, 1:3]
    t_f = T_FOLLOW_PERMISSIVE["priority"]
    assert np.isfinite(acc).all()
    assert acc[1] - acc[0] >= t_f - 0.05  # (IDM following through the turn spaces them more)


THROUGH_FROM_SOUTH = """\
  - {id: thru, type: car, speed_kmh: 40, start: walking, connection: "main:south>north",
     approach: 75}
"""


def test_a_left_turn_from_an_arm_on_green_yields_to_the_opposite_through_car(
    tmp_path: Path,
) -> None:
    body = (
        """\
actors:
  - {id: turner, type: car, speed_kmh: 40, start: walking, connection: "main:north>route",
     approach: 60}
"""
        + THROUGH_FROM_SOUTH
    )
    states, params = _run(tmp_path, body, 25.0)
    assert params.links is not None
    t_c = params.links.t_crit[0, 1]
    wait_at = params.links.axis[0, 1] - YIELD_BEFORE
    k = round(states[-1].accepted_at[0, 1] / 0.05)
    p_t, v_t = _series(states, "p", 2), _series(states, "v", 2)
    exit_t = params.links.exit[0, 2]
    assert p_t[k] - HALF > exit_t or (params.links.line[0, 2] - p_t[k] - HALF) / v_t[k] >= t_c
    assert p_t[k] - HALF > params.links.line[0, 2]  # here: it waited until it had crossed
    assert np.all(_series(states, "p", 1)[: k + 1] + HALF <= wait_at + 0.05)
    assert v_t.min() > 10.0 or p_t[np.argmin(v_t)] > exit_t  # the through car never braked


def _library(sid: str):  # type: ignore[no-untyped-def]
    rec, params, *_ = simulate(find_scenario(sid), get_weather("clear"), [0], 0, "reference", None)
    return rec, params


def test_library_lead_stops_for_the_pedestrian_and_the_ego_behind_it() -> None:
    rec, params = _library("ur_turn_yields_ped")
    assert params.links is not None
    entry = params.links.crossing[0, 1, 0]
    s, d, v = (rec.stacked(n)[:, 0] for n in ("s", "d", "v"))
    ped_on = _on_zone(params, s[:, 2], d[:, 2])
    lead_stopped = (v[:, 1] < 0.1) & ped_on
    assert lead_stopped.any()  # it waited at the crosswalk while the pedestrian crossed
    assert not (ped_on & _on_zone(params, s[:, 1], d[:, 1])).any()  # never on it together
    k = np.nonzero(lead_stopped)[0][0]
    assert d[k, 1] + 0.5 * 1.85 > 0.0  # still partly in the ego's lane ...
    assert v[:, 0].min() < 1.0  # ... so the ego had to stop behind it
    assert s[-1, 0] > 300.0  # and both went on
    assert np.isfinite(entry)  # its path crosses the side street's crosswalk


def test_library_lead_turns_left_only_in_a_gap_of_the_critical_headway() -> None:
    rec, params = _library("ur_lead_turns_left")
    assert params.links is not None
    t_c = params.links.t_crit[0, 1]
    t = rec.stacked("t")[:, 0]
    s, v = rec.stacked("s")[:, 0], rec.stacked("v")[:, 0]
    d = rec.stacked("d")[:, 0]
    k = np.argmax(d[:, 1] > 3.5)  # the lead's centre crosses into the oncoming lane
    assert k > 0
    assert v[:k, 1].min() < 0.1  # it had stopped to wait
    for j in (2, 3, 4):
        passed = s[k, j] + HALF < NEAR
        assert passed or (s[k, j] - HALF - FAR_EDGE) / v[k, j] >= t_c - 1.0
    assert v[:, 0].min() < 1.0  # the ego stopped behind it
    assert t[k] > 10.0


ROUTE_AND_CROSSER = """\
actors:
  - {id: car, type: car, lane: 0, s: 110, speed_kmh: 40}
  - {id: cross, type: car, speed_kmh: 40, start: walking, connection: "main:south>north",
     approach: 90}
"""


@pytest.mark.parametrize("anticipate", [True, False])
def test_route_traffic_waits_before_the_box_for_a_crossing_car_with_priority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, anticipate: bool
) -> None:
    # both would reach the conflict at about the same time; the crosser has priority
    if not anticipate:
        step_module = importlib.import_module("nevport.sim.step")
        monkeypatch.setattr(step_module, "crossing_gap", lambda st, *_: np.full(st.s.shape, FAR))
    states, params = _run(tmp_path, ROUTE_AND_CROSSER, 25.0)
    assert params.links is not None
    lane_in, lane_out = params.links.lane_in[0, 2, 0], params.links.lane_out[0, 2, 0]
    s, v = _series(states, "s", 1), _series(states, "v", 1)
    p = _series(states, "p", 2)
    in_lane = (p + HALF > lane_in) & (p - HALF < lane_out)  # the crosser's body in lane 0
    assert in_lane.any()
    decel = (np.diff(v) / 0.05).min()
    if anticipate:  # it slows early and never enters the box while the crosser is in its lane
        assert np.all(s[in_lane] + HALF <= NEAR + 0.05)
        assert decel > -2.0  # no harder than IDM's comfortable deceleration
        assert s[-1] > 300.0
    else:  # it drives into the box and brakes hard once the crosser is in its lane
        assert (s[in_lane] + HALF > NEAR).any()
        assert decel < -5.0


def test_library_lead_slows_before_the_box_for_the_crossing_car() -> None:
    rec, params = _library("ur_lead_yields_crossing")
    assert params.links is not None
    lane_in = params.links.lane_in[0, 2, 0]
    assert np.isfinite(lane_in)
    s, v, d = (rec.stacked(n)[:, 0] for n in ("s", "v", "d"))
    # the crosser's body overlaps lane 0 (d from 0 to 3.5 m, plus half its width)
    in_lane = (d[:, 2] > -0.925) & (d[:, 2] < 3.5 + 0.925) & (np.abs(s[:, 2] - 200.0) < 7.0)
    assert in_lane.any()
    assert np.all(s[in_lane, 1] + HALF <= NEAR + 0.05)  # the lead stayed out of the box
    assert v[:, 1].min() < 6.0  # it had to slow for it ...
    assert (np.diff(v[:, 1]) / 0.05).min() > -2.0  # ... but never braked hard
    assert rec.stacked("s")[-1, 0, 0] > 300.0

"""From a logical scenario to concrete variants, and from variants to arrays.

Variant 0 takes every parameter's default; variant i >= 1 draws ranges uniformly and
value lists by choice from ``default_rng([seed, i])``, so a variant is fixed by
(scenario, seed, index) whatever the batch it runs in. ``variants: grid`` scenarios
enumerate the Cartesian product of their value lists instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import cast

import numpy as np
from numpy.typing import NDArray

from nevport.sim import anticipate, crosswalks, spawn
from nevport.sim.expr import Expr
from nevport.sim.junction import CONTROLS, gap_acceptance, oncoming_direction
from nevport.sim.maps import KMH
from nevport.sim.road import Obstacle, Road
from nevport.sim.scenario import ActorSpec, Scenario
from nevport.sim.state import (
    CAR,
    CYCLIST,
    EGO,
    FIXED,
    IDM,
    PATH,
    PEDESTRIAN,
    STATIC,
    TRUCK,
    ActorParams,
    Links,
    SimParams,
    SimState,
    initial_state,
)
from nevport.sim.storyboard import Action, Event, Trigger
from nevport.sim.weather import Weather

F64 = NDArray[np.float64]
KINDS = {"car": CAR, "truck": TRUCK, "pedestrian": PEDESTRIAN, "cyclist": CYCLIST, "static": STATIC}
CTRLS = {"idm": IDM, "path": PATH, "fixed": FIXED}
# default sizes [m] (length, width): passenger car, rigid truck/van, adult, bicycle, object
SIZES = {
    "car": (4.7, 1.85),
    "truck": (8.0, 2.5),
    "pedestrian": (0.5, 0.6),
    "cyclist": (1.8, 0.6),
    "static": (1.0, 1.0),
}
WALK_SPEED = 5.0 * KMH  # [m/s] Euro NCAP adult walking target speed (docs/sim/suites.md)
IDM_DEFAULTS = {"headway": 1.5, "a_max": 1.4, "b_comf": 2.0, "s0": 2.0}  # Treiber & Kesting 2013
POLITENESS = 0.3  # [-] MOBIL politeness, Kesting 2007 typical value
Eval = Callable[[Expr | None, float], F64]


def variant_grid(scn: Scenario) -> list[dict[str, float]]:
    grid_params = [p for p in scn.parameters if p.values]
    rows = []
    for combo in itertools.product(*(p.values for p in grid_params)):
        row = {p.name: p.default for p in scn.parameters}
        row.update(dict(zip((p.name for p in grid_params), combo, strict=True)))
        rows.append(row)
    return rows


def variant_count(scn: Scenario, requested: int | None) -> int:
    if requested is not None:
        return requested
    if scn.variants == 0:
        return len(variant_grid(scn))
    return scn.variants or 1


def concrete(scn: Scenario, index: int, seed: int) -> dict[str, float]:
    """Parameter values of variant ``index``."""
    if scn.variants == 0:
        grid = variant_grid(scn)
        return grid[index % len(grid)]
    if index == 0:
        return {p.name: p.default for p in scn.parameters}
    rng = np.random.default_rng([seed, index])
    row = {}
    for p in scn.parameters:  # declaration order fixes the draw order
        if p.normal is not None:
            x = float(rng.normal(*p.normal))
            lo = -np.inf if p.low is None else p.low
            row[p.name] = float(np.clip(x, lo, np.inf if p.high is None else p.high))
        elif p.low is not None and p.high is not None:
            row[p.name] = float(rng.uniform(p.low, p.high))
        elif p.values:
            row[p.name] = float(p.values[int(rng.integers(len(p.values)))])
        else:
            row[p.name] = p.default
    return row


@dataclass(frozen=True)
class Built:
    state: SimState
    params: SimParams
    route_start: F64  # (B,) [m]
    route_end: F64  # (B,) [m]
    set_speed: F64  # (B,) [m/s] the ego's cruise set speed; inf = the speed limit
    hold_speed: NDArray[np.bool_]  # (B,) the test driver holds the set speed; only AEB acts


def build(
    scn: Scenario,
    rows: list[dict[str, float]],
    weather: Weather | Sequence[Weather],
    dt: float = 0.05,
    seeds: Sequence[Sequence[int]] | None = None,
) -> Built:
    """Arrays for a batch of variants of ``scn`` under one weather or one per variant;
    ``seeds`` (one per variant, default ``[0, i]``) draw the vehicles of its flows."""
    ws = [weather] * len(rows) if isinstance(weather, Weather) else list(weather)
    wx = {
        n: np.array([getattr(w, n) for w in ws]) for n in ("mu", "speed_factor", "headway_factor")
    }
    b = len(rows)
    values = {k: np.array([r[k] for r in rows]) for k in rows[0]} if rows else {}
    road = scn.road

    def ev(e: Expr | None, default: float) -> F64:
        return e(values, b) if e is not None else np.full(b, default)

    cols = [_ego_column(scn, ev, road)] + [_actor_column(a, ev, road, wx) for a in scn.actors]
    cols += [_obstacle_column(o, b) for o in road.obstacles]
    first = len(cols)
    if scn.flows:
        seeds = seeds if seeds is not None else [(0, i) for i in range(b)]
        flow_cols, timing = spawn.columns(scn.flows, seeds, wx, _base)
        cols += flow_cols
    stack = {
        key: np.stack([c[key] for c in cols], axis=1)
        for key in cols[0]
        if key not in ("path_s", "path_d")
    }
    ids = (
        "ego",
        *(a.id for a in scn.actors),
        *(f"obstacle{i}" for i in range(len(road.obstacles))),
        *(f"{f.id}.{j}" for f in scn.flows for j in range(f.vehicles)),
    )
    events = _events(scn, ev, ids)
    params = SimParams(
        road=road,
        actors=_actor_params(stack, cols, b),
        mu=wx["mu"],
        dt=dt,
        events=events,
        actor_ids=ids,
    )
    exits = (stack["exit"] > 0.5) if any(ln.exit for ln in road.lanes) else None
    params = replace(params, links=_links(scn.actors, params), exits=exits)
    if scn.flows:
        params = replace(params, flows=spawn.slots(scn.flows, first, timing, road.length))
    lane = road.lane_of(stack["d"])
    state = initial_state(
        stack["s"],
        stack["d"],
        stack["v"],
        np.maximum(lane, 0),
        len(events),
        len(road.signals) + len(road.arm_signals()),
    )
    state = state.replace(
        walking=stack["walking"].astype(bool),
        psi=np.where(stack["ctrl"] == IDM, stack["psi"], state.psi),
    )
    route_end = ev(scn.ego.get("route_end"), road.length - 10.0)
    set_speed = ev(scn.ego.get("set_speed_kmh"), np.inf) * KMH
    return Built(
        state, params, stack["s"][:, 0].copy(), route_end, set_speed, np.full(b, scn.hold_speed)
    )


def _actor_params(
    stack: dict[str, F64], cols: list[dict[str, F64 | list[F64]]], b: int
) -> ActorParams:
    """(B, N) actor constants, with paths padded to a common number of points K."""
    k = max(len(c["path_s"]) for c in cols)
    path_s = np.stack([_pad(cast(list[F64], c["path_s"]), k, b) for c in cols], axis=1)
    path_d = np.stack([_pad(cast(list[F64], c["path_d"]), k, b) for c in cols], axis=1)
    seg = np.hypot(np.diff(path_s, axis=-1), np.diff(path_d, axis=-1))
    path_len = np.concatenate([np.zeros((*path_s.shape[:2], 1)), np.cumsum(seg, -1)], -1)
    same = ("length", "width", "v0", "headway", "a_max", "b_comf", "s0", "politeness", "walk_speed")
    return ActorParams(
        kind=stack["kind"].astype(np.int64),
        ctrl=stack["ctrl"].astype(np.int64),
        mobil=stack["mobil"].astype(bool),
        path_s=path_s,
        path_d=path_d,
        path_len=path_len,
        **{n: stack[n] for n in same},
    )


def _pad(pts: list[F64], k: int, b: int) -> F64:
    if not pts:
        pts = [np.zeros(b)]
    pts = pts + [pts[-1]] * (k - len(pts))
    return np.stack(pts, axis=-1)


def _base(b: int, kind: str, ctrl: int) -> dict[str, F64 | list[F64]]:
    length, width = SIZES[kind]
    return {
        "kind": np.full(b, KINDS[kind], float),
        "ctrl": np.full(b, ctrl, float),
        "length": np.full(b, length),
        "width": np.full(b, width),
        "v0": np.zeros(b),
        **{k: np.full(b, v) for k, v in IDM_DEFAULTS.items()},
        "politeness": np.full(b, POLITENESS),
        "mobil": np.zeros(b),
        "walk_speed": np.zeros(b),
        "exit": np.zeros(b),
        "walking": np.zeros(b),
        "psi": np.zeros(b),
        "s": np.zeros(b),
        "d": np.zeros(b),
        "v": np.zeros(b),
        "path_s": [],
        "path_d": [],
    }


def _lane_d(ev: Eval, fields: dict[str, Expr], road: Road) -> F64:
    """Lateral position [m]: lane centre plus ``d`` when a lane is given, else ``d`` itself."""
    if "lane" not in fields:
        return ev(fields.get("d"), 0.0)
    lane = np.clip(ev(fields["lane"], 0.0).astype(np.int64), 0, len(road.lanes) - 1)
    return road.lane_centres[lane] + ev(fields.get("d"), 0.0)


def _ego_column(scn: Scenario, ev: Eval, road: Road) -> dict[str, F64 | list[F64]]:
    b = len(ev(None, 0.0))
    col = _base(b, "car", EGO)
    v = ev(scn.ego.get("speed_kmh"), 0.0) * KMH
    col.update(s=ev(scn.ego["s"], 0.0), d=_lane_d(ev, scn.ego, road), v=v, v0=np.maximum(v, 1.0))
    return col


def _actor_column(
    a: ActorSpec, ev: Eval, road: Road, w: dict[str, F64]
) -> dict[str, F64 | list[F64]]:
    b = len(ev(None, 0.0))
    col = _base(b, a.type, CTRLS[a.behaviour])
    f = a.fields
    v = ev(f.get("speed_kmh"), 0.0) * KMH
    col.update(
        v=v,
        length=ev(f.get("length"), SIZES[a.type][0]),
        width=ev(f.get("width"), SIZES[a.type][1]),
    )
    if a.behaviour == "path":
        col["path_s"] = [ev(ps, 0.0) for ps, _ in a.path]
        col["path_d"] = [ev(pd, 0.0) for _, pd in a.path]
        col.update(
            s=col["path_s"][0],
            d=col["path_d"][0],
            # a vehicle that starts on its connecting lane is already driving at its speed
            v=v if a.link is not None and a.walking else np.zeros(b),
            walk_speed=v if "speed_kmh" in f else np.full(b, WALK_SPEED),
            walking=np.full(b, float(a.walking)),
        )
        return col
    col.update(s=ev(f["s"], 0.0), d=_lane_d(ev, f, road))
    if a.behaviour == "idm":
        # weather: other traffic drives slower and keeps longer headways (docs/sim/weather.md)
        v0 = ev(f.get("v0_kmh"), 0.0) * KMH
        if a.test_target:
            w = {"speed_factor": np.ones(b), "headway_factor": np.ones(b)}
        col.update(
            v0=np.where(v0 > 0, v0, np.maximum(v, 1.0)) * w["speed_factor"],
            headway=ev(f.get("headway"), IDM_DEFAULTS["headway"]) * w["headway_factor"],
            politeness=ev(f.get("politeness"), POLITENESS),
            exit=ev(f.get("exit"), 0.0),
            mobil=np.full(b, float(a.mobil)),
        )
        lane = np.clip(road.lane_of(col["d"]), 0, len(road.lanes) - 1)  # type: ignore[arg-type]
        col["psi"] = np.where(road.lane_array("direction")[lane] < 0, np.pi, 0.0)
    return col


def _obstacle_column(o: Obstacle, b: int) -> dict[str, F64 | list[F64]]:
    col = _base(b, "static", FIXED)
    col.update(
        s=np.full(b, o.s), d=np.full(b, o.d), length=np.full(b, o.length), width=np.full(b, o.width)
    )
    return col


def _events(scn: Scenario, ev: Eval, ids: tuple[str, ...]) -> tuple[Event, ...]:
    names = [e.name for e in scn.events]
    out = []
    for e in scn.events:
        trig = Trigger(
            e.trigger,
            ev(e.trigger_value, 0.0) * e.scale,
            ids.index(e.trigger_actor),
            e.above,
            names.index(e.after) if e.after in names else -1,
        )
        out.append(Event(e.name, trig, tuple(_action(a, ev, ids) for a in e.actions)))
    return tuple(out)


def _action(a: dict[str, object], ev: Eval, ids: tuple[str, ...]) -> Action:
    kind = str(a["kind"])
    if kind == "signal":
        return Action("signal", signal=int(a["signal"]), code=int(a["state"]))  # type: ignore[call-overload]
    actor = ids.index(str(a["actor"]))
    if kind == "speed":
        return Action(
            "speed",
            actor,
            ev(a["target_kmh"], 0.0) * KMH,  # type: ignore[arg-type]
            ev(a["rate"], 0.0),  # type: ignore[arg-type]
            code=int(a["profile"]),  # type: ignore[call-overload]
        )
    if kind == "lane_change":
        rel = "offset" in a
        target = ev(a["offset" if rel else "lane"], 0.0)  # type: ignore[arg-type]
        return Action("lane_change", actor, target, ev(a.get("duration"), 3.0), relative=rel)  # type: ignore[arg-type]
    return Action("walk", actor)


def _links(actors: tuple[ActorSpec, ...], params: SimParams) -> Links | None:
    """(B, N) junction links of the actors that drive connecting lanes (column 0: ego)."""
    if not any(a.link for a in actors):
        return None
    b, n = params.actors.kind.shape
    zones = crosswalks.zones(params.road)
    rows = [(-1, np.inf, np.inf, 0, -1, 0.0, 0.0, 0, 0.0, 0, np.inf)] * n
    k = params.actors.path_s.shape[-1]
    v_turn = np.full((n, k), np.inf)
    crossing = np.full((n, len(zones)), np.inf)
    lanes = np.full((n, len(params.road.lanes), 2), np.inf)
    for i, a in enumerate(actors, start=1):
        if (lk := a.link) is None:
            continue
        t_c, permissive, t_f = gap_acceptance(lk)
        c = CONTROLS[lk.control]
        oncoming = oncoming_direction(lk.approach)
        rows[i] = (lk.junction, lk.line, lk.exit, c, lk.signal, t_c, lk.approach, 0, t_f, 0, 0.0)
        rows[i] = (*rows[i][:7], int(permissive), t_f, oncoming, lk.axis)
        v_turn[i, : len(lk.v_turn)] = lk.v_turn
        ps, pd = params.actors.path_s[0, i], params.actors.path_d[0, i]  # constants
        crossing[i] = crosswalks.path_entries(zones, ps, pd)
        width = float(params.actors.width[0, i])
        lanes[i] = anticipate.lane_crossings(params.road, lk.junction, ps, pd, width)
    arr = np.array(rows, dtype=float).T  # (11, N)

    def col(k: int) -> F64:
        return np.broadcast_to(arr[k], (b, n)).copy()

    as_int = [col(k).astype(np.int64) for k in (0, 3, 4, 9)]
    return Links(
        as_int[0],
        col(1),
        col(2),
        as_int[1],
        as_int[2],
        col(5),
        np.broadcast_to(v_turn, (b, n, k)).copy(),
        approach=col(6),
        axis=col(10),
        permissive=col(7) > 0.5,
        t_follow=col(8),
        oncoming=as_int[3],
        crossing=np.broadcast_to(crossing, (b, *crossing.shape)).copy(),
        lane_in=np.broadcast_to(lanes[..., 0], (b, *lanes.shape[:2])).copy(),
        lane_out=np.broadcast_to(lanes[..., 1], (b, *lanes.shape[:2])).copy(),
    )

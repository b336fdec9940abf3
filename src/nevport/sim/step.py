"""The pure step function: ``step(state, controls, params) -> state``."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nevport.sim.anticipate import crossing_gap
from nevport.sim.dynamics import bicycle_step
from nevport.sim.flow import traffic_accelerations
from nevport.sim.geometry import boxes_overlap, wrap_delta
from nevport.sim.junction import (
    junction_memory,
    path_accelerations,
    permissive_memory,
    stop_sign_memory,
)
from nevport.sim.ramps import diverge
from nevport.sim.spawn import advance
from nevport.sim.state import CAR, IDM, PATH, TRUCK, SimParams, SimState
from nevport.sim.storyboard import apply_storyboard

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

LANE_CHANGE_SPEED = 1.0  # [m/s] default lateral speed: 3.5 m in 3.5 s (docs/sim/models.md)


def signal_states(state: SimState, params: SimParams) -> I64:
    """(B, S + A) state code of the route's signals, then the junction arms' signals, with
    storyboard overrides applied."""
    sigs = params.road.signals + params.road.arm_signals()
    if not sigs:
        return np.zeros((state.t.shape[0], 0), np.int64)
    prog = np.stack([sg.state_at(state.t) for sg in sigs], axis=1)
    return np.where(state.sig_override >= 0, state.sig_override, prog)


def step(state: SimState, controls: F64, params: SimParams) -> SimState:
    """Advance every variant by ``params.dt``.

    ``controls`` (B, 2): ego acceleration command [m/s^2] and front-wheel angle command [rad].
    """
    state = apply_storyboard(state, params)
    lane = params.road.lane_of(state.d)
    sig = signal_states(state, params)
    hold = crossing_gap(state, params, lane, sig) if params.links is not None else None
    a_tr, lane_tgt = traffic_accelerations(state, params, lane, sig, hold)
    is_idm = params.actors.ctrl == IDM
    s, d, v, psi, a = _road_actors(state, params, a_tr, lane_tgt, is_idm)
    a_path = path_accelerations(state, params, sig) if params.links is not None else None
    s, d, v, psi, p = _paths(state, params, (s, d, v, psi), a_path)
    steer = state.steer
    if params.has_ego:
        steer = _ego(state, controls, params, (s, d, v, psi, a))
    if params.road.stop_signs:
        state = state.replace(stopped_at=stop_sign_memory(state, params))
    if params.links is not None:
        state = state.replace(
            stopped_at=junction_memory(state, params, sig),
            accepted_at=permissive_memory(state, params, sig),
        )
    new = state.replace(
        t=state.t + params.dt,
        s=params.road.wrap(s),
        d=d,
        v=v,
        psi=psi,
        a=a,
        steer=steer,
        p=p,
        lane_tgt=np.where(is_idm, lane_tgt, state.lane_tgt),
    )
    if params.flows is not None:
        new = advance(state, new, params)
    return _collide(new, params) if params.has_ego else new


def _road_actors(
    state: SimState, params: SimParams, a_tr: F64, lane_tgt: I64, is_idm: NDArray[np.bool_]
) -> tuple[F64, F64, F64, F64, F64]:
    """New (s, d, v, psi, a) of IDM actors: longitudinal by IDM, lateral towards lane_tgt."""
    road, dt = params.road, params.dt
    v_new = np.maximum(state.v + a_tr * dt, 0.0)
    # a car that stops within the step covers v^2 / 2|a|, not a negative-speed distance
    dist = np.where(
        state.v + a_tr * dt < 0,
        state.v**2 / np.maximum(-2 * a_tr, 1e-9),
        0.5 * (state.v + v_new) * dt,
    )
    lane_c = np.clip(lane_tgt, 0, len(road.lanes) - 1)
    dirs, centre = road.lane_array("direction")[lane_c], road.lane_centres[lane_c]
    lat_speed = np.where(state.lat_v > 0, state.lat_v, LANE_CHANGE_SPEED)
    lat_speed = np.minimum(lat_speed, 0.5 * state.v + 0.05)  # no sideways sliding at standstill
    centre, lat_speed = diverge(state, params, centre, lat_speed)
    dd = np.clip(centre - state.d, -lat_speed * dt, lat_speed * dt)
    heading = np.where(dirs > 0, 0.0, np.pi) + dirs * np.arctan2(dd / dt, np.maximum(v_new, 0.1))
    return (
        np.where(is_idm, state.s + dirs * dist, state.s),
        np.where(is_idm, state.d + dd, state.d),
        np.where(is_idm, v_new, state.v),
        np.where(is_idm, heading, state.psi),
        np.where(is_idm, (v_new - state.v) / dt, 0.0),
    )


def _ego(
    state: SimState, controls: F64, params: SimParams, out: tuple[F64, F64, F64, F64, F64]
) -> F64:
    """Write the ego's new (s, d, v, psi, a) into column 0 of ``out``; return its steering."""
    e = bicycle_step(
        state.s[:, 0],
        state.d[:, 0],
        state.v[:, 0],
        state.psi[:, 0],
        state.steer,
        controls[:, 0],
        controls[:, 1],
        params.mu,
        params.road,
        params.ego,
        params.dt,
    )
    frozen = state.collided  # after a collision the ego stays where it stopped
    old = (state.s, state.d, state.v, state.psi, np.zeros_like(state.a))
    for arr, before, val in zip(out, old, e[:5], strict=True):
        arr[:, 0] = np.where(frozen, before[:, 0], val)
    return e[5]


def _paths(
    state: SimState, params: SimParams, pose: tuple[F64, F64, F64, F64], a_path: F64 | None
) -> tuple[F64, F64, F64, F64, F64]:
    """Move path actors: pedestrians and cyclists at their set speed, vehicles on
    connecting lanes by ``a_path`` (B, N) [m/s^2] (they enter at their set speed)."""
    ap = params.actors
    s, d, v, psi = pose
    moving = (ap.ctrl == PATH) & state.walking
    if not (ap.ctrl == PATH).any():
        return s, d, v, psi, state.p
    total = ap.path_len[..., -1]
    step_len = ap.walk_speed * params.dt
    speed = ap.walk_speed
    if a_path is not None:
        veh = moving & ((ap.kind == CAR) | (ap.kind == TRUCK))
        v_in = np.where((state.p == 0) & (state.v == 0), ap.walk_speed, state.v)
        v_out = np.maximum(v_in + a_path * params.dt, 0.0)
        # a car that stops within the step covers v^2 / 2|a|, not a negative-speed distance
        stops = v_in + a_path * params.dt < 0
        dist = np.where(
            stops, v_in**2 / np.maximum(-2 * a_path, 1e-9), 0.5 * (v_in + v_out) * params.dt
        )
        step_len, speed = np.where(veh, dist, step_len), np.where(veh, v_out, speed)
    p = np.where(moving, np.minimum(state.p + step_len, total), state.p)
    k = ap.path_len.shape[-1]
    seg = np.clip((ap.path_len <= p[..., None]).sum(-1) - 1, 0, k - 2)[..., None]
    l0 = np.take_along_axis(ap.path_len, seg, -1)[..., 0]
    l1 = np.take_along_axis(ap.path_len, seg + 1, -1)[..., 0]
    frac = np.clip((p - l0) / np.maximum(l1 - l0, 1e-9), 0.0, 1.0)
    ps0, ps1 = (np.take_along_axis(ap.path_s, seg + i, -1)[..., 0] for i in (0, 1))
    pd0, pd1 = (np.take_along_axis(ap.path_d, seg + i, -1)[..., 0] for i in (0, 1))
    on = ap.ctrl == PATH
    s = np.where(on, ps0 + frac * (ps1 - ps0), s)
    d = np.where(on, pd0 + frac * (pd1 - pd0), d)
    v = np.where(on, np.where(moving & (p < total), speed, 0.0), v)
    psi = np.where(on, np.arctan2(pd1 - pd0, ps1 - ps0), psi)
    return s, d, v, psi, p


def _collide(state: SimState, params: SimParams) -> SimState:
    """Record the ego's first collision and stop both parties (the run's outcome is decided)."""
    ap = params.actors
    period = params.road.length if params.road.periodic else 0.0
    ds = wrap_delta(state.s[:, 1:] - state.s[:, :1], period)
    dd = state.d[:, 1:] - state.d[:, :1]
    over = boxes_overlap(
        ds,
        dd,
        state.psi[:, :1],
        ap.length[:, :1],
        ap.width[:, :1],
        state.psi[:, 1:],
        ap.length[:, 1:],
        ap.width[:, 1:],
    )
    first = over.any(axis=1) & ~state.collided
    if not first.any():
        return state
    hit = np.argmax(over, axis=1) + 1
    rows = np.arange(state.t.shape[0])
    vo = state.v[rows, hit]
    rel = np.hypot(
        state.v[:, 0] * np.cos(state.psi[:, 0]) - vo * np.cos(state.psi[rows, hit]),
        state.v[:, 0] * np.sin(state.psi[:, 0]) - vo * np.sin(state.psi[rows, hit]),
    )
    v = state.v.copy()
    v[first, 0] = 0.0
    v[rows[first], hit[first]] = 0.0
    return state.replace(
        v=v,
        collided=state.collided | first,
        impact_speed=np.where(first, rel, state.impact_speed),
        hit=np.where(first, hit, state.hit),
    )

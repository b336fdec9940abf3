"""Storyboard: events made of one trigger and some actions, evaluated inside ``step``.

Triggers: time, distance, time-to-collision, position, speed (of any actor) and
``after`` another event. Actions: speed change with a rate, lane change (cut-in,
cut-out), start walking along a path, signal state change. Thresholds are (B,) arrays
so that each variant can carry its own values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from nevport.sim.state import SimParams, SimState

F64 = NDArray[np.float64]

TRIGGERS = ("time", "distance", "ttc", "position", "speed", "after")
ACTIONS = ("speed", "lane_change", "walk", "signal")


@dataclass(frozen=True)
class Trigger:
    kind: str
    value: F64  # (B,) threshold in the trigger's unit (s, m, m/s)
    actor: int = 0
    above: bool = False  # compare with >= instead of <=
    event: int = -1  # for "after"


@dataclass(frozen=True)
class Action:
    kind: str
    actor: int = 0
    target: F64 = field(default_factory=lambda: np.zeros(1))  # (B,) speed [m/s] or lane
    rate: F64 = field(default_factory=lambda: np.zeros(1))  # (B,) [m/s^2] or duration [s]
    relative: bool = False  # lane_change: target is an offset from the current lane
    signal: int = -1
    code: int = 0  # signal: the state to set; speed: the profile (state.LINEAR, ...)


@dataclass(frozen=True)
class Event:
    name: str
    trigger: Trigger
    actions: tuple[Action, ...]


def _ttc(state: SimState, actor: int) -> F64:
    gap = state.s[:, actor] - state.s[:, 0]
    closing = np.where(gap > 0, 1.0, -1.0) * (
        state.v[:, 0] - state.v[:, actor] * np.cos(state.psi[:, actor])
    )
    return np.where(closing > 0.01, np.abs(gap) / np.maximum(closing, 0.01), np.inf)


def _fires(tr: Trigger, state: SimState) -> NDArray[np.bool_]:
    if tr.kind == "after":
        return state.fired_at[:, tr.event] + tr.value <= state.t + 1e-9
    if tr.kind == "time":
        return state.t + 1e-9 >= tr.value
    if tr.kind == "distance":
        x = np.abs(state.s[:, tr.actor] - state.s[:, 0])
    elif tr.kind == "ttc":
        x = _ttc(state, tr.actor)
    elif tr.kind == "position":
        x = state.s[:, tr.actor]
    else:
        x = state.v[:, tr.actor]
    return x >= tr.value if tr.above else x <= tr.value


def apply_storyboard(state: SimState, params: SimParams) -> SimState:
    """Fire every event whose trigger holds for the first time; pure (copies on write)."""
    if not params.events:
        return state
    arrays: dict[str, NDArray[Any]] = {}

    def arr(name: str) -> NDArray[Any]:
        if name not in arrays:
            arrays[name] = getattr(state, name).copy()
        return arrays[name]

    for e_idx, ev in enumerate(params.events):
        view = state.replace(fired_at=arrays["fired_at"]) if "fired_at" in arrays else state
        new = _fires(ev.trigger, view) & np.isnan(view.fired_at[:, e_idx])
        if not new.any():
            continue
        arr("fired_at")[new, e_idx] = state.t[new]
        for act in ev.actions:
            _act(act, new, state, params, arr)
    return state.replace(**arrays) if arrays else state


def _act(
    act: Action,
    rows: NDArray[np.bool_],
    state: SimState,
    params: SimParams,
    get: Callable[[str], NDArray[Any]],
) -> None:
    """Apply one action on the variants in ``rows``; ``get`` returns writable copies."""
    j = act.actor
    if act.kind == "speed":
        get("v_set")[rows, j] = np.broadcast_to(act.target, rows.shape)[rows]
        get("a_set")[rows, j] = np.broadcast_to(act.rate, rows.shape)[rows]
        get("v_from")[rows, j] = state.v[rows, j]
        get("t_from")[rows, j] = state.t[rows]
        get("profile")[rows, j] = act.code
    elif act.kind == "lane_change":
        n_lanes = len(params.road.lanes)
        base = state.lane_tgt[:, j] if act.relative else 0
        lane = np.clip(
            base + np.broadcast_to(act.target, rows.shape).astype(np.int64), 0, n_lanes - 1
        )
        shift = np.abs(params.road.lane_centres[lane] - state.d[:, j])
        duration = np.maximum(np.broadcast_to(act.rate, rows.shape), 0.5)
        get("lane_tgt")[rows, j] = lane[rows]
        get("lat_v")[rows, j] = (shift / duration)[rows]
    elif act.kind == "walk":
        get("walking")[rows, j] = True
    else:
        get("sig_override")[rows, act.signal] = act.code

"""Metrics of one run and the criteria registry that turns them into a verdict.

Definitions and sources are in docs/sim/metrics.md. Metrics are computed from the
recorded trajectory of one variant (a :class:`Trace`), after the run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from nevport.sim.geometry import wrap_delta
from nevport.sim.road import RED, Road
from nevport.sim.state import PATH, PEDESTRIAN, STATIC

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

# CARLA Leaderboard 1.0 infraction coefficients (docs/sim/metrics.md)
PENALTY = {
    "collision_pedestrian": 0.50,
    "collision_vehicle": 0.60,
    "collision_static": 0.65,
    "red_light": 0.70,
    "stop_sign": 0.80,
    "offroad": 0.70,
}
STOPPED = 0.3  # [m/s] below this the ego counts as stopped at a stop sign
STOP_ZONE = 10.0  # [m] stop-sign approach zone in which the stop must happen
MIN_SPEED_THW = 1.0  # [m/s] time headway is undefined near standstill


@dataclass(frozen=True)
class Trace:
    """Recorded trajectory of one variant; (T, N) arrays, actor 0 is the ego."""

    t: F64
    s: F64
    d: F64
    v: F64
    psi: F64
    a: F64  # (T,) ego acceleration [m/s^2]
    sig: I64  # (T, S) signal states
    kind: I64  # (N,)
    ctrl: I64  # (N,)
    length: F64  # (N,)
    width: F64  # (N,)
    collided: bool
    impact_speed: float  # [m/s]
    hit: int
    road: Road
    route_start: float  # [m]
    route_end: float  # [m]
    dt: float  # [s]


def _leaders(tr: Trace) -> tuple[F64, F64]:
    """Per frame and actor: bumper gap [m] and closing speed [m/s] for actors in the ego's path."""
    period = tr.road.length if tr.road.periodic else 0.0
    ds = wrap_delta(tr.s[:, 1:] - tr.s[:, :1], period)
    in_path = np.abs(tr.d[:, 1:] - tr.d[:, :1]) < 0.5 * (tr.width[0] + tr.width[1:])
    gap = ds - 0.5 * (tr.length[0] + tr.length[1:])
    closing = tr.v[:, :1] * np.cos(tr.psi[:, :1]) - tr.v[:, 1:] * np.cos(tr.psi[:, 1:])
    ok = in_path & (ds > 0) & (gap > 0)
    return np.where(ok, gap, np.inf), closing


def _stop_line_crossings(tr: Trace, s_line: float) -> I64:
    front = tr.s[:, 0] + 0.5 * tr.length[0]
    return np.nonzero((front[:-1] < s_line) & (front[1:] >= s_line))[0] + 1


def _pet(tr: Trace) -> float:
    """Smallest post-encroachment time [s] with any path actor (crossing traffic, VRUs)."""
    best = np.inf
    for j in np.nonzero(tr.ctrl == PATH)[0]:
        ego_at = np.abs(tr.s[:, 0] - tr.s[:, j]) < 0.5 * (tr.length[0] + tr.length[j])
        actor_at = np.abs(tr.d[:, j] - tr.d[:, 0]) < 0.5 * (tr.width[0] + tr.width[j])
        if ego_at.any() and actor_at.any():
            te, ta = tr.t[ego_at], tr.t[actor_at]
            gap = max(te.min() - ta.max(), ta.min() - te.max(), 0.0)
            best = min(best, gap)
    return float(best)


def _offroad(tr: Trace) -> bool:
    road = tr.road
    lane = road.lane_of(tr.d[:, 0])
    lc = np.clip(lane, 0, len(road.lanes) - 1)
    exists = (tr.s[:, 0] >= road.lane_array("start")[lc] - 1.0) & (
        tr.s[:, 0] <= road.lane_array("end")[lc] + 0.5 * tr.length[0]
    )
    return bool(((lane < 0) | ~exists).any())


def _violations(tr: Trace) -> dict[str, float]:
    road = tr.road
    red = sum(
        int((tr.sig[_stop_line_crossings(tr, sg.s), k] == RED).sum())
        for k, sg in enumerate(road.signals)
    )
    stop = 0
    front = tr.s[:, 0] + 0.5 * tr.length[0]
    for s_line in road.stop_signs:
        for idx in _stop_line_crossings(tr, s_line):
            zone = (front[:idx] > s_line - STOP_ZONE) & (front[:idx] <= s_line + 0.5)
            stop += int(not zone.any() or tr.v[:idx, 0][zone].min() > STOPPED)
    lane = road.lane_of(tr.d[:, 0])
    solid = [ln.marking_left == "solid" for ln in road.lanes]
    moves = np.nonzero((lane[1:] != lane[:-1]) & (lane[1:] >= 0) & (lane[:-1] >= 0))[0]
    solid_x = sum(int(solid[min(lane[i], lane[i + 1])]) for i in moves)
    limit = road.lane_array("speed_limit")[np.clip(lane, 0, len(road.lanes) - 1)]
    over = (tr.v[:, 0] - limit) / limit
    return {
        "red_light": float(red),
        "stop_sign": float(stop),
        "solid_line": float(solid_x),
        "speeding": float(max(over.max(), 0.0)),
        "ped_yield": float(_ped_yield(tr)),
    }


def _ped_yield(tr: Trace) -> int:
    """Frames in which the ego occupies a crosswalk that a pedestrian near its path is on."""
    count = 0
    width = tr.road.lane_edges[-1]
    for s_c, w_c in tr.road.crosswalks:
        ego_on = np.abs(tr.s[:, 0] - s_c) < 0.5 * (w_c + tr.length[0])
        for j in np.nonzero(tr.kind == PEDESTRIAN)[0]:
            ped_on = (
                (np.abs(tr.s[:, j] - s_c) < 0.5 * w_c + 0.5)
                & (tr.d[:, j] >= 0)
                & (tr.d[:, j] <= width)
                & (np.abs(tr.d[:, j] - tr.d[:, 0]) < 3.5)
            )
            count += int((ego_on & ped_on & (tr.v[:, 0] > 0.5)).any())
    return count


def compute_metrics(tr: Trace, reference_collided: bool | None = None) -> dict[str, float]:
    """All metrics of one run; names and units in docs/sim/metrics.md."""
    gap, closing = _leaders(tr)
    approaching = closing > 0.05
    ttc = np.where(approaching, gap / np.maximum(closing, 1e-6), np.inf)
    moving = tr.v[:, 0] > MIN_SPEED_THW
    thw = np.where(moving[:, None], gap / np.maximum(tr.v[:, :1], 1e-6), np.inf)
    drac = np.where(approaching & np.isfinite(gap), closing**2 / (2 * np.maximum(gap, 0.1)), 0.0)
    yaw_rate = np.gradient(tr.psi[:, 0], tr.dt) + tr.road.curvature(tr.s[:, 0]) * tr.v[:, 0]
    jerk = np.abs(np.diff(tr.a)) / tr.dt if len(tr.a) > 2 else np.zeros(1)
    span = max(tr.route_end - tr.route_start, 1e-6)
    completion = float(np.clip((tr.s[:, 0].max() - tr.route_start) / span, 0.0, 1.0))
    done = np.nonzero(tr.s[:, 0] >= tr.route_end)[0]
    m: dict[str, float] = {
        "collision": float(tr.collided),
        "impact_speed": tr.impact_speed,
        "offroad": float(_offroad(tr)),
        "min_ttc": float(ttc.min(initial=np.inf)),
        "min_thw": float(thw.min(initial=np.inf)),
        "pet": _pet(tr),
        "drac_max": float(drac.max(initial=0.0)),
        "jerk_max": float(jerk[1:].max(initial=0.0)),
        "lat_acc_max": float(np.abs(tr.v[:, 0] * yaw_rate).max()),
        "route_completion": completion,
        "time": float(tr.t[done[0]] if done.size else tr.t[-1]),
        "min_speed": float(tr.v[:, 0].min()),
        "max_speed": float(tr.v[:, 0].max()),
    }
    m.update(_violations(tr))
    if reference_collided is not None:
        m["reference_collision"] = float(reference_collided)
    m["driving_score"] = completion * _penalty(tr, m)
    return m


def _penalty(tr: Trace, m: dict[str, float]) -> float:
    p = PENALTY["red_light"] ** m["red_light"] * PENALTY["stop_sign"] ** m["stop_sign"]
    p *= PENALTY["offroad"] if m["offroad"] else 1.0
    if tr.collided:
        kind = int(tr.kind[tr.hit])
        key = {PEDESTRIAN: "pedestrian", STATIC: "static"}.get(kind, "vehicle")
        p *= PENALTY[f"collision_{key}"]
    return float(p)


class Criterion(ABC):
    """One pass/fail rule over the metrics; ``threshold`` None means the default."""

    name: ClassVar[str]
    default: ClassVar[float | None] = None

    @abstractmethod
    def passes(self, m: dict[str, float], threshold: float | None) -> bool: ...


CRITERIA: dict[str, type[Criterion]] = {}


def register(cls: type[Criterion]) -> type[Criterion]:
    if cls.name in CRITERIA:
        raise ValueError(f"criterion {cls.name!r} registered twice")
    CRITERIA[cls.name] = cls
    return cls


def _at_most(metric: str, name: str, default: float | None = 0.0) -> type[Criterion]:
    class _Max(Criterion):
        def passes(self, m: dict[str, float], threshold: float | None) -> bool:
            limit = self.default if threshold is None else threshold
            return m[metric] <= (limit or 0.0)

    _Max.name, _Max.default = name, default
    _Max.__name__ = _Max.__qualname__ = "".join(w.title() for w in name.split("_"))
    return register(_Max)


def _at_least(metric: str, name: str, default: float) -> type[Criterion]:
    class _Min(Criterion):
        def passes(self, m: dict[str, float], threshold: float | None) -> bool:
            return m[metric] >= (self.default if threshold is None else threshold)  # type: ignore[operator]

    _Min.name, _Min.default = name, default
    _Min.__name__ = _Min.__qualname__ = "".join(w.title() for w in name.split("_"))
    return register(_Min)


_at_most("collision", "no_collision")
_at_most("offroad", "no_offroad")
_at_most("red_light", "no_red_light")
_at_most("stop_sign", "no_stop_sign_violation")
_at_most("solid_line", "no_solid_line_crossing")
_at_most("ped_yield", "yield_to_pedestrians")
_at_most("speeding", "no_speeding", 0.10)  # [-] 10 % over the limit
_at_most("impact_speed", "max_impact_speed", 0.0)  # [m/s]
_at_most("jerk_max", "comfort_jerk", 10.0)  # [m/s^3]
_at_most("lat_acc_max", "comfort_lateral", 4.0)  # [m/s^2]
_at_least("min_ttc", "min_ttc", 1.5)  # [s]
_at_least("min_thw", "min_thw", 0.8)  # [s]
_at_least("pet", "min_pet", 1.0)  # [s]
_at_least("route_completion", "route_completion", 0.9)  # [-]
_at_least("driving_score", "driving_score", 0.9)  # [-]


@register
class AsCarefulAsReference(Criterion):
    """UN R157 5.2.5: no collision that the careful and competent driver would avoid."""

    name = "careful_competent"

    def passes(self, m: dict[str, float], threshold: float | None) -> bool:
        return not (m["collision"] and not m.get("reference_collision", 0.0))


def verdict(
    m: dict[str, float], criteria: tuple[tuple[str, float | None], ...]
) -> tuple[bool, list[str]]:
    """(passed, names of failed criteria)."""
    failed = [name for name, thr in criteria if not CRITERIA[name]().passes(m, thr)]
    return not failed, failed

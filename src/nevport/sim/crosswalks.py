"""Crosswalk zones: where pedestrians and cyclists cross, and which drivers must wait.

Every crosswalk is a rectangle in Frenet coordinates: a centre, the direction in which
pedestrians cross (``axis``) and two half sizes. Route crosswalks span the whole road;
an arm's crosswalk spans the arm's carriageway just outside the junction box. A zone is
occupied while a pedestrian is on it, or walking and on it within T_ENTER (about to
enter) at its own speed; a cyclist counts likewise while it crosses, that is, heads
along the crossing direction within CROSSING_ANGLE (one riding along the road through
the crossing does not). Vehicles on connecting lanes stop before every occupied zone
their path crosses (the path length where it enters each zone is found once, when the
scenario is built); route traffic stops before occupied route crosswalks (flow.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nevport.sim.road import Road, to_frenet
from nevport.sim.state import CYCLIST, PEDESTRIAN, SimParams, SimState
from nevport.sim.traffic import FAR

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

EDGE = 0.5  # [m] margin around a crosswalk's painted area in which a pedestrian is on it
T_ENTER = 2.0  # [s] a walking pedestrian on the crosswalk within this time is about to enter
RESAMPLE = 0.25  # [m] path resolution when locating where a path enters a crosswalk
COMMITTED = -0.5  # [m] a driver whose front is this far onto a crosswalk drives on
CROSSING_ANGLE = np.cos(np.radians(45.0))  # [-] a cyclist heading within 45 deg of the axis crosses


@dataclass(frozen=True)
class Zones:
    """(C,) crosswalk rectangles, route crosswalks first, then arms' in map order."""

    s: F64  # [m] centre, Frenet s
    d: F64  # [m] centre, Frenet d
    ax_s: F64  # [-] unit direction in which pedestrians cross, s component
    ax_d: F64  # [-] d component
    half_len: F64  # [m] half length along the crossing direction (road width + EDGE)
    half_wid: F64  # [m] half width across it (painted width + EDGE)

    def __len__(self) -> int:
        return int(self.s.shape[0])


_KEYS = tuple(f"crosswalk.{n}" for n in ("s", "d", "ax_s", "ax_d", "half_len", "half_wid"))


def zones(road: Road) -> Zones:
    """Every crosswalk of ``road`` as a rectangle (cached: roads are immutable)."""
    if _KEYS[0] not in road._table:
        road._table.update(zip(_KEYS, _build(road), strict=True))
    return Zones(*(road._table[k] for k in _KEYS))


def _build(road: Road) -> list[F64]:
    """Zone arrays: route crosswalks exactly, arms' through the approximate Frenet
    conversion of connecting lanes."""
    width = float(road.lane_edges[-1])
    rows = [
        (s, 0.5 * width, 0.0, 1.0, 0.5 * width + EDGE, 0.5 * w + EDGE) for s, w in road.crosswalks
    ]
    d_centre = np.array([0.5 * width])
    for junc in road.junctions:
        cx, cy, ch = (float(a[0]) for a in road.to_world(np.array([junc.s]), d_centre))
        for arm in (a for a in junc.arms if a.crosswalk > 0):
            u = np.array([np.cos(ch + arm.angle), np.sin(ch + arm.angle)])
            n = np.array([-u[1], u[0]])  # inbound lanes lie on this side of the arm's axis
            along = 0.5 * junc.width + 0.5 * arm.crosswalk
            side = 0.5 * (arm.lanes_in - arm.lanes_out) * arm.lane_width
            centre = np.array([cx, cy]) + u * along + n * side
            zs, zd = to_frenet(road, centre[:1], centre[1:])
            heading = float(road.to_world(zs, zd)[2][0])
            ang = np.arctan2(n[1], n[0]) - heading
            half = 0.5 * (arm.lanes_in + arm.lanes_out) * arm.lane_width + EDGE
            wid = 0.5 * arm.crosswalk + EDGE
            rows.append((float(zs[0]), float(zd[0]), np.cos(ang), np.sin(ang), half, wid))
    arr = np.array(rows, dtype=float).reshape(-1, 6).T
    return [np.ascontiguousarray(a) for a in arr]


def _inside(z: Zones, s: F64, d: F64) -> B8:
    """(..., C) whether points (...) lie in each zone."""
    rs, rd = s[..., None] - z.s, d[..., None] - z.d
    along = rs * z.ax_s + rd * z.ax_d
    across = rd * z.ax_s - rs * z.ax_d
    return np.asarray((np.abs(along) <= z.half_len) & (np.abs(across) <= z.half_wid))


def occupied(state: SimState, params: SimParams, z: Zones) -> B8:
    """(B, C) zones with a pedestrian or a crossing cyclist on them, or moving onto them
    within T_ENTER at its own speed."""
    kind = params.actors.kind
    cos_h, sin_h = np.cos(state.psi), np.sin(state.psi)
    reach = state.v * T_ENTER
    ahead_s, ahead_d = state.s + reach * cos_h, state.d + reach * sin_h
    on = _inside(z, state.s, state.d) | _inside(z, ahead_s, ahead_d)
    along = np.abs(cos_h[..., None] * z.ax_s + sin_h[..., None] * z.ax_d)  # (B, N, C)
    crossing = (kind == CYCLIST)[..., None] & (along >= CROSSING_ANGLE)
    vru = (kind == PEDESTRIAN)[..., None] | crossing
    return np.asarray((on & vru).any(axis=1))


def path_entries(z: Zones, path_s: F64, path_d: F64) -> F64:
    """(C,) [m] path length at which the (K,) Frenet polyline first enters each zone
    (inf where it never does)."""
    seg = np.hypot(np.diff(path_s), np.diff(path_d))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    grid = np.arange(0.0, cum[-1] + RESAMPLE, RESAMPLE)
    inside = _inside(z, np.interp(grid, cum, path_s), np.interp(grid, cum, path_d))
    first = np.argmax(inside, axis=0)
    return np.where(inside.any(axis=0), grid[first], np.inf)


def crosswalk_gap(state: SimState, params: SimParams, cols: I64, entry: F64) -> F64:
    """(B, M) [m] gap from the front of each connecting-lane vehicle in ``cols`` to the
    first occupied crosswalk ahead on its path, FAR if none; ``entry`` (B, M, C) [m]."""
    z = zones(params.road)
    occ = occupied(state, params, z)
    front = state.p[:, cols] + 0.5 * params.actors.length[:, cols]
    dist = entry - front[..., None]
    stop = occ[:, None, :] & (dist > COMMITTED) & np.isfinite(entry)
    return np.asarray(np.where(stop, np.maximum(dist, 0.1), FAR).min(axis=-1))

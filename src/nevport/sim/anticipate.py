"""Route traffic anticipates connecting-lane vehicles that cross its lane with priority.

When the scenario is built, the stretch of each connecting lane that crosses a route lane
inside the junction box is found (path lengths where the vehicle's body enters and leaves
the lane, heading across it by more than CROSS_ANGLE). Each step, a vehicle that drives on
(it has right of way, or has served its stop sign or accepted its gap) occupies the lane
from when its front reaches that stretch until its rear has left it, at its current speed
(at least V_CREEP). A route driver that would be in the box during that time (from its
front reaching the box to its rear leaving it, at its desired speed) and can still stop at
B_STOP before the box takes the box edge as a standing leader, so it waits before the
conflict point instead of braking once the other is in its lane.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nevport.sim.junction import must_go, path_vehicles
from nevport.sim.road import Road
from nevport.sim.state import IDM, SimParams, SimState
from nevport.sim.traffic import FAR

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

CROSS_ANGLE = np.pi / 4  # [rad] a path crosses a lane (rather than joins it) above this angle
V_CREEP = 1.0  # [m/s] a crossing vehicle is taken to move at least this fast
B_STOP = 4.0  # [m/s^2] deceleration up to which a route driver still stops for it (MOBIL b_safe)
CLEARANCE = 1.0  # [s] time kept between the crossing vehicle leaving and the driver arriving
HORIZON = 120.0  # [m] route drivers farther from the box do not look yet
RESAMPLE = 0.25  # [m] path resolution when locating the lane crossings


def lane_crossings(road: Road, junction: int, path_s: F64, path_d: F64, width: float) -> F64:
    """(L, 2) [m] path lengths where a vehicle of ``width`` on the (K,) path starts and
    stops overlapping each route lane inside junction ``junction``'s box while heading
    across it; inf where it does not cross the lane."""
    junc = road.junctions[junction]
    seg = np.hypot(np.diff(path_s), np.diff(path_d))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    grid = np.arange(0.0, cum[-1], RESAMPLE)
    s, d = np.interp(grid, cum, path_s), np.interp(grid, cum, path_d)
    heading = np.arctan2(np.gradient(d), np.gradient(s))
    box = np.abs(s - junc.s) <= 0.5 * junc.width
    edges = road.lane_edges
    out = np.full((len(road.lanes), 2), np.inf)
    for k, lane in enumerate(road.lanes):
        on = box & (d > edges[k] - 0.5 * width) & (d < edges[k + 1] + 0.5 * width)
        if not on.any():
            continue
        first, last = np.argmax(on), len(on) - 1 - np.argmax(on[::-1])
        along = np.cos(heading[first]) * lane.direction  # 1 along the lane, -1 against it
        if along < np.cos(CROSS_ANGLE):
            out[k] = grid[first], grid[last]
    return out


def crossing_gap(state: SimState, params: SimParams, lane: I64, sig: I64) -> F64:
    """(B, N) [m] gap from each route IDM driver to the edge of a junction box it must not
    enter yet because a crossing vehicle with priority will be in its lane, else FAR."""
    links, ap, road = params.links, params.actors, params.road
    gap = np.full(state.s.shape, FAR)
    cols = path_vehicles(params)
    if links is None or cols.size == 0 or not np.isfinite(links.lane_in).any():
        return gap
    nl = len(road.lanes)
    lc = np.clip(lane, 0, nl - 1)
    # the crossing vehicles' time window in each lane, (B, M, L) [s]
    p, v = state.p[:, cols, None], np.maximum(state.v[:, cols, None], V_CREEP)
    half = 0.5 * ap.length[:, cols, None]
    lane_in, lane_out = links.lane_in[:, cols], links.lane_out[:, cols]
    t_in = np.maximum(lane_in - (p + half), 0.0) / v
    t_out = (lane_out - (p - half)) / v + CLEARANCE
    goes = must_go(state, params, cols, sig)[..., None] & (t_out > CLEARANCE)
    goes &= np.isfinite(lane_in)
    fwd = road.lane_array("direction")[lc] > 0
    route = (ap.ctrl == IDM) & (lane >= 0)
    rows = np.arange(state.s.shape[0])[:, None, None]
    pick = lc[:, None, :]  # (B, 1, N): the lane each driver is in
    for j, junc in enumerate(road.junctions):
        mine = (links.junction[:, cols] == j)[..., None] & goes  # (B, M, L)
        if not mine.any():
            continue
        near, far = junc.s - 0.5 * junc.width, junc.s + 0.5 * junc.width
        dist = np.where(fwd, near - (state.s + 0.5 * ap.length), state.s - 0.5 * ap.length - far)
        # at its desired speed: the decision does not flip as the driver slows for it
        vr = np.maximum(np.maximum(state.v, ap.v0), 0.1)
        arrive, leave = dist / vr, (dist + junc.width + ap.length) / vr
        stoppable = state.v**2 <= 2.0 * B_STOP * np.maximum(dist, 0.0)
        ask = route & (dist > -0.5) & (dist < HORIZON) & stoppable  # (B, N)
        m_idx = np.arange(len(cols))[None, :, None]
        occ_in = t_in[rows, m_idx, pick]  # (B, M, N)
        occ_out = t_out[rows, m_idx, pick]
        busy = (
            mine[rows, m_idx, pick] & (occ_in < leave[:, None, :]) & (occ_out > arrive[:, None, :])
        )
        wait = ask & busy.any(axis=1)
        gap = np.where(wait, np.minimum(gap, np.maximum(dist, 0.1)), gap)
    return gap

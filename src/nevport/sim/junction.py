"""Junction traffic: vehicles on connecting lanes drive by IDM, obey their arm's control.

A vehicle on a connecting lane is a PATH actor of kind car or truck. Its leader is the
nearest actor ahead whose position lies on its path (within the two half widths plus
MARGIN), taken with its speed along the path, so queues form behind stopped cars, on the
route part of a turning path as well as in the box. Its own stop line is a virtual
standing leader while its signal is red (or amber and it can still stop), or until it has
stopped at a stop sign and found a gap in the crossing traffic of at least the critical
gap (HCM). Turns cap the speed at A_LAT_TURN. Route followers see a turning car through
the lane index while it is on a lane; once its body has left the lanes it is in no lane
and route traffic ignores it. A vehicle at the end of its path has left the scene.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nevport.sim.crosswalks import crosswalk_gap
from nevport.sim.dynamics import G
from nevport.sim.flow import AMBER_DECEL, STOP_REACH, STOPPED
from nevport.sim.road import AMBER, GREEN, RED, ROUTE_LINE_REACH, Link
from nevport.sim.state import CAR, EGO, IDM, PATH, PEDESTRIAN, TRUCK, Links, SimParams, SimState
from nevport.sim.traffic import FAR, idm_acceleration

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

PRIORITY, STOP, SIGNALLED = 0, 1, 2
CONTROLS = {"priority": PRIORITY, "stop": STOP, "signal": SIGNALLED}
# base critical headways at two-way stop control, two-lane major street: HCM 2010
# Exhibit 19-10 (HCM 6th ed. Exhibit 20-11); docs/sim/models.md
T_CRIT_RIGHT = 6.2  # [s] right turn from the minor road
T_CRIT_THROUGH = 6.5  # [s] through movement from the minor road
T_CRIT_LEFT = 7.1  # [s] left turn from the minor road
# permissive left turns yielding to oncoming traffic: HCM 2010 Exhibit 19-10 (major-street
# left turn, two-lane street) at priority arms; HCM 2010 Chapter 31 (permitted left-turn
# saturation flow, t_cg and t_fg) on green; docs/sim/models.md
T_CRIT_PERMISSIVE = {"priority": 4.1, "signal": 4.5}  # [s] critical headway
T_FOLLOW_PERMISSIVE = {"priority": 2.2, "signal": 2.5}  # [s] follow-up headway
THROUGH_WITHIN = np.pi / 4  # [rad] heading change below which a movement counts as through
SAME_APPROACH = 0.1  # [rad] arms whose directions differ less are one approach
YIELD_BEFORE = 1.0  # [m] a permissive turner waits with its front this far from the oncoming lanes
MARGIN = 0.3  # [m] lateral clearance added to the half widths when finding leaders


def critical_gap(turn: float) -> float:
    """Critical gap [s] of a stop-controlled movement turning by ``turn`` [rad] (left +)."""
    if abs(turn) < THROUGH_WITHIN:
        return T_CRIT_THROUGH
    return T_CRIT_LEFT if turn > 0 else T_CRIT_RIGHT


def gap_acceptance(link: Link) -> tuple[float, bool, float]:
    """Critical gap [s], whether the movement is a permissive left turn, and its follow-up
    headway [s] (0 when not permissive)."""
    if link.control != "stop" and link.turn >= THROUGH_WITHIN:
        return T_CRIT_PERMISSIVE[link.control], True, T_FOLLOW_PERMISSIVE[link.control]
    return critical_gap(link.turn), False, 0.0


def oncoming_direction(approach: float) -> int:
    """Direction (+1 with s, -1 against) of the route traffic that comes towards a vehicle
    entering from an arm pointing ``approach`` [rad] from the junction centre; 0 none."""
    if abs(_wrap(approach - np.pi)) < THROUGH_WITHIN:  # arriving along the route: oncoming
        return -1  # traffic drives the backward lanes
    return 1 if abs(_wrap(approach)) < THROUGH_WITHIN else 0


def _wrap(angle: F64 | float) -> F64:
    return np.asarray(np.angle(np.exp(1j * np.asarray(angle))))


def path_vehicles(params: SimParams) -> I64:
    """(M,) columns of the actors that drive connecting lanes."""
    ap = params.actors
    veh = (ap.ctrl == PATH) & ((ap.kind == CAR) | (ap.kind == TRUCK))
    return np.nonzero(veh.any(axis=0))[0]


def _project(params: SimParams, cols: I64, s: F64, d: F64) -> tuple[F64, F64, F64]:
    """Every actor (B, N) projected onto each path in ``cols``: path length, lateral
    distance and path heading at the foot point, each (B, M, N)."""
    ap = params.actors
    ps, pd, pl = ap.path_s[:, cols, None, :], ap.path_d[:, cols, None, :], ap.path_len[:, cols]
    es, ed = np.diff(ps, axis=-1), np.diff(pd, axis=-1)
    len2 = np.maximum(es * es + ed * ed, 1e-12)
    qs, qd = s[:, None, :, None] - ps[..., :-1], d[:, None, :, None] - pd[..., :-1]
    t = np.clip((qs * es + qd * ed) / len2, 0.0, 1.0)
    dist2 = (qs - t * es) ** 2 + (qd - t * ed) ** 2
    k = np.argmin(dist2, axis=-1)[..., None]
    pick = np.take_along_axis
    along = pick(pl[:, :, None, :-1], k, -1) + pick(t * np.sqrt(len2), k, -1)
    heading = np.arctan2(pick(ed, k, -1), pick(es, k, -1))
    return along[..., 0], np.sqrt(pick(dist2, k, -1))[..., 0], heading[..., 0]


def _leaders(state: SimState, params: SimParams, cols: I64) -> tuple[F64, F64]:
    """Gap [m] to the nearest actor ahead on each path and its speed along the path."""
    ap = params.actors
    along, lat, heading = _project(params, cols, state.s, state.d)
    p = state.p[:, cols, None]
    v_along = state.v[:, None, :] * np.cos(state.psi[:, None, :] - heading)
    wide = 0.5 * (ap.width[:, cols, None] + ap.width[:, None, :]) + MARGIN
    self_ = cols[:, None] == np.arange(ap.kind.shape[1])[None, :]
    # whatever stands or moves inside the path's band ahead is followed; one crossing it
    # counts with its speed along the path (about 0), so the driver brakes rather than hit
    gone = (ap.ctrl == PATH) & (state.p >= ap.path_len[..., -1])
    on = (along > p) & (lat < wide) & ~self_[None] & ~gone[:, None, :]
    gap = along - p - 0.5 * (ap.length[:, cols, None] + ap.length[:, None, :])
    gap = np.where(on, gap, FAR)
    j = np.argmin(gap, axis=-1)[..., None]
    return np.take_along_axis(gap, j, -1)[..., 0], np.take_along_axis(v_along, j, -1)[..., 0]


def _curve_speed(params: SimParams, links: Links, cols: I64, p: F64) -> F64:
    """(B, M) [m/s] highest speed from which every turn ahead is reached at its turn
    speed, braking at the comfortable deceleration."""
    ap = params.actors
    pl = ap.path_len[:, cols]
    ahead = np.maximum(pl - p[..., None], 0.0)
    reach = np.sqrt(links.v_turn[:, cols] ** 2 + 2.0 * ap.b_comf[:, cols, None] * ahead)
    return np.asarray(np.where(pl > p[..., None], reach, np.inf).min(axis=-1))


def _route_busy(state: SimState, params: SimParams, j: int, t_crit: F64, direction: int = 0) -> B8:
    """(B, M): route vehicles in junction ``j``'s box or reaching it within ``t_crit``
    (B, M) [s]; only those driving ``direction`` (+1 with s, -1 against) unless 0."""
    road, ap = params.road, params.actors
    junc = road.junctions[j]
    near, far = junc.s - 0.5 * junc.width, junc.s + 0.5 * junc.width
    lane = road.lane_of(state.d)
    fwd = road.lane_array("direction")[np.clip(lane, 0, None)] > 0
    route = ((ap.ctrl == IDM) | (ap.ctrl == EGO)) & (lane >= 0) & (ap.kind != PEDESTRIAN)
    if direction:
        route &= fwd == (direction > 0)
    lo, hi = state.s - 0.5 * ap.length, state.s + 0.5 * ap.length
    inside = (hi >= near) & (lo <= far)
    dist = np.where(fwd, near - hi, lo - far)
    eta = dist / np.maximum(state.v, 0.1)
    soon = (dist >= 0)[:, None, :] & (eta[:, None, :] < t_crit[..., None])
    return np.asarray((route[:, None, :] & (inside[:, None, :] | soon)).any(axis=-1))


def _path_busy(state: SimState, params: SimParams, links: Links, cols: I64, sig: I64) -> B8:
    """(B, M): another connecting-lane vehicle of the same junction is in the box, or has
    right of way and reaches the box within the asker's critical gap."""
    ap = params.actors
    lk = {n: getattr(links, n)[:, cols] for n in ("junction", "line", "exit", "control")}
    p, v, half = state.p[:, cols], state.v[:, cols], 0.5 * ap.length[:, cols]
    moving = state.walking[:, cols]
    inside = moving & (p + half > lk["line"]) & (p - half < lk["exit"])
    green = _state_of(sig, links.signal[:, cols]) == GREEN
    right = (lk["control"] == PRIORITY) | ((lk["control"] == SIGNALLED) & green)
    eta = (lk["line"] - (p + half)) / np.maximum(v, 0.1)
    t_c = links.t_crit[:, cols]
    coming = moving & right & (eta >= 0)
    other = ~np.eye(len(cols), dtype=bool)[None]
    same = lk["junction"][:, :, None] == lk["junction"][:, None, :]
    hit = inside[:, None, :] | (coming[:, None, :] & (eta[:, None, :] < t_c[:, :, None]))
    return np.asarray((hit & other & same).any(axis=-1))


def _state_of(sig: I64, idx: I64) -> I64:
    if sig.shape[1] == 0:
        return np.full(idx.shape, GREEN, np.int64)
    return np.take_along_axis(sig, np.clip(idx, 0, sig.shape[1] - 1), 1)


def _must_stop(state: SimState, params: SimParams, cols: I64, sig: I64) -> tuple[F64, B8]:
    """(B, M) [m] distance from each front to its stop line, and whether the line's red
    (or stoppable amber) signal or unserved stop sign asks the driver to stop there."""
    links = params.links
    assert links is not None
    ctrl, line = links.control[:, cols], links.line[:, cols]
    v = state.v[:, cols]
    dist = line - (state.p[:, cols] + 0.5 * params.actors.length[:, cols])
    st = _state_of(sig, links.signal[:, cols])
    can_stop = v**2 < 2.0 * AMBER_DECEL * np.maximum(dist, 0.0)
    red = (ctrl == SIGNALLED) & ((st == RED) | ((st == AMBER) & can_stop))
    unserved = (ctrl == STOP) & (state.stopped_at[:, cols] != line)
    return dist, red | unserved


def _line_gap(state: SimState, params: SimParams, cols: I64, sig: I64) -> F64:
    """(B, M) [m] gap to the first place where the driver must stop: its stop line (signal
    or stop sign), the edge of the oncoming lanes (a permissive turn without a gap) or an
    occupied crosswalk, else FAR."""
    links = params.links
    assert links is not None
    dist, stop = _must_stop(state, params, cols, sig)
    gap = np.where(stop & (dist > -1.0), np.maximum(dist, 0.1), FAR)
    if links.permissive[:, cols].any():
        wait, _, to_yield = _permissive(state, params, cols, sig)
        gap = np.minimum(gap, np.where(wait & (to_yield > -1.0), np.maximum(to_yield, 0.1), FAR))
    if np.isfinite(links.crossing).any():
        gap = np.minimum(gap, crosswalk_gap(state, params, cols, links.crossing[:, cols]))
    return gap


def _permissive(state: SimState, params: SimParams, cols: I64, sig: I64) -> tuple[B8, B8, F64]:
    """(B, M) permissive left turners that must wait, those that accept the gap now, and
    the distance [m] from each front to where it waits: YIELD_BEFORE short of the lanes of
    oncoming traffic, inside the box. A turner accepts when no oncoming vehicle is in the
    box or reaches it within the critical gap after the turner's own arrival, and none of
    its approach accepted within the follow-up headway; it decides once it could still
    stop comfortably, and is then committed (``SimState.accepted_at``)."""
    links, ap = params.links, params.actors
    assert links is not None
    open_ = links.permissive[:, cols] & np.isnan(state.accepted_at[:, cols])
    dist, stop = _must_stop(state, params, cols, sig)
    axis = links.axis[:, cols]
    to_yield = np.where(np.isfinite(axis), dist + axis - links.line[:, cols] - YIELD_BEFORE, dist)
    v = state.v[:, cols]
    ahead = np.maximum(to_yield - STOP_REACH, 0.0) / np.maximum(v, 1.0)
    horizon = ahead + links.t_crit[:, cols]
    busy = _oncoming_paths(state, params, cols, sig, horizon)
    oncoming = links.oncoming[:, cols]
    for j in range(len(params.road.junctions)):
        mine = links.junction[:, cols] == j
        for direction in (-1, 1):
            ask = mine & (oncoming == direction) & open_
            if ask.any():
                busy |= ask & _route_busy(state, params, j, horizon, direction)
    decide = to_yield <= STOP_REACH + v * v / (2.0 * ap.b_comf[:, cols])
    accept = open_ & ((~busy & ~stop & decide) | (to_yield <= -1.0))
    return open_ & busy, accept, to_yield


def must_go(state: SimState, params: SimParams, cols: I64, sig: I64) -> B8:
    """(B, M) connecting-lane vehicles that drive on into or through their box: started,
    not yet out of it, and held neither by their line nor by a permissive wait."""
    links, ap = params.links, params.actors
    assert links is not None
    dist, stop = _must_stop(state, params, cols, sig)
    p, half = state.p[:, cols], 0.5 * ap.length[:, cols]
    go = state.walking[:, cols] & (p - half < links.exit[:, cols]) & ~(stop & (dist > -1.0))
    open_ = links.permissive[:, cols] & np.isnan(state.accepted_at[:, cols])
    return np.asarray(go & ~open_)


def _oncoming_paths(state: SimState, params: SimParams, cols: I64, sig: I64, horizon: F64) -> B8:
    """(B, M): a connecting-lane vehicle from the opposite approach of the same junction,
    going through or right with right of way, is in the box or reaches it within
    ``horizon`` (B, M) [s]; or one from the own approach accepted a gap less than the
    follow-up headway ago."""
    links, ap = params.links, params.actors
    assert links is not None
    lk = {n: getattr(links, n)[:, cols] for n in ("junction", "line", "exit", "approach")}
    p, v, half = state.p[:, cols], state.v[:, cols], 0.5 * ap.length[:, cols]
    moving = state.walking[:, cols] & (p - half < lk["exit"])
    go = _state_of(sig, links.signal[:, cols]) != RED
    ctrl = links.control[:, cols]
    # with right of way, and not a left turner: opposing left turners pass in front of
    # each other
    right = ((ctrl == PRIORITY) | ((ctrl == SIGNALLED) & go)) & ~links.permissive[:, cols]
    inside = moving & right & (p + half > lk["line"])
    eta = (lk["line"] - (p + half)) / np.maximum(v, 0.1)
    soon = (moving & right & (eta >= 0))[:, None, :] & (eta[:, None, :] < horizon[..., None])
    same = lk["junction"][:, :, None] == lk["junction"][:, None, :]
    rel = _wrap(lk["approach"][:, None, :] - lk["approach"][:, :, None])
    opposite = same & (np.abs(_wrap(rel - np.pi)) < THROUGH_WITHIN)
    hit = opposite & (inside[:, None, :] | soon)
    since = state.t[:, None] - state.accepted_at[:, cols]  # NaN (never) compares False
    recent = since[:, None, :] < links.t_follow[:, cols, None]
    follow = same & (np.abs(rel) < SAME_APPROACH) & recent & ~np.eye(len(cols), dtype=bool)
    return np.asarray((hit | follow).any(axis=-1))


def path_accelerations(state: SimState, params: SimParams, sig: I64) -> F64:
    """(B, N) IDM acceleration [m/s^2] of connecting-lane vehicles (0 for other actors);
    ``sig`` (B, S + A) states of the route's and the arms' signals."""
    out = np.zeros_like(state.s)
    cols = path_vehicles(params)
    if cols.size == 0:
        return out
    ap = params.actors
    gap, v_lead = _leaders(state, params, cols)
    line = _line_gap(state, params, cols, sig)
    v, v0 = state.v[:, cols], ap.walk_speed[:, cols]
    dv = np.where(gap < line, v - v_lead, v)
    args = (ap.headway, ap.a_max, ap.b_comf, ap.s0)
    hw, amax, b, s0 = (x[:, cols] for x in args)
    a_free = idm_acceleration(v, v0, np.minimum(gap, line), dv, hw, amax, b, s0)
    links = params.links
    assert links is not None
    v_cap = np.minimum(v0, _curve_speed(params, links, cols, state.p[:, cols]))
    a_cap = idm_acceleration(v, np.maximum(v_cap, 0.1), np.minimum(gap, line), dv, hw, amax, b, s0)
    a = np.minimum(a_free, np.maximum(a_cap, -b))  # slowing for a turn is comfortable braking
    out[:, cols] = np.maximum(a, -params.mu[:, None] * G)  # tyres bound any emergency stop
    return out


def permissive_memory(state: SimState, params: SimParams, sig: I64) -> F64:
    """(B, N) ``accepted_at`` with the permissive turners that accept their gap now."""
    links = params.links
    cols = path_vehicles(params)
    if links is None or cols.size == 0 or not links.permissive.any():
        return state.accepted_at
    accept = _permissive(state, params, cols, sig)[1]
    out = state.accepted_at.copy()
    out[:, cols] = np.where(accept, state.t[:, None], state.accepted_at[:, cols])
    return out


def junction_memory(state: SimState, params: SimParams, sig: I64) -> F64:
    """(B, N) ``stopped_at`` with stop-controlled connecting-lane vehicles that are at rest
    at their line and see a gap of at least their critical gap marked as served (their
    line's path length is stored); ``sig`` (B, S + A) signal states."""
    links = params.links
    cols = path_vehicles(params)
    if links is None or cols.size == 0:
        return state.stopped_at
    line = links.line[:, cols]
    front = state.p[:, cols] + 0.5 * params.actors.length[:, cols]
    here = (state.v[:, cols] < STOPPED) & (front > line - STOP_REACH) & (front <= line + 0.5)
    here &= links.control[:, cols] == STOP
    busy = _path_busy(state, params, links, cols, sig)
    for j in range(len(params.road.junctions)):
        mine = links.junction[:, cols] == j
        busy |= mine & _route_busy(state, params, j, links.t_crit[:, cols])
    out = state.stopped_at.copy()
    out[:, cols] = np.where(here & ~busy, line, state.stopped_at[:, cols])
    return out


def route_stop_clear(state: SimState, params: SimParams, s_line: float) -> B8:
    """(B, 1): no connecting-lane vehicle is in, or within the through critical gap of,
    the junction box that the route stop line ``s_line`` guards."""
    links, road = params.links, params.road
    cols = path_vehicles(params)
    clear = np.ones((state.t.shape[0], 1), bool)
    if links is None or cols.size == 0:
        return clear
    for j, junc in enumerate(road.junctions):
        if not 0 <= junc.s - 0.5 * junc.width - s_line <= ROUTE_LINE_REACH:
            continue
        half = 0.5 * params.actors.length[:, cols]
        p, v = state.p[:, cols], state.v[:, cols]
        line, ext = links.line[:, cols], links.exit[:, cols]
        mine = (links.junction[:, cols] == j) & state.walking[:, cols]
        inside = (p + half > line) & (p - half < ext)
        eta = (line - (p + half)) / np.maximum(v, 0.1)
        right = links.control[:, cols] == PRIORITY
        soon = right & (eta >= 0) & (eta < T_CRIT_THROUGH)
        clear &= ~(mine & (inside | soon)).any(axis=1, keepdims=True)
    return clear


def stop_sign_memory(state: SimState, params: SimParams) -> F64:
    """(B, N) updated ``stopped_at``: an actor at rest within STOP_REACH of a stop line has
    served it and may go on once no crossing vehicle is within the critical gap (HCM)."""
    front = state.s + 0.5 * params.actors.length
    out = state.stopped_at
    for s_line in params.road.stop_signs:
        here = (state.v < STOPPED) & (front > s_line - STOP_REACH) & (front <= s_line + 0.5)
        out = np.where(here & route_stop_clear(state, params, s_line), s_line, out)
    return out

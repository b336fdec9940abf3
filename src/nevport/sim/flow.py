"""Traffic accelerations and lane decisions of every IDM actor for one step.

Leaders are found per lane from a sorted index (O(N log N) per variant); lane ends and
red or amber signals act as virtual standing leaders, so lane drops, ramps and signals
need no special driver logic: MOBIL sees the blocked lane and moves away from it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nevport.sim import crosswalks, ramps
from nevport.sim.road import AMBER, RED
from nevport.sim.state import CUBIC, IDM, PEDESTRIAN, SINUSOIDAL, STEP, SimParams, SimState
from nevport.sim.traffic import A_THRESHOLD, FAR, LaneIndex, idm_acceleration, mobil_gain

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

AMBER_DECEL = (
    3.0  # [m/s^2] a driver stops at amber if this deceleration suffices (docs/sim/models.md)
)
STOPPED = 0.3  # [m/s] below this a driver counts as stopped at a stop sign
STOP_REACH = 3.0  # [m] a stop counts when the front is this close to the stop line
SETTLED = 0.2  # [m] lateral distance to the lane centre at which a lane change is complete
STRADDLE = 0.3  # [m] overlap with the next lane at which an actor also occupies it
LANE_CHANGE_DELAY = 1.0  # [s] interval between MOBIL decisions (highway-env IDMVehicle)
MOBIL_GROUPS = 4  # [-] drivers decide in 4 staggered groups, one every LANE_CHANGE_DELAY / 4


class _Flat:
    """Flattened (B*N,) actor constants and the lane entries' positions, for gathers."""

    def __init__(self, state: SimState, params: SimParams, index: LaneIndex) -> None:
        ap = params.actors
        self.index = index
        self.sdir, self.vdir = index.sdir, index.vdir  # per entry
        self.v, self.length = state.v.ravel(), ap.length.ravel()
        self.v0, self.hw = ap.v0.ravel(), ap.headway.ravel()
        self.amax, self.b, self.s0 = ap.a_max.ravel(), ap.b_comf.ravel(), ap.s0.ravel()

    def acc(self, fe: I64, le: I64, shift: F64, cap: F64 | float) -> F64:
        """IDM acceleration of follower entry ``fe`` behind leader entry ``le`` (-1 none);
        ``cap`` [m] is the gap to the nearest virtual obstacle."""
        has = le >= 0
        le0 = np.where(has, le, 0)
        fi, lj = fe % self.index.n_actors, le0 % self.index.n_actors
        gap = self.sdir[le0] + shift - self.sdir[fe] - 0.5 * (self.length[fi] + self.length[lj])
        gap = np.where(has, gap, FAR)
        dv = np.where(has & (gap < cap), self.v[fi] - self.vdir[le0], self.v[fi])
        return idm_acceleration(
            self.v[fi],
            self.v0[fi],
            np.minimum(gap, cap),
            dv,
            self.hw[fi],
            self.amax[fi],
            self.b[fi],
            self.s0[fi],
        )


def _scripted(state: SimState, dt: float) -> F64:
    """(B, N) acceleration of a storyboard speed change, by profile.

    linear: constant rate a_set; step: the target at once (drivers' IDM still limits it);
    sinusoidal: speed follows half a cosine from v_from to v_set with mean rate a_set;
    cubic: speed follows 3 tau^2 - 2 tau^3 (zero rate at both ends, peak 1.5 a_set), the
    cubic with those end conditions (OpenSCENARIO 1.2 DynamicsShape.cubic).
    """
    dv = state.v_set - state.v
    linear = np.clip(dv / dt, -state.a_set, state.a_set)
    span = np.abs(state.v_set - state.v_from)
    duration = np.maximum(span / np.maximum(state.a_set, 1e-6), dt)
    tau = np.clip((state.t[:, None] + dt - state.t_from) / duration, 0.0, 1.0)
    shape = np.where(
        state.profile == CUBIC, tau * tau * (3.0 - 2.0 * tau), 0.5 * (1.0 - np.cos(np.pi * tau))
    )
    smooth = (state.v_from + (state.v_set - state.v_from) * shape - state.v) / dt
    return np.where(
        state.profile == STEP, dv / dt, np.where(state.profile >= SINUSOIDAL, smooth, linear)
    )


def _second_lane(state: SimState, params: SimParams, lane: I64) -> I64:
    """(B, N) the other lane an actor's body overlaps by more than STRADDLE m, else -1."""
    road, half = params.road, 0.5 * params.actors.width - STRADDLE
    right, left = road.lane_of(state.d - half), road.lane_of(state.d + half)
    other = np.where(right != lane, right, np.where(left != lane, left, -1))
    return np.where(lane >= 0, other, -1)


def _virtual_gap(state: SimState, params: SimParams, lane: I64, sig: I64) -> F64:
    """(B, N) gap [m] to the lane's end or a stop line that asks the driver to stop."""
    road, ap = params.road, params.actors
    lc = np.clip(lane, 0, len(road.lanes) - 1)
    half = 0.5 * ap.length
    fwd = road.lane_array("direction")[lc] > 0
    end = road.lane_array("end")[lc]
    ends = fwd & (end < road.length - 1.0) & ~np.bool_(road.periodic)
    if params.exits is not None:
        ends &= ~ramps.end_is_open(params, lane)
    gap = np.where(ends, end - state.s - half, FAR)
    if params.exits is not None:
        gap = np.minimum(gap, ramps.mandatory_gap(state, params, lane))
    for k, sg in enumerate(road.signals):
        dist = sg.s - state.s - half
        can_stop = state.v**2 < 2.0 * AMBER_DECEL * np.maximum(dist, 0.0)
        stop = (sig[:, k : k + 1] == RED) | ((sig[:, k : k + 1] == AMBER) & can_stop)
        gap = np.where(fwd & stop & (dist > -1.0), np.minimum(gap, np.maximum(dist, 0.1)), gap)
    if road.stop_signs:
        gap = _stop_sign_gap(state, params, fwd, gap)
    return _crosswalk_gap(state, params, fwd, gap) if road.crosswalks else gap


def _stop_sign_gap(state: SimState, params: SimParams, fwd: NDArray[np.bool_], gap: F64) -> F64:
    """Forward traffic stops at every stop line it has not yet served."""
    half = 0.5 * params.actors.length
    for s_line in params.road.stop_signs:
        dist = s_line - state.s - half
        stop = fwd & (dist > -1.0) & (state.stopped_at != s_line)
        gap = np.where(stop, np.minimum(gap, np.maximum(dist, 0.1)), gap)
    return gap


def _crosswalk_gap(state: SimState, params: SimParams, fwd: NDArray[np.bool_], gap: F64) -> F64:
    """Drivers stop before a crosswalk while a pedestrian or a crossing cyclist is on it
    or about to enter it (crosswalks.py), in either direction."""
    road, ap = params.road, params.actors
    occ = crosswalks.occupied(state, params, crosswalks.zones(road))
    half = 0.5 * ap.length
    for k, (s_c, w_c) in enumerate(road.crosswalks):  # the route's zones come first
        near = np.where(fwd, (s_c - 0.5 * w_c) - state.s - half, state.s - (s_c + 0.5 * w_c) - half)
        stop = occ[:, k : k + 1] & (near > crosswalks.COMMITTED) & (ap.kind != PEDESTRIAN)
        gap = np.where(stop, np.minimum(gap, np.maximum(near, 0.1)), gap)
    return gap


def traffic_accelerations(
    state: SimState, params: SimParams, lane: I64, sig: I64, hold: F64 | None = None
) -> tuple[F64, I64]:
    """IDM acceleration [m/s^2] (B, N) of every actor and the lane each IDM actor heads for;
    ``hold`` (B, N) [m] gaps to further standing obstacles (a junction box to wait at)."""
    road, ap = params.road, params.actors
    b, n = state.s.shape
    nl = len(road.lanes)
    index = LaneIndex.build(
        lane,
        _second_lane(state, params, lane),
        state.s,
        state.v * np.cos(state.psi),
        road.lane_array("direction"),
        road.length,
        road.periodic,
    )
    flat = _Flat(state, params, index)
    fi = np.arange(b * n)
    batch = np.repeat(np.arange(b), n)
    lane_f = np.where(lane < 0, nl, lane).ravel()
    cap = _virtual_gap(state, params, lane, sig)
    cap = (cap if hold is None else np.minimum(cap, hold)).ravel()
    lead, shift = index.own_leader(batch, lane_f)
    if params.exits is not None:  # off the lanes after exiting: no more route interaction
        lead = np.where((lane_f == nl) & params.exits.ravel(), -1, lead)
    a_now = flat.acc(fi, lead, shift, cap)
    vset = state.v_set.ravel()
    scripted = _scripted(state, params.dt).ravel()
    a_now = np.where(np.isnan(vset), a_now, np.minimum(a_now, scripted))
    lane_tgt = state.lane_tgt.ravel().copy()
    centre_gap = np.abs(road.lane_centres[np.clip(lane_f, 0, nl - 1)] - state.d.ravel())
    free = ((ap.ctrl == IDM) & ap.mobil).ravel() & (lane_f < nl) & (lane_tgt == lane_f)
    free &= (centre_gap < SETTLED) & np.isnan(vset)
    # like highway-env, each driver reconsiders its lane once per LANE_CHANGE_DELAY; drivers
    # are staggered over MOBIL_GROUPS slots so that a step pays for MOBIL only in those slots
    every = max(1, round(LANE_CHANGE_DELAY / params.dt))
    slot = max(1, every // MOBIL_GROUPS)
    k = np.rint(state.t / params.dt).astype(np.int64)
    group = (k // slot) % MOBIL_GROUPS
    due = (k % slot == 0)[:, None] & (np.arange(n)[None, :] % MOBIL_GROUPS == group[:, None])
    free &= due.ravel()
    if free.any():
        lane_tgt = _mobil(
            index, flat, state, params, batch, lane_f, lead, shift, a_now, free, lane_tgt
        )
    return a_now.reshape(b, n), lane_tgt.reshape(b, n)


def _mobil(
    index: LaneIndex,
    flat: _Flat,
    state: SimState,
    params: SimParams,
    batch: I64,
    lane_f: I64,
    lead: I64,
    shift: F64,
    a_now: F64,
    free: NDArray[np.bool_],
    lane_tgt: I64,
) -> I64:
    """Pick the better adjacent lane by MOBIL for the actors in ``free`` (a small subset)."""
    fi = np.nonzero(free)[0]
    s = state.s.ravel()[fi]
    of_all, of_shift_all = index.own_follower(batch, lane_f)
    of, of_shift = of_all[fi], of_shift_all[fi]
    # the old follower's acceleration now, and once the mover has left (behind the old lead)
    a_of = (
        np.where(of >= 0, flat.acc(of, fi, -of_shift, FAR), 0.0),
        np.where(of >= 0, flat.acc(of, lead[fi], shift[fi] - of_shift, FAR), 0.0),
    )
    best_gain = np.full(fi.shape, A_THRESHOLD)
    choice = lane_tgt[fi].copy()
    for step_dir in (-1, 1):
        cand = lane_f[fi] + step_dir
        ok = _allowed(params, lane_f[fi], cand, s)
        if not ok.any():
            continue
        gain, fits = _candidate(index, flat, params, fi, batch[fi], cand, s, a_now[fi], a_of)
        gain = gain + ramps.bias(params, fi, lane_f[fi], cand, s)
        better = ok & fits & (gain > best_gain)
        best_gain = np.where(better, gain, best_gain)
        choice = np.where(better, cand, choice)
    out = lane_tgt.copy()
    out[fi] = choice
    return out


def _allowed(params: SimParams, lane: I64, cand: I64, s: F64) -> NDArray[np.bool_]:
    """Candidate lanes that exist here, run the same way and are not behind a solid line."""
    road = params.road
    nl = len(road.lanes)
    cc, lc = np.clip(cand, 0, nl - 1), np.clip(lane, 0, nl - 1)
    lane_dir = road.lane_array("direction")
    ok = (cand >= 0) & (cand < nl) & (lane_dir[cc] == lane_dir[lc])
    ok &= (s >= road.lane_array("start")[cc]) & (s <= road.lane_array("end")[cc] - 20.0)
    crossable = np.array([ln.marking_left != "solid" for ln in road.lanes] + [False])
    return np.asarray(ok & crossable[np.minimum(lane, cc).clip(0, nl)], dtype=bool)


def _candidate(
    index: LaneIndex,
    flat: _Flat,
    params: SimParams,
    fi: I64,
    bt: I64,
    cand: I64,
    s: F64,
    a_self: F64,
    a_of: tuple[F64, F64],
) -> tuple[F64, NDArray[np.bool_]]:
    """MOBIL gain of moving into ``cand`` and whether the move is safe and physically fits."""
    cc = np.clip(cand, 0, len(params.road.lanes) - 1)
    sd = flat.sdir[fi]
    nl_lead, nl_shift = index.leader(bt, cc, sd)
    nf, nf_shift = index.follower(bt, cc, sd)
    a_self_new = flat.acc(fi, nl_lead, nl_shift, _end_cap(s, params, cc, fi))
    has_nf = nf >= 0
    a_nf_old = np.where(has_nf, flat.acc(nf, nl_lead, nl_shift - nf_shift, FAR), 0.0)
    a_nf_new = np.where(has_nf, flat.acc(nf, fi, -nf_shift, FAR), 0.0)
    gain, safe = mobil_gain(
        a_self,
        a_self_new,
        a_nf_old,
        a_nf_new,
        a_of[0],
        a_of[1],
        params.actors.politeness.ravel()[fi],
    )
    fits = (safe | ~has_nf) & _room(flat, fi, nl_lead, nl_shift, nf, nf_shift)
    return gain, fits


def _end_cap(s: F64, params: SimParams, lane: I64, fi: I64) -> F64:
    road = params.road
    end = road.lane_array("end")[lane]
    ends = end < road.length - 1.0
    if params.exits is not None:  # an exiting driver drives off the ramp's end
        ends &= ~(params.exits.ravel()[fi] & (road.lane_array("exit")[lane] > 0))
    return np.where(ends, end - s, FAR)


def _room(
    flat: _Flat, fi: I64, ld: I64, ld_shift: F64, fo: I64, fo_shift: F64
) -> NDArray[np.bool_]:
    """True where the target lane has a physical gap at least as long as the actor plus 2 m."""
    lj, fj = np.where(ld >= 0, ld, 0), np.where(fo >= 0, fo, 0)
    sd, ln, n = flat.sdir[fi], flat.length[fi], flat.index.n_actors
    ahead = flat.sdir[lj] + ld_shift - sd - 0.5 * (flat.length[lj % n] + ln)
    behind = sd - (flat.sdir[fj] + fo_shift) - 0.5 * (flat.length[fj % n] + ln)
    room: NDArray[np.bool_] = ((ld < 0) | (ahead > 2.0)) & ((fo < 0) | (behind > 2.0))
    return room

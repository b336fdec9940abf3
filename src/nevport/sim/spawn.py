"""Traffic flows at run time: preallocated actor slots that enter when due and leave.

Every flow (flows.py) owns ``vehicles`` actor columns. Their vehicles are drawn when the
scenario is built, from the variant's seed: arrival times (exponential headways of mean
3600 / rate for Poisson arrivals, or constant ones), entry lane, car or truck, desired
speed and route (through or off-ramp). Until its vehicle arrives a slot is parked far off
the road (d = PARK_D, s = WAITING_S), where no driver, sensor or metric meets it. When it
is due, its predecessor of the same flow has entered, and the entry lane is clear (a gap
of s0 plus ENTRY_HEADWAY of speed ahead and behind), it appears at the entry at its
desired speed (the leader's, if that is slower and near); a late vehicle waits outside
the road as in a queue. It leaves when its rear passes the end of the road or when it has
left the lanes (down the off-ramp) and is parked again (s = GONE_S).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
from numpy.typing import NDArray

from nevport.sim.flows import FlowSpec
from nevport.sim.state import IDM, FlowSlots, SimParams, SimState

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Column = dict[str, F64 | list[F64]]

PARK_D = -1.0e4  # [m] lateral position of an inactive slot: far off any road
WAITING_S = -1.0e6  # [m] s of a slot whose vehicle has not entered yet
GONE_S = 1.0e6  # [m] s of a slot whose vehicle has left
ENTRY_HEADWAY = 1.0  # [s] time gap to the vehicles ahead and behind needed to enter
NEAR_LEADER = 3.0  # [s] a leader within this time at the desired speed sets the entry speed


def draw(flow: FlowSpec, seed: Sequence[int]) -> dict[str, F64]:
    """(M,) arrivals [s], lane, truck flag, desired speed [m/s] and exit flag of one flow's
    vehicles, from ``default_rng(seed)`` in this fixed order."""
    rng = np.random.default_rng(list(seed))
    m, mean = flow.vehicles, 3600.0 / flow.rate
    gaps = rng.exponential(mean, m) if flow.headway == "exponential" else np.full(m, mean)
    lane = np.asarray(flow.lanes)[rng.integers(len(flow.lanes), size=m)]
    truck = rng.random(m) < flow.truck_share
    lo, hi = flow.speed_range
    if flow.speed_normal is None:
        v0 = rng.uniform(lo, hi, m)
    else:
        v0 = np.clip(rng.normal(*flow.speed_normal, m), lo, hi)
    exits = rng.random(m) < flow.exit_share
    return {"due": np.cumsum(gaps), "lane": lane, "truck": truck, "v0": v0, "exit": exits}


def columns(
    flows: Sequence[FlowSpec],
    seeds: Sequence[Sequence[int]],
    wx: dict[str, F64],
    base: Callable[[int, str, int], Column],
) -> tuple[list[Column], dict[str, F64]]:
    """Actor columns of every slot (parked) and (B, M) arrival times and entry lanes;
    ``seeds`` one per variant, ``wx`` (B,) weather factors, ``base`` a default column."""
    b = len(seeds)
    per = [[draw(f, (*seeds[i], k)) for i in range(b)] for k, f in enumerate(flows)]
    car, lorry = base(b, "car", IDM), base(b, "truck", IDM)
    cols: list[Column] = []
    for f, rows in zip(flows, per, strict=True):
        drawn = {key: np.stack([r[key] for r in rows]) for key in rows[0]}  # (B, M_f)
        for j in range(f.vehicles):
            truck = drawn["truck"][:, j]
            col: Column = dict(car)
            for key in ("kind", "length", "width"):  # all a truck's defaults differ in
                col[key] = np.where(truck, cast(F64, lorry[key]), cast(F64, car[key]))
            col.update(
                s=np.full(b, WAITING_S),
                d=np.full(b, PARK_D),
                v0=drawn["v0"][:, j] * wx["speed_factor"],
                headway=cast(F64, car["headway"]) * wx["headway_factor"],
                exit=drawn["exit"][:, j].astype(float),
                mobil=np.ones(b),
            )
            cols.append(col)
    timing = {
        key: np.concatenate([np.stack([r[key] for r in rows]) for rows in per], axis=1)
        for key in ("due", "lane")
    }
    return cols, timing


def slots(flows: Sequence[FlowSpec], first: int, timing: dict[str, F64], end_s: float) -> FlowSlots:
    """The bookkeeping of slots that start at actor column ``first``."""
    sizes = [f.vehicles for f in flows]
    return FlowSlots(
        cols=np.arange(first, first + sum(sizes), dtype=np.int64),
        bounds=tuple(int(x) for x in np.concatenate([[0], np.cumsum(sizes)])),
        entry_s=tuple(f.s for f in flows),
        due=timing["due"],
        lane=timing["lane"].astype(np.int64),
        end_s=end_s,
    )


def advance(old: SimState, new: SimState, params: SimParams) -> SimState:
    """``new`` with parked slots kept parked, vehicles that left parked, and due vehicles
    entered (one per flow and step)."""
    fl = params.flows
    assert fl is not None
    c, road = fl.cols, params.road
    s, d, v = new.s.copy(), new.d.copy(), new.v.copy()
    psi, a, lane_tgt = new.psi.copy(), new.a.copy(), new.lane_tgt.copy()
    parked = old.d[:, c] <= PARK_D + 1.0
    half = 0.5 * params.actors.length[:, c]
    sc, dc = s[:, c], d[:, c]
    gone = ~parked & ((sc - half > fl.end_s) | (road.lane_of(dc) < 0))
    s[:, c] = np.where(gone, GONE_S, np.where(parked, old.s[:, c], sc))
    d[:, c] = np.where(parked | gone, PARK_D, dc)
    for arr in (v, psi, a):
        arr[:, c] = np.where(parked | gone, 0.0, arr[:, c])
    rows = np.arange(s.shape[0])
    for f, s_e in enumerate(fl.entry_s):
        lo, hi = fl.bounds[f], fl.bounds[f + 1]
        waiting = s[:, c[lo:hi]] <= WAITING_S + 1.0
        k = np.minimum(hi - lo - waiting.sum(axis=1), hi - lo - 1) + lo  # next slot (B,)
        due = waiting.any(axis=1) & (fl.due[rows, k] <= new.t)
        if not due.any():
            continue
        col, lane = c[k], fl.lane[rows, k]
        v_in, clear = _entry((s, d, v, lane_tgt), params, (rows, col, lane, s_e))
        go = due & clear
        r, cg = rows[go], col[go]
        s[r, cg], d[r, cg] = s_e, road.lane_centres[lane[go]]
        v[r, cg], psi[r, cg], a[r, cg], lane_tgt[r, cg] = v_in[go], 0.0, 0.0, lane[go]
    return new.replace(s=s, d=d, v=v, psi=psi, a=a, lane_tgt=lane_tgt)


def _entry(
    pose: tuple[F64, F64, F64, I64], params: SimParams, where: tuple[I64, I64, I64, float]
) -> tuple[F64, NDArray[np.bool_]]:
    """(B,) entry speed [m/s] of each variant's next vehicle and whether its lane is clear;
    ``pose`` (B, N) s [m], d [m], v [m/s] and target lane of every actor."""
    s, d, v, lane_tgt = pose
    rows, col, lane, s_e = where
    ap = params.actors
    lane_now = params.road.lane_of(d)
    into = (lane_now == lane[:, None]) | ((lane_tgt == lane[:, None]) & (lane_now >= 0))
    same = into & (d > PARK_D + 1.0)  # in the entry lane or changing into it
    ds = s - s_e
    room = np.abs(ds) - 0.5 * (ap.length + ap.length[rows, col][:, None])
    ahead = np.where(same & (ds >= 0), room, np.inf)
    behind = np.where(same & (ds < 0), room, np.inf)
    lead, follow = ahead.argmin(axis=1), behind.argmin(axis=1)
    gap_a, gap_b = ahead[rows, lead], behind[rows, follow]
    v0, s0 = ap.v0[rows, col], ap.s0[rows, col]
    v_in = np.where(gap_a < v0 * NEAR_LEADER, np.minimum(v0, v[rows, lead]), v0)
    clear = (gap_a >= s0 + v_in * ENTRY_HEADWAY) & (gap_b >= s0 + v[rows, follow] * ENTRY_HEADWAY)
    return v_in, clear

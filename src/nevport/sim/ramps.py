"""Off-ramps: route choice and the exit manoeuvre of IDM traffic.

A lane marked ``exit`` is an off-ramp (a deceleration lane): at its ``end`` it diverges
from the route. Actors with ``exit: 1`` take it; the others go through. Exiting drivers
add a bias towards the ramp to their MOBIL incentive that grows as the diverge nears;
within MANDATORY of it, a through lane ends for them just before the last point where
they may still change lanes, so they stop and wait for a gap rather than miss the exit.
On the ramp its end is no obstacle for them: past it they steer off the route at the
diverge slope and, once off the lanes, no longer interact with route traffic.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nevport.sim.state import SimParams, SimState
from nevport.sim.traffic import FAR

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

# Treiber & Kesting, Traffic Flow Dynamics (2013), sect. 14.4: strategic lane changes as a
# MOBIL bias; at the diverge it outweighs a 1 m/s^2 disadvantage (docs/sim/models.md)
EXIT_BIAS = 1.5  # [m/s^2] bias towards the ramp at the diverge point
EXIT_HORIZON = 1000.0  # [m] bias starts here: the first exit advance sign (GB 5768.2-2022)
MANDATORY = 300.0  # [m] within this a through lane ends for an exiting driver
LAST_CHANGE = 25.0  # [m] no lane change into a lane within 20 m of its end (flow._allowed)
DIVERGE_SLOPE = np.tan(np.deg2rad(4.0))  # [-] AASHTO Green Book 2018 sect. 10.9.6: 2-5 deg


def exit_lanes(params: SimParams) -> I64:
    return np.array([k for k, ln in enumerate(params.road.lanes) if ln.exit], np.int64)


def _ramp_end(params: SimParams) -> float:
    return float(max(params.road.lanes[k].end for k in exit_lanes(params)))


def end_is_open(params: SimParams, lane: I64) -> B8:
    """(B, N) True where the actor exits and ``lane`` is an exit lane (or off the road):
    the lane's end asks nothing of it."""
    if params.exits is None:
        return np.zeros(lane.shape, bool)
    flag = params.road.lane_array("exit")[np.clip(lane, 0, None)] > 0
    return np.asarray(params.exits & (flag | (lane < 0)))


def mandatory_gap(state: SimState, params: SimParams, lane: I64) -> F64:
    """(B, N) [m] gap to where a through lane ends for an exiting driver; FAR elsewhere."""
    if params.exits is None:
        return np.full(lane.shape, FAR)
    end = _ramp_end(params)
    flag = params.road.lane_array("exit")[np.clip(lane, 0, None)] > 0
    dist = end - LAST_CHANGE - state.s - 0.5 * params.actors.length
    to_ramp = params.road.lane_array("exit")[np.clip(state.lane_tgt, 0, None)] > 0
    on = params.exits & ~flag & ~to_ramp & (lane >= 0) & (end - state.s < MANDATORY)
    on &= dist > -1.0
    return np.where(on, np.maximum(dist, 0.1), FAR)


def bias(params: SimParams, fi: I64, lane: I64, cand: I64, s: F64) -> F64:
    """(F,) [m/s^2] MOBIL bias of flat actors ``fi`` in ``lane`` for ``cand`` at ``s``:
    towards the ramp for exiting drivers, growing linearly over EXIT_HORIZON."""
    if params.exits is None:
        return np.zeros(fi.shape)
    ramp = int(exit_lanes(params).min())
    end = _ramp_end(params)
    weight = np.clip(1.0 - (end - s) / EXIT_HORIZON, 0.0, 1.0) * (s < end)
    closer = np.abs(cand - ramp) < np.abs(lane - ramp)
    sign = np.where(closer, 1.0, -1.0)
    return np.where(params.exits.ravel()[fi], EXIT_BIAS * weight * sign, 0.0)


def diverge(state: SimState, params: SimParams, centre: F64, lat_speed: F64) -> tuple[F64, F64]:
    """Lateral target [m] and speed [m/s] with exiting actors past the diverge steering
    off the route at DIVERGE_SLOPE."""
    if params.exits is None:
        return centre, lat_speed
    end = _ramp_end(params)
    ramp = params.road.lane_centres[int(exit_lanes(params).min())]
    off = params.exits & (state.s > end - 0.5 * params.actors.length)
    target = ramp - (state.s - end) * DIVERGE_SLOPE
    fast = np.maximum(lat_speed, 1.5 * DIVERGE_SLOPE * state.v)
    return np.where(off, np.minimum(target, centre), centre), np.where(off, fast, lat_speed)

"""Simulation state and static parameters: dataclasses of arrays, batch dimension first.

Shapes: ``B`` variants, ``N`` actors (actor 0 is the ego when ``SimParams.has_ego``),
``K`` path points, ``E`` storyboard events, ``S`` signals. Units are SI.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nevport.sim.road import Road

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

# actor kinds (sensor classes)
CAR, TRUCK, PEDESTRIAN, CYCLIST, STATIC = 0, 1, 2, 3, 4
KIND_NAMES = ("car", "truck", "pedestrian", "cyclist", "static")
# speed-change profiles of the storyboard (OpenSCENARIO transition dynamics shapes)
LINEAR, STEP, SINUSOIDAL, CUBIC = 0, 1, 2, 3
PROFILES = {"linear": LINEAR, "step": STEP, "sinusoidal": SINUSOIDAL, "cubic": CUBIC}
# how an actor moves
EGO, IDM, PATH, FIXED = 0, 1, 2, 3


@dataclass(frozen=True)
class SimState:
    """Everything that changes during a run."""

    t: F64  # (B,) [s] simulation time
    s: F64  # (B, N) [m] longitudinal Frenet position
    d: F64  # (B, N) [m] lateral Frenet position
    v: F64  # (B, N) [m/s] speed along the heading, >= 0
    psi: F64  # (B, N) [rad] heading relative to the road direction at s
    a: F64  # (B, N) [m/s^2] longitudinal acceleration of the last step
    steer: F64  # (B,) [rad] ego front-wheel angle
    lane_tgt: I64  # (B, N) lane each road actor steers towards
    lat_v: F64  # (B, N) [m/s] lateral speed of an ordered lane change; 0 = default
    v_set: F64  # (B, N) [m/s] scripted target speed; NaN = follow the driver model
    a_set: F64  # (B, N) [m/s^2] mean rate of the scripted speed change
    v_from: F64  # (B, N) [m/s] speed when the scripted change began
    t_from: F64  # (B, N) [s] time when the scripted change began
    profile: I64  # (B, N) shape of the change: LINEAR, STEP, SINUSOIDAL or CUBIC
    walking: B8  # (B, N) path actors that have started
    p: F64  # (B, N) [m] progress along the actor's path
    fired_at: F64  # (B, E) [s] time each storyboard event fired; NaN = not yet
    sig_override: I64  # (B, S) signal state forced by the storyboard; -1 = program
    collided: B8  # (B,) ego has collided
    impact_speed: F64  # (B,) [m/s] relative speed at the first ego collision
    hit: I64  # (B,) actor the ego hit first; -1 none
    stopped_at: F64  # (B, N) [m] s of the last stop sign an actor has stopped at; -inf none
    accepted_at: F64  # (B, N) [s] time a permissive turner accepted its gap; NaN not yet

    def replace(self, **changes: Any) -> SimState:
        return dataclasses.replace(self, **changes)

    @property
    def shape(self) -> tuple[int, int]:
        b, n = self.s.shape
        return int(b), int(n)


@dataclass(frozen=True)
class ActorParams:
    """Per-actor constants of a batch of variants; every array is (B, N) unless noted."""

    kind: I64
    ctrl: I64
    length: F64  # [m]
    width: F64  # [m]
    v0: F64  # [m/s] IDM desired speed
    headway: F64  # [s] IDM time headway T
    a_max: F64  # [m/s^2] IDM maximum acceleration a
    b_comf: F64  # [m/s^2] IDM comfortable deceleration b
    s0: F64  # [m] IDM minimum gap
    politeness: F64  # MOBIL politeness p
    mobil: B8  # lane changes allowed
    path_s: F64  # (B, N, K) [m] path points, Frenet s
    path_d: F64  # (B, N, K) [m] path points, Frenet d
    path_len: F64  # (B, N, K) [m] cumulative path length at each point
    walk_speed: F64  # [m/s] speed of a path actor once started


@dataclass(frozen=True)
class Links:
    """Junction links of vehicles on connecting lanes, every array (B, N); -1/inf = none."""

    junction: I64  # index into Road.junctions
    line: F64  # [m] path length at the stop line
    exit: F64  # [m] path length where the path leaves the junction box
    control: I64  # 0 priority, 1 stop, 2 signal
    signal: I64  # index into Road.signals + Road.arm_signals()
    t_crit: F64  # [s] critical gap accepted after a stop, or by a permissive left turner
    v_turn: F64  # (B, N, K) [m/s] speed at each path point for a comfortable turn
    approach: F64  # [rad] direction of the source arm from the junction centre
    axis: F64  # [m] path length where the path crosses the source's centre line; inf none
    permissive: B8  # left turn with right of way: yields to oncoming traffic by gap acceptance
    t_follow: F64  # [s] follow-up headway between permissive turners of one approach
    oncoming: I64  # direction (+1 with s, -1 against) of oncoming route traffic; 0 none
    crossing: F64  # (B, N, C) [m] path length where the path enters each crosswalk; inf none
    lane_in: F64  # (B, N, L) [m] path length where the body starts to cross each route lane
    lane_out: F64  # (B, N, L) [m] and where it has left it (in the box); inf: no crossing


@dataclass(frozen=True)
class FlowSlots:
    """Actor columns reserved for traffic flows (spawn.py): ``M`` slots, flow after flow,
    each used by one vehicle once; every array with B is (B, M)."""

    cols: I64  # (M,) actor column of each slot
    bounds: tuple[int, ...]  # (F + 1,) slot offsets: flow f holds slots bounds[f]:bounds[f + 1]
    entry_s: tuple[float, ...]  # (F,) [m] where each flow's vehicles enter
    due: F64  # [s] time each slot's vehicle arrives at its entry
    lane: I64  # entry lane of each slot's vehicle
    end_s: float  # [m] a vehicle whose rear is past this has left the scenario


@dataclass(frozen=True)
class EgoParams:
    wheelbase: float = 2.8  # [m] mid-size car
    max_steer: float = 0.6  # [rad] front-wheel lock
    max_steer_rate: float = 0.7  # [rad/s] front-wheel angle rate
    a_max: float = 3.5  # [m/s^2] drive limit
    a_min: float = -10.0  # [m/s^2] brake system limit, above any road's friction


@dataclass(frozen=True)
class SimParams:
    """Static inputs of ``step``; the storyboard is compiled into ``events``."""

    road: Road
    actors: ActorParams
    mu: F64  # (B,) road friction coefficient
    dt: float = 0.05  # [s]
    has_ego: bool = True
    ego: EgoParams = dataclasses.field(default_factory=EgoParams)
    events: tuple[Any, ...] = ()
    actor_ids: tuple[str, ...] = ()
    links: Links | None = None  # None: no vehicle drives a connecting lane
    exits: B8 | None = None  # (B, N) actors that take the off-ramp; None: nobody exits
    flows: FlowSlots | None = None  # None: no traffic flows (no slot bookkeeping per step)

    def __post_init__(self) -> None:
        if self.actors.kind.shape != self.mu.shape + self.actors.kind.shape[1:]:
            raise ValueError(f"batch mismatch: actors {self.actors.kind.shape}, mu {self.mu.shape}")
        if not 0.001 <= self.dt <= 0.5:
            raise ValueError(f"dt {self.dt} s outside [0.001, 0.5]")


def initial_state(s: F64, d: F64, v: F64, lane: I64, n_events: int, n_signals: int) -> SimState:
    """A state at t=0 from (B, N) positions and speeds."""
    b, n = s.shape
    return SimState(
        t=np.zeros(b),
        s=s.astype(np.float64),
        d=d.astype(np.float64),
        v=v.astype(np.float64),
        psi=np.zeros((b, n)),
        a=np.zeros((b, n)),
        steer=np.zeros(b),
        lane_tgt=lane.astype(np.int64),
        lat_v=np.zeros((b, n)),
        v_set=np.full((b, n), np.nan),
        a_set=np.zeros((b, n)),
        v_from=np.zeros((b, n)),
        t_from=np.zeros((b, n)),
        profile=np.zeros((b, n), np.int64),
        walking=np.zeros((b, n), bool),
        p=np.zeros((b, n)),
        fired_at=np.full((b, n_events), np.nan),
        sig_override=np.full((b, n_signals), -1, np.int64),
        collided=np.zeros(b, bool),
        impact_speed=np.zeros(b),
        hit=np.full(b, -1, np.int64),
        stopped_at=np.full((b, n), -np.inf),
        accepted_at=np.full((b, n), np.nan),
    )

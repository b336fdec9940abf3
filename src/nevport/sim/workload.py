"""The standard throughput workload: a periodic 4-lane road of 2 km with IDM+MOBIL traffic.

Used by ``nevport sim bench`` and bench/sim_throughput.py so every peer is measured on
the same problem: 50 vehicles, 0.05 s steps, no ego, no storyboard.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from nevport.sim.road import Lane, Road, Segment
from nevport.sim.state import CAR, IDM, ActorParams, SimParams, SimState, initial_state
from nevport.sim.step import step

RING_LENGTH = 2000.0  # [m] issue 3 standard workload
LANES = 4
LANE_WIDTH = 3.5  # [m] motorway lane (GB 5768, JTG B01)
SPEED_LIMIT = 120 / 3.6  # [m/s]


def ring_road() -> Road:
    lane = Lane(LANE_WIDTH, SPEED_LIMIT, 0.0, RING_LENGTH, 1, "dashed")
    return Road(
        "ring", (Segment("straight", RING_LENGTH, 0.0, 0.0),), (lane,) * LANES, periodic=True
    )


def ring_workload(vehicles: int = 50, batch: int = 1, seed: int = 0) -> tuple[SimState, SimParams]:
    """Vehicles spread evenly over the lanes with random IDM desired speeds (seeded)."""
    rng = np.random.default_rng(seed)
    road = ring_road()
    shape = (batch, vehicles)
    idx = np.arange(vehicles)
    lane = np.broadcast_to(idx % LANES, shape).astype(np.int64)
    s = np.broadcast_to(idx * RING_LENGTH / vehicles, shape) + rng.uniform(0, 5, shape)
    d = road.lane_centres[lane]
    v0 = rng.uniform(25.0, 36.0, shape)  # [m/s] 90-130 km/h desired speeds
    ones = np.ones(shape)
    actors = ActorParams(
        kind=np.full(shape, CAR, np.int64),
        ctrl=np.full(shape, IDM, np.int64),
        length=4.5 * ones,
        width=1.8 * ones,
        v0=v0,
        headway=1.5 * ones,
        a_max=1.0 * ones,
        b_comf=1.5 * ones,
        s0=2.0 * ones,
        politeness=0.25 * ones,
        mobil=np.ones(shape, bool),
        path_s=np.zeros((*shape, 2)),
        path_d=np.zeros((*shape, 2)),
        path_len=np.zeros((*shape, 2)),
        walk_speed=0 * ones,
    )
    params = SimParams(road=road, actors=actors, mu=np.full(batch, 0.8), has_ego=False)
    return initial_state(s, d, 0.8 * v0, lane, 0, 0), params


@dataclass(frozen=True)
class BenchResult:
    vehicles: int
    batch: int
    steps: int
    seconds: float

    @property
    def vehicle_steps_per_s(self) -> float:
        return self.vehicles * self.batch * self.steps / self.seconds


def run_bench(vehicles: int = 50, batch: int = 1, seconds: float = 2.0) -> BenchResult:
    """Step the workload for at least ``seconds`` of wall time, after a short warm-up."""
    state, params = ring_workload(vehicles, batch)
    controls = np.zeros((batch, 2))
    for _ in range(5):
        state = step(state, controls, params)
    steps, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(10):
            state = step(state, controls, params)
        steps += 10
    return BenchResult(vehicles, batch, steps, elapsed)

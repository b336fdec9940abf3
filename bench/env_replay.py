"""Replay speed and per-sample lag of the environmental rule engine, against a floor.

A park of ENTERPRISES x FACILITIES (half production, half treatment, linked in pairs)
at one sample a minute, evaluated as one batch (all facilities share the arrays), which
is how ``nevport.environment.engine`` runs a park. The floor is the same loop over the
same samples doing only one vectorised threshold comparison per sample: the cost of
stepping through time at all. Prints JSON.

    .venv/bin/python bench/env_replay.py --days 7
    .venv/bin/python bench/env_replay.py --days 365    # a whole year (~0.2 GB of RAM)
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from nevport.environment.engine import Engine
from nevport.environment.states import Thresholds
from nevport.environment.topology import Facility, FacilityKind, Link, Topology

MINUTE = 60  # [s]
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
POOL_DAYS = 7  # distinct simulated days; longer runs cycle through them (memory)
BOOTH = Thresholds(1_000, 10_000, 40_000, 500, 120)
VOC = Thresholds(500, 5_000, 20_000, 400, 120)


def park(enterprises: int, facilities: int) -> Topology:
    items, links = [], []
    for e in range(enterprises):
        for f in range(facilities // 2):
            prod, treat = f"E{e}P{f}", f"E{e}T{f}"
            items += [
                Facility(prod, FacilityKind.production, BOOTH),
                Facility(treat, FacilityKind.treatment, VOC),
            ]
            links.append(Link(prod, treat, 0.5))
    return Topology(tuple(items), tuple(links))


def day_of_power(n: int, rng: np.random.Generator) -> np.ndarray:
    """(1440, n) [W]: one 12-hour shift, 2 % of treatments off for 100 minutes."""
    minute = np.arange(1440)[:, None]
    shift = ((minute >= 480) & (minute < 1200)).astype(np.float64)
    rated = np.where(np.arange(n) % 2 == 0, 40_000.0, 20_000.0)
    power = shift * 0.5 * rated * rng.uniform(0.9, 1.1, size=(1440, n)) + 100.0
    bad = np.flatnonzero(rng.random(n // 2) < 0.02) * 2 + 1
    power[600:700, bad] = 50.0  # real violations, so events are raised and stored
    return power


def run(topology: Topology, days: list[np.ndarray], count: int) -> dict[str, float]:
    """``count`` days, cycling through the pool ``days`` (a year fits in memory so)."""
    engine = Engine(topology)
    steps: list[float] = []
    events = 0
    t = T0
    started = time.perf_counter()
    for day in range(count):
        for row in days[day % len(days)]:
            before = time.perf_counter()
            events += len(engine.step(t, row))
            steps.append(time.perf_counter() - before)
            t += MINUTE
    elapsed = time.perf_counter() - started
    ms = np.array(steps) * 1000
    return {
        "seconds": round(elapsed, 2),
        "events": events,
        "step_p50_ms": round(float(np.percentile(ms, 50)), 3),
        "step_p99_ms": round(float(np.percentile(ms, 99)), 3),
        "step_max_ms": round(float(ms.max()), 3),
    }


def floor(days: list[np.ndarray], count: int) -> float:
    started = time.perf_counter()
    above = 0
    for day in range(count):
        for row in days[day % len(days)]:
            above += int(np.count_nonzero(row >= 5_000.0))
    return round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=200)
    parser.add_argument("--facilities", type=int, default=10)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    topology = park(args.enterprises, args.facilities)
    n = len(topology.facilities)
    rng = np.random.default_rng(7)
    days = [day_of_power(n, rng) for _ in range(min(args.days, POOL_DAYS))]
    result = run(topology, days, args.days)
    floor_s = floor(days, args.days)
    readings = args.days * 1440 * n
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} python {platform.python_version()}",
                "channels": n,
                "days": args.days,
                "readings": readings,
                "nevport": result,
                "readings_per_s": round(readings / result["seconds"]),
                "year_extrapolated_s": round(result["seconds"] / args.days * 365),
                "floor_seconds": floor_s,
                "floor_year_extrapolated_s": round(floor_s / args.days * 365),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

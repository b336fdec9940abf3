"""Simulator throughput against peers on the standard workload (issue 3).

Workload: 4-lane ring (periodic road) of about 2 km, 50 vehicles, IDM + lane changes,
0.05 s steps. Peers are measured in the same run on the same machine:

- nevport, one scenario (batch 1) and batched (1,000 variants);
- highway-env (IDM + MOBIL vehicles; pure road stepping, and env.step with observations);
- SUMO through libsumo (IDM car following, LC2013 lane changing, 16-gon ring of 2 km).

Optionally the wall time of the whole library x all weathers x 10 variants on 2 workers.
Usage: python bench/sim_throughput.py [--seconds S] [--campaign] [--write]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from nevport.sim.workload import run_bench

VEHICLES = 50
DT = 0.05  # [s]
RING = 2000.0  # [m]


def bench_highway_env(seconds: float, with_obs: bool) -> float:
    import gymnasium as gym
    import highway_env  # noqa: F401  (registers the environments)

    env = gym.make(
        "highway-v0",
        config={
            "lanes_count": 4,
            "vehicles_count": VEHICLES - 1,
            "simulation_frequency": 20,
            "policy_frequency": 20,
            "duration": 10_000,
            "vehicles_density": 1.0,
        },
    )
    env.reset(seed=0)
    road = env.unwrapped.road
    n = len(road.vehicles)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        if with_obs:
            env.step(1)  # IDLE
        else:
            road.act()
            road.step(DT)
        steps += 1
    return n * steps / (time.perf_counter() - start)


def _sumo_ring(folder: Path) -> Path:
    """A 16-gon ring of 2 km with 4 lanes, and 50 IDM vehicles spread over it."""
    k, radius = 16, RING / (2 * math.pi)
    nodes = "".join(
        f'<node id="n{i}" x="{radius * math.cos(2 * math.pi * i / k):.2f}" '
        f'y="{radius * math.sin(2 * math.pi * i / k):.2f}"/>'
        for i in range(k)
    )
    edges = "".join(
        f'<edge id="e{i}" from="n{i}" to="n{(i + 1) % k}" numLanes="4" speed="33.3"/>'
        for i in range(k)
    )
    (folder / "ring.nod.xml").write_text(f"<nodes>{nodes}</nodes>")
    (folder / "ring.edg.xml").write_text(f"<edges>{edges}</edges>")
    netconvert = Path(sys.executable).with_name("netconvert")
    subprocess.run(
        [
            str(netconvert),
            "-n",
            "ring.nod.xml",
            "-e",
            "ring.edg.xml",
            "-o",
            "ring.net.xml",
            "--no-internal-links",
            "true",
            "--no-turnarounds",
            "true",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    vehicles = []
    for v in range(VEHICLES):
        edge = v * k // VEHICLES
        route = " ".join(f"e{(edge + i) % k}" for i in range(k * 40))
        vehicles.append(
            f'<route id="r{v}" edges="{route}"/><vehicle id="v{v}" type="idm" '
            f'route="r{v}" depart="0" departLane="{v % 4}" departPos="5" '
            f'departSpeed="25"/>'
        )
    (folder / "ring.rou.xml").write_text(
        '<routes><vType id="idm" carFollowModel="IDM" accel="1.4" decel="2.0" tau="1.5" '
        'minGap="2" length="4.5" maxSpeed="36"/>' + "".join(vehicles) + "</routes>"
    )
    return folder


def bench_sumo(seconds: float) -> float:
    import libsumo

    with tempfile.TemporaryDirectory() as tmp:
        folder = _sumo_ring(Path(tmp))
        libsumo.start(
            [
                "sumo",
                "-n",
                str(folder / "ring.net.xml"),
                "-r",
                str(folder / "ring.rou.xml"),
                "--step-length",
                str(DT),
                "--no-step-log",
                "--no-warnings",
                "--collision.action",
                "none",
            ]
        )
        for _ in range(40):  # let every vehicle depart
            libsumo.simulationStep()
        n = libsumo.vehicle.getIDCount()
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            libsumo.simulationStep()
            steps += 1
        rate = n * steps / (time.perf_counter() - start)
        libsumo.close()
    return rate


def campaign_wall() -> tuple[float, int, float]:
    """Wall time, number of runs and CPU seconds (all processes) of the whole campaign."""
    code = (
        "import sys; from nevport.sim.cli import app; sys.argv=['sim','test','--suite','all',"
        "'--weather','all','--variants','10','--workers','2','--out',sys.argv[1]]; app()"
    )
    with tempfile.TemporaryDirectory() as out:
        start, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code, out], check=False, capture_output=True)
        wall = time.perf_counter() - start
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        runs = len(json.loads((Path(out) / "results.json").read_text())["runs"])
    return wall, runs, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--campaign", action="store_true")
    ap.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = ap.parse_args()
    res = {
        "nevport_single": run_bench(VEHICLES, 1, args.seconds).vehicle_steps_per_s,
        "nevport_batch_1000": run_bench(VEHICLES, 1000, args.seconds).vehicle_steps_per_s,
        "highway_env_road": bench_highway_env(args.seconds, with_obs=False),
        "highway_env_env_step": bench_highway_env(args.seconds, with_obs=True),
        "sumo_libsumo": bench_sumo(args.seconds),
        "load_average_1min": os.getloadavg()[0],
    }
    if args.campaign:
        res["campaign_wall_s"], res["campaign_runs"], res["campaign_cpu_s"] = campaign_wall()
    print(json.dumps({k: round(v, 2) for k, v in res.items()}, indent=1))
    if args.write:
        write_results(res)


def write_results(res: dict[str, float]) -> None:
    """Replace (or add) the '## Simulation' section of bench/RESULTS.md, leaving others alone."""
    path = Path(__file__).with_name("RESULTS.md")
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    hw = res["highway_env_road"]
    lines = [
        "## Simulation",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}), 1-min load average {res['load_average_1min']:.1f} "
        "(the machine is shared; figures are lower bounds). Command: "
        "`python bench/sim_throughput.py --campaign --write`.",
        "",
        "Standard workload: 4-lane periodic road of 2 km, 50 vehicles, IDM + lane changes, 0.05 s.",
        "",
        "| simulator | vehicle-steps/s | vs highway-env |",
        "|---|---:|---:|",
        f"| nevport, one scenario (batch 1) | {res['nevport_single']:,.0f} | "
        f"{res['nevport_single'] / hw:.0f}x |",
        f"| nevport, batched (1,000 variants, one core) | {res['nevport_batch_1000']:,.0f} | "
        f"{res['nevport_batch_1000'] / hw:.0f}x |",
        f"| highway-env 1.12 (road.act + road.step) | {hw:,.0f} | 1x |",
        f"| highway-env 1.12 (env.step with observation) | {res['highway_env_env_step']:,.0f} | "
        f"{res['highway_env_env_step'] / hw:.1f}x |",
        f"| SUMO 1.28 via libsumo (IDM, LC2013) | {res['sumo_libsumo']:,.0f} | "
        f"{res['sumo_libsumo'] / hw:.0f}x |",
    ]
    if "campaign_wall_s" in res:
        lines += [
            "",
            f"Whole library x 7 weathers x 10 variants (`nevport sim test --suite all "
            f"--weather all --variants 10 --workers 2`): {int(res['campaign_runs'])} runs in "
            f"{res['campaign_wall_s']:.1f} s wall time, {res['campaign_cpu_s']:.1f} s of CPU time "
            "over all processes (so about half of that on two otherwise idle cores).",
        ]
    lines += [
        "",
        f"Goals of issue 3: one scenario >= 30x highway-env: {res['nevport_single'] / hw:.0f}x; "
        f"batched >= 1,000,000 vehicle-steps/s on one core (3x SUMO): "
        f"{res['nevport_batch_1000']:,.0f}, {res['nevport_batch_1000'] / res['sumo_libsumo']:.0f}x "
        "SUMO"
        + (
            f"; whole campaign <= 60 s: {res['campaign_wall_s']:.0f} s."
            if "campaign_wall_s" in res
            else "."
        ),
        "SUMO uses its own lane-change model (LC2013, not MOBIL) and needs its network built "
        "with netconvert (eclipse-sumo); highway-env is measured without rendering. All peers "
        "ran in the same process run, one after the other.",
    ]
    section = "\n".join(lines) + "\n"
    start = text.find("## Simulation")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[nxt + 1 :] if nxt >= 0 else "")
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

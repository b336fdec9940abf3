"""Campaigns: many scenarios x weathers x variants on a process pool or a Ray cluster.

A job is one scenario with its whole weather x variant matrix as one batch (batching is
what makes the simulator fast). Jobs do not depend on the worker count or backend, so
every trace hash is the same on any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nevport.sim.build import variant_count
from nevport.sim.errors import SimError, UnknownNameError
from nevport.sim.runner import run_variants
from nevport.sim.scenario import Scenario, find_scenario, library, load_scenario
from nevport.sim.weather import PRESETS, parse_weather

SUITES = ("library", "urban", "highway", "euroncap", "r157", "all")
# GB/T 41798-2022 clause families 6.1-6.8 (docs/sim/suites.md): a suite each, by tag
CLAUSES = tuple(f"gbt41798-6.{i}" for i in range(1, 9))


def suite_ids(name: str) -> list[str]:
    """Scenario ids of a named suite; 'library' is every scenario outside the protocol suites,
    ``gbt41798-6.x`` every scenario (protocol ones included) tagged with that clause."""
    if name in CLAUSES:
        return [sid for sid, path in library().items() if name in load_scenario(path).tags]
    if name not in SUITES:
        known = ", ".join((*SUITES, "gbt41798-6.1 ... gbt41798-6.8"))
        raise UnknownNameError(f"unknown suite {name!r}; known: {known}")
    ids = []
    for sid, path in library().items():
        scn = load_scenario(path)
        tags, cat = scn.tags, scn.category
        in_protocol = any(t.startswith("suite:") for t in tags)
        keep = {
            "all": True,
            "library": not in_protocol,
            "urban": cat == "urban" and not in_protocol,
            "highway": cat == "highway" and not in_protocol,
            "euroncap": "suite:euroncap" in tags,
            "r157": "suite:r157" in tags,
        }[name]
        if keep:
            ids.append(sid)
    return ids


@dataclass(frozen=True)
class Job:
    scenario: str  # library id or file path
    weathers: tuple[str, ...]  # one entry per run
    variants: tuple[int, ...]  # one entry per run
    seed: int
    driver: str


def plan(
    names: Iterable[str], weathers: str | None, variants: int | None, seed: int, driver: str
) -> list[Job]:
    """Jobs for scenario names; ``weathers``: None (each scenario's own set), 'all' or 'a,b'."""
    jobs = []
    for name in names:
        scn = find_scenario(name)
        n = variant_count(scn, variants)
        pairs = [(w, i) for w in _weathers(scn, weathers) for i in range(n)]
        jobs.append(Job(name, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), seed, driver))
    return jobs


def _weathers(scn: Scenario, spec: str | None) -> tuple[str, ...]:
    if spec is None:
        return scn.weathers
    if spec == "all":
        return tuple(PRESETS)
    chosen = tuple(w.strip() for w in spec.split(",") if w.strip())
    for w in chosen:
        parse_weather(w)  # refuse bad names and fields before any job starts
    return chosen


def run_job(job: Job) -> list[dict[str, Any]]:
    scn = find_scenario(job.scenario)
    return run_variants(scn, list(job.weathers), list(job.variants), job.seed, job.driver)


def run_campaign(
    jobs: list[Job],
    workers: int = 1,
    backend: str = "process",
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every job; results come back in job order whatever the completion order."""
    done: dict[int, list[dict[str, Any]]] = {}
    tick = progress or (lambda n: None)
    if backend == "ray":
        done = _run_ray(jobs, tick)
    elif backend != "process":
        raise SimError(f"unknown backend {backend!r}; expected process or ray")
    elif workers <= 1:
        for i, job in enumerate(jobs):
            done[i] = run_job(job)
            tick(len(job.variants))
    else:
        # longest jobs first, so that no worker is left with a big one at the end
        order = sorted(range(len(jobs)), key=lambda i: -_cost(jobs[i]))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_job, jobs[i]): i for i in order}
            for fut in as_completed(futures):
                i = futures[fut]
                done[i] = fut.result()
                tick(len(jobs[i].variants))
    return [r for i in range(len(jobs)) for r in done[i]]


def _cost(job: Job) -> float:
    """Rough work of a job: simulated seconds x runs."""
    return find_scenario(job.scenario).duration * len(job.variants)


def _run_ray(jobs: list[Job], tick: Callable[[int], None]) -> dict[int, list[dict[str, Any]]]:
    try:
        import ray
    except ImportError:
        raise SimError("backend 'ray' needs Ray: pip install 'nevport[ray]'") from None
    if not ray.is_initialized():
        ray.init(
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"PYTHONPATH": str(Path(__file__).parents[2])}},
        )
    remote = ray.remote(run_job)
    refs = {remote.remote(job): i for i, job in enumerate(jobs)}
    done: dict[int, list[dict[str, Any]]] = {}
    pending = list(refs)
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        i = refs[ready[0]]
        done[i] = ray.get(ready[0])
        tick(len(jobs[i].variants))
    return done

"""``nevport sim``: list, run, test and bench (Typer sub-app mounted by the platform CLI)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nevport.sim.campaign import plan, run_campaign, suite_ids
from nevport.sim.errors import SimError
from nevport.sim.maps import load_map
from nevport.sim.plot import map_svg
from nevport.sim.report import write_all
from nevport.sim.runner import run_variants
from nevport.sim.scenario import find_scenario, library, load_scenario
from nevport.sim.weather import PRESETS, parse_weather
from nevport.sim.workload import run_bench

app = typer.Typer(
    help="Autonomous-driving virtual simulation test system.",
    no_args_is_help=True,
    add_completion=False,
)
F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Turn SimError (bad file, name, parameter) into one line on stderr and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SimError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _param(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise SimError(f"--param expects name=number, got {item!r}")
    return out


@app.command("list")
@user_errors
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
) -> None:
    """List the scenario library."""
    rows = []
    for sid, path in library().items():
        scn = load_scenario(path)
        rows.append(
            {
                "id": sid,
                "category": scn.category,
                "title": scn.title_en,
                "title_zh": scn.title_zh,
                "tags": list(scn.tags),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        typer.echo(f"{r['id']:<24} {r['category']:<8} {r['title']}")


@app.command()
@user_errors
def run(
    scenario: Annotated[str, typer.Argument(help="Library id or path to a scenario file.")],
    weather: Annotated[
        str, typer.Option(help=f"One of {', '.join(PRESETS)}; fields may follow: fog_200:mor=120")
    ] = "clear",
    driver: Annotated[str, typer.Option(help="module:Class, or 'reference'.")] = "reference",
    param: Annotated[list[str] | None, typer.Option(help="Parameter override name=value.")] = None,
    seed: int = 0,
    variant: Annotated[int, typer.Option(help="Variant index (0 = defaults).")] = 0,
    record: Annotated[Path | None, typer.Option(help="Write a replay file (.npz).")] = None,
) -> None:
    """Run one concrete scenario and print its verdict and metrics."""
    scn = find_scenario(scenario)
    parse_weather(weather)
    r = run_variants(scn, weather, [variant], seed, driver, _param(param or []), record)[0]
    typer.echo(
        f"{r['scenario']} [{weather}] variant {variant}: {r['verdict'].upper()}"
        + (f" ({', '.join(r['failed'])})" if r["failed"] else "")
    )
    for k, v in r["metrics"].items():
        typer.echo(f"  {k:<20} {v}")
    typer.echo(f"  trace_hash           {r['trace_hash']}")
    raise typer.Exit(0 if r["verdict"] == "pass" else 1)


@app.command("test")
@user_errors
def campaign_cmd(
    scenarios: Annotated[list[str] | None, typer.Argument(help="Scenario ids or files.")] = None,
    suite: Annotated[
        str | None,
        typer.Option(help="library, urban, highway, euroncap, r157, all, or gbt41798-6.1 to 6.8"),
    ] = None,
    weather: Annotated[
        str | None, typer.Option(help="all, or a comma list; default: each scenario's own set.")
    ] = None,
    variants: Annotated[int | None, typer.Option(min=1)] = None,
    driver: str = "reference",
    seed: int = 0,
    workers: Annotated[int, typer.Option(min=1)] = os.cpu_count() or 1,
    backend: str = "process",
    out: Path = Path("sim-results"),
) -> None:
    """Run a campaign; writes results.json, junit.xml and report.html; exit 1 on any failure."""
    if scenarios and suite:
        raise SimError("give either scenario names or --suite, not both")
    names = list(scenarios or suite_ids(suite or "library"))
    jobs = plan(names, weather, variants, seed, driver)
    total = sum(len(j.variants) for j in jobs)
    start = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("simulating", total=total)
        results = run_campaign(jobs, workers, backend, lambda n: bar.advance(task, n))
    wall = time.perf_counter() - start
    failed = sum(r["verdict"] == "fail" for r in results)
    meta = {
        "scenarios": len(names),
        "runs": len(results),
        "failed": failed,
        "seed": seed,
        "driver": driver,
        "workers": workers,
        "backend": backend,
        "wall_s": round(wall, 2),
    }
    roads = {scn.id: scn.road for scn in (find_scenario(n) for n in names)}
    write_all(out, results, meta, roads)
    typer.echo(
        f"{len(results) - failed}/{len(results)} passed in {wall:.1f} s; report: "
        f"{out / 'report.html'}"
    )
    raise typer.Exit(1 if failed else 0)


@app.command("map")
@user_errors
def map_cmd(
    name: Annotated[str, typer.Argument(help="Library map name or a map file.")],
    out: Annotated[Path, typer.Option(help="SVG file to write.")] = Path("map.svg"),
    width: Annotated[int, typer.Option(min=100)] = 800,
) -> None:
    """Draw a map (lanes, markings, signals, crosswalks, obstacles) as SVG."""
    road = load_map(name)
    out.write_text(map_svg(road, width), encoding="utf-8")
    typer.echo(f"{road.id}: {road.length:.0f} m, {len(road.lanes)} lanes -> {out}")


@app.command()
@user_errors
def bench(
    vehicles: Annotated[int, typer.Option(min=1)] = 50,
    batch: Annotated[int, typer.Option(min=1)] = 1,
    seconds: Annotated[float, typer.Option(min=0.1)] = 3.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Standard throughput workload: 4-lane 2 km ring, IDM + MOBIL, 0.05 s steps."""
    r = run_bench(vehicles, batch, seconds)
    data = {
        "vehicles": r.vehicles,
        "batch": r.batch,
        "steps": r.steps,
        "seconds": round(r.seconds, 3),
        "vehicle_steps_per_s": round(r.vehicle_steps_per_s),
    }
    typer.echo(
        json.dumps(data)
        if as_json
        else f"{data['vehicle_steps_per_s']:,} vehicle-steps/s ({vehicles} vehicles x {batch})"
    )

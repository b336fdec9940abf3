"""Run scenario variants: build, perceive, drive, step, record, judge, hash."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nevport.sim.build import build, concrete
from nevport.sim.driver import DriverInfo, DriverSet, load_driver_class
from nevport.sim.errors import SimError
from nevport.sim.metrics import Trace, compute_metrics, verdict
from nevport.sim.scenario import Scenario
from nevport.sim.sensors import Perception, perceive
from nevport.sim.state import SimParams, SimState
from nevport.sim.step import signal_states, step
from nevport.sim.weather import Weather, parse_weather

F64 = NDArray[np.float64]
ROUTE_MARGIN = 5.0  # [m] driven past the route end before a variant counts as finished
SERIES_POINTS = 200  # samples kept of a failed run's time series for the report


@dataclass
class Recording:
    """Arrays of one batch run: (T, B, N) positions and (T, B) ego data."""

    t: list[F64] = field(default_factory=list)
    s: list[F64] = field(default_factory=list)
    d: list[F64] = field(default_factory=list)
    v: list[F64] = field(default_factory=list)
    psi: list[F64] = field(default_factory=list)
    a: list[F64] = field(default_factory=list)
    sig: list[NDArray[np.int64]] = field(default_factory=list)
    last: SimState | None = None
    _cache: dict[str, NDArray[Any]] = field(default_factory=dict, repr=False)

    def stacked(self, name: str) -> NDArray[Any]:
        """(T, ...) array of one recorded quantity (cached until the next step is recorded)."""
        parts = getattr(self, name)
        cached = self._cache.get(name)
        if cached is None or len(cached) != len(parts):
            cached = self._cache[name] = np.stack(parts)
        return cached


def variant_seed(scenario_id: str, weather: str, seed: int, index: int) -> int:
    """Seed of one variant's random streams, independent of batching and processes."""
    key = zlib.crc32(f"{scenario_id}|{weather}".encode())
    return int(np.random.SeedSequence([seed, index, key]).generate_state(1)[0])


def variant_rows(
    scn: Scenario, indices: list[int], seed: int, overrides: dict[str, float] | None = None
) -> list[dict[str, float]]:
    """Parameter values of each variant, with ``overrides`` applied (unknown names refused)."""
    rows = [concrete(scn, i, seed) for i in indices]
    declared = {p.name for p in scn.parameters}
    for name in overrides or {}:
        if name not in declared:
            raise SimError(
                f"scenario {scn.id} has no parameter {name!r} "
                f"(declared: {', '.join(sorted(declared)) or 'none'})"
            )
    return [{**row, **(overrides or {})} for row in rows]


def simulate(
    scn: Scenario,
    weather: Weather | Sequence[Weather],
    indices: list[int],
    seed: int,
    driver: str,
    overrides: dict[str, float] | None = None,
) -> tuple[Recording, SimParams, F64, F64, NDArray[np.int64]]:
    """Run the variants ``indices`` (one weather, or one per variant) as one batch.

    Returns the recording, the parameters, route start and end, and each variant's last step.
    """
    ws = [weather] * len(indices) if isinstance(weather, Weather) else list(weather)
    # flows draw from (seed, variant, scenario): the same traffic in every weather
    key = zlib.crc32(scn.id.encode())
    flow_seeds = [(seed, i, key) for i in indices]
    built = build(scn, variant_rows(scn, indices, seed, overrides), ws, seeds=flow_seeds)
    state, params = built.state, built.params
    b = len(indices)
    info = DriverInfo(
        params.road,
        b,
        params.dt,
        params.ego.wheelbase,
        params.ego.max_steer,
        built.route_end,
        built.set_speed,
        built.hold_speed,
    )
    privileged = bool(getattr(load_driver_class(driver), "privileged", False))
    seeds = [variant_seed(scn.id, w.name, seed, i) for w, i in zip(ws, indices, strict=True)]
    perception = Perception(ws, seeds, built.route_end, privileged)
    drivers = DriverSet(driver, info)
    rec = Recording()
    n_steps = round(scn.duration / params.dt)
    end = np.full(b, n_steps)
    _record(rec, state, params)
    for k in range(n_steps):
        controls = drivers.act(perceive(state, params, perception))
        state = step(state, controls, params)
        _record(rec, state, params)
        done = state.collided | (state.s[:, 0] >= built.route_end + ROUTE_MARGIN)
        end = np.where(done & (end == n_steps), k + 1, end)
        if (end < n_steps).all():
            break
    return rec, params, built.route_start, built.route_end, end


def _record(rec: Recording, state: SimState, params: SimParams) -> None:
    rec.t.append(state.t.copy())
    rec.s.append(state.s)
    rec.d.append(state.d)
    rec.v.append(state.v)
    rec.psi.append(state.psi)
    rec.a.append(state.a[:, 0])
    rec.sig.append(signal_states(state, params))
    rec.last = state


def trace_hash(rec: Recording, b: int, end: int) -> str:
    """sha256 over the float64 bytes of (s, d, v, psi) of every actor, steps 0..end."""
    h = hashlib.sha256()
    for name in ("s", "d", "v", "psi"):
        h.update(np.ascontiguousarray(rec.stacked(name)[: end + 1, b], dtype=np.float64).tobytes())
    return h.hexdigest()


def run_variants(
    scn: Scenario,
    weather_name: str | Sequence[str],
    indices: list[int],
    seed: int = 0,
    driver: str = "reference",
    overrides: dict[str, float] | None = None,
    record: Path | None = None,
) -> list[dict[str, Any]]:
    """Run and judge variants; one result dict per variant (see docs/sim/metrics.md).

    ``weather_name`` is one preset for all variants or one per entry of ``indices`` (so a
    campaign batches a scenario's whole weather x variant matrix). ``record`` saves a
    replay file of the first variant.
    """
    names = [weather_name] * len(indices) if isinstance(weather_name, str) else list(weather_name)
    weather = [parse_weather(n) for n in names]
    rec, params, start, route_end, end = simulate(scn, weather, indices, seed, driver, overrides)
    if record is not None:
        save_recording(record, scn, rec, params, 0, int(end[0]))
    rows = variant_rows(scn, indices, seed, overrides)
    ref: list[bool | None] = [None] * len(indices)
    if scn.reference == "careful_competent":
        r_rec, *_ = simulate(scn, weather, indices, seed, "careful_competent", overrides)
        assert r_rec.last is not None
        ref = [bool(c) for c in r_rec.last.collided]
    out = []
    for b, idx in enumerate(indices):
        tr = _trace(rec, params, b, int(end[b]) + 1, (float(start[b]), float(route_end[b])))
        metrics = compute_metrics(tr, ref[b])
        ok, failed = verdict(metrics, scn.criteria)
        result = {
            "scenario": scn.id,
            "category": scn.category,
            "weather": names[b],
            "variant": idx,
            "parameters": rows[b],
            "seed": seed,
            "driver": driver,
            "verdict": "pass" if ok else "fail",
            "failed": failed,
            "metrics": {k: _finite(v) for k, v in metrics.items()},
            "trace_hash": trace_hash(rec, b, int(end[b])),
            "steps": int(end[b]),
        }
        if not ok:
            result["series"] = _series(tr)
        out.append(result)
    return out


def _trace(rec: Recording, params: SimParams, b: int, e: int, route: tuple[float, float]) -> Trace:
    """Variant ``b``'s first ``e`` recorded steps as a Trace for the metrics."""
    last, ap = rec.last, params.actors
    assert last is not None
    cut = {n: rec.stacked(n)[:e, b] for n in ("t", "s", "d", "v", "psi", "a", "sig")}
    return Trace(
        **cut,
        kind=ap.kind[b],
        ctrl=ap.ctrl[b],
        length=ap.length[b],
        width=ap.width[b],
        collided=bool(last.collided[b]),
        impact_speed=float(last.impact_speed[b]),
        hit=int(last.hit[b]),
        road=params.road,
        route_start=route[0],
        route_end=route[1],
        dt=params.dt,
    )


def _finite(x: float) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None


def _series(tr: Trace) -> dict[str, list[float]]:
    """Downsampled ego speed, TTC and path for the report's plots."""
    step_k = max(1, len(tr.t) // SERIES_POINTS)
    sl = slice(None, None, step_k)
    ds = tr.s[:, 1:] - tr.s[:, :1]
    in_path = (np.abs(tr.d[:, 1:] - tr.d[:, :1]) < 2.0) & (ds > 0)
    gap = np.where(in_path, ds - 0.5 * (tr.length[0] + tr.length[1:]), np.inf).min(
        1, initial=np.inf
    )
    closing = tr.v[:, 0]
    ttc = np.where(closing > 0.1, np.clip(gap / np.maximum(closing, 0.1), 0, 10.0), 10.0)
    return {
        "t": _r(tr.t[sl]),
        "v": _r(tr.v[sl, 0]),
        "ttc": _r(ttc[sl]),
        "s": _r(tr.s[sl, 0]),
        "d": _r(tr.d[sl, 0]),
    }


def _r(a: F64) -> list[float]:
    return [round(float(x), 3) for x in a]


def save_recording(
    path: Path, scn: Scenario, rec: Recording, params: Any, b: int, end: int
) -> None:
    """Compact replay file (npz): float32 world poses per step of every actor of variant b."""
    s, d = rec.stacked("s")[: end + 1, b], rec.stacked("d")[: end + 1, b]
    x, y, h = params.road.to_world(s, d)
    np.savez_compressed(
        path,
        scenario=scn.id,
        map=params.road.id,
        dt=params.dt,
        actors=np.array(params.actor_ids),
        kind=params.actors.kind[b],
        length=params.actors.length[b].astype(np.float32),
        width=params.actors.width[b].astype(np.float32),
        x=x.astype(np.float32),
        y=y.astype(np.float32),
        yaw=(h + rec.stacked("psi")[: end + 1, b]).astype(np.float32),
        v=rec.stacked("v")[: end + 1, b].astype(np.float32),
    )

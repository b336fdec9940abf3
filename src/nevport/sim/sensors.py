"""Perception: an object-list sensor, lane and signal perception, degraded by weather.

The sensor reports, per actor slot, relative position, velocity, class and size, with
range, field of view, detection probability, range-dependent noise and occlusion by
nearer actors. ``privileged=True`` returns ground truth instead. Noise is counter-based
per variant (see Perception), so a variant's observations do not depend on the batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nevport.sim.geometry import wrap_delta
from nevport.sim.radar import detect
from nevport.sim.road import Road
from nevport.sim.spawn import PARK_D
from nevport.sim.state import CAR, TRUCK, SimParams, SimState
from nevport.sim.step import signal_states
from nevport.sim.weather import Weather

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

FOV = np.deg2rad(120.0)  # [rad] forward sensor field of view (typical front camera + radar)
SURROUND_RANGE = 40.0  # [m] 360-degree coverage of the corner radars (side and rear)
VISIBLE_FRACTION = 0.4  # [-] share of an object's outline points that must be in line of sight
PRIVILEGED_RANGE = 300.0  # [m] ground-truth mode reports everything this close
NOISE_REF_RANGE = 50.0  # [m] range at which Weather.noise_pos applies
RADAR_STREAM = 1 << 19  # counter offset of the radar's random numbers within a frame


@dataclass(frozen=True)
class Observation:
    """What a driver perceives; (B,) per variant, (B, M) per object slot (M = N - 1)."""

    t: F64
    ego_s: F64  # [m] map-localised longitudinal position
    speed: F64  # [m/s]
    accel: F64  # [m/s^2]
    offset: F64  # [m] lateral offset from the current lane centre (left positive), noisy
    heading: F64  # [rad] heading relative to the lane
    lane: I64  # current lane index
    curvature: F64  # [1/m] road curvature at the ego
    curvature_ahead: F64  # [1/m] largest |curvature| within the next 150 m
    speed_limit: F64  # [m/s]
    obj_s: F64  # [m] longitudinal distance to the object's centre (ahead positive)
    obj_d: F64  # [m] lateral offset of the object's centre (left positive)
    obj_vs: F64  # [m/s] object's velocity along the road
    obj_vd: F64  # [m/s] object's lateral velocity
    obj_cls: I64  # actor kind (state.CAR ... state.STATIC)
    obj_len: F64  # [m]
    obj_wid: F64  # [m]
    obj_valid: B8  # detected this frame
    signal_dist: F64  # [m] to the next stop line with a signal; inf if none
    signal_state: I64  # perceived state of that signal; -1 = not perceived
    stop_dist: F64  # [m] to the next stop sign; inf if none
    crosswalk_dist: F64  # [m] to the next crosswalk's near edge; inf if none
    route_left: F64  # [m] to the end of the route
    lane_end_dist: F64  # [m] to the end of the current lane (lane drop, ramp); inf if none
    sensor_range: F64  # [m] current effective range (a system knows its own degradation)
    precipitation: F64  # [mm/h] rain rate (water equivalent), as a rain sensor reads it
    snowfall: B8  # the precipitation falls as snow (a camera tells flakes from drops)
    visibility: F64  # [m] meteorological optical range, as a camera's contrast gives it
    radar_s: F64  # (B, M) [m] the radar's object list, same slots as obj_*
    radar_d: F64  # [m]
    radar_vs: F64  # [m/s]
    radar_vd: F64  # [m/s]
    radar_valid: B8  # detected by the radar this frame
    radar_range: F64  # (B,) [m] current radar range for a car


@dataclass
class Perception:
    """Sensor configuration plus one counter-based random stream per variant.

    ``weather`` is one condition for the whole batch or one per variant; its properties
    become (B,) arrays so that a batch may mix conditions. The noise of variant b in frame
    k is a pure function of (seeds[b], k): the same alone, in any batch, in any process.
    """

    weather: Weather | Sequence[Weather]
    seeds: list[int]
    route_end: F64
    privileged: bool = False
    w: dict[str, F64] = field(init=False)
    frame: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        ws = (
            [self.weather] * len(self.seeds)
            if isinstance(self.weather, Weather)
            else list(self.weather)
        )
        if len(ws) != len(self.seeds):
            raise ValueError(f"{len(ws)} weathers for {len(self.seeds)} variants")
        names = (
            "sensor_range",
            "unlit_range",
            "signal_range",
            "detect_prob",
            "noise_pos",
            "noise_vel",
            "lane_noise",
            "radar_range",
            "rain_mm_h",
            "snowfall",
            "mor",
        )
        self.w = {n: np.array([float(getattr(x, n)) for x in ws]) for n in names}
        self.keys = _splitmix(np.array(self.seeds, dtype=np.uint64) % np.uint64(2**63))

    def draws(self, m: int, radar: bool = False) -> tuple[F64, F64]:
        """This frame's random numbers per variant: (B, 4m+1) normals, (B, m+1) uniforms.

        ``radar=True`` gives the radar's stream of the same frame (call it first)."""
        n_norm, n_uni = 4 * m + 2, m + 1
        base = np.uint64(self.frame) * np.uint64(1 << 20) + np.uint64(RADAR_STREAM * radar)
        counter = base + np.arange(n_norm + n_uni, dtype=np.uint64)
        bits = _splitmix(self.keys[:, None] ^ _splitmix(counter)[None, :])
        u = ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53  # in (0, 1)
        self.frame += 0 if radar else 1
        half = n_norm // 2  # Box-Muller: two uniforms give two independent normals
        r = np.sqrt(-2.0 * np.log(u[:, :half]))
        theta = 2.0 * np.pi * u[:, half:n_norm]
        normal = np.concatenate([r * np.cos(theta), r * np.sin(theta)], axis=1)
        return normal[:, : 4 * m + 1], u[:, n_norm:]


def _splitmix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finaliser (Steele, Lea, Flood 2014): a well-mixed 64-bit hash of x."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    out: NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return out


def _next_ahead(positions: list[float], s_front: F64) -> F64:
    if not positions:
        return np.full(s_front.shape, np.inf)
    pos = np.asarray(positions)[None, :]
    dist = pos - s_front[:, None]
    out: F64 = np.where(dist >= -0.5, dist, np.inf).min(axis=1)
    return out


def _visible(ds: F64, dd: F64, psi: F64, length: F64, width: F64) -> B8:
    """(B, M) True where enough of each object's outline is in line of sight from the ego."""
    c, s = np.cos(psi), np.sin(psi)
    offs = ((0, 0), (0.5, 0.5), (0.5, -0.5), (-0.5, 0.5), (-0.5, -0.5))
    px = np.stack([ds + fx * length * c - fy * width * s for fx, fy in offs], -1)  # (B, M, P)
    py = np.stack([dd + fx * length * s + fy * width * c for fx, fy in offs], -1)
    ang, rng = np.arctan2(py, px), np.hypot(px, py)
    lo, hi = ang[..., 1:].min(-1), ang[..., 1:].max(-1)  # occluder angular extent (B, M)
    near = np.hypot(ds, dd)
    # point p of target j is blocked by occluder k if inside k's extent and behind k's centre
    blocked = (
        (ang[:, :, None, :] > lo[:, None, :, None])
        & (ang[:, :, None, :] < hi[:, None, :, None])
        & (rng[:, :, None, :] > near[:, None, :, None])
    )
    m = ds.shape[1]
    blocked &= ~np.eye(m, dtype=bool)[None, :, :, None]
    visible: B8 = (~blocked.any(axis=2)).mean(-1) >= VISIBLE_FRACTION
    return visible


def _visible_live(state: SimState, params: SimParams, ds: F64, dd: F64) -> B8:
    """``_visible`` of the objects (columns 1..N), skipping flow slots that are parked in
    every variant: far off the road they neither occlude nor can be seen."""
    ap = params.actors
    if params.flows is None:
        return _visible(ds, dd, state.psi[:, 1:], ap.length[:, 1:], ap.width[:, 1:])
    live = np.nonzero((state.d[:, 1:] > PARK_D + 1.0).any(axis=0))[0]
    out = np.zeros(ds.shape, bool)
    out[:, live] = _visible(
        ds[:, live],
        dd[:, live],
        state.psi[:, 1:][:, live],
        ap.length[:, 1:][:, live],
        ap.width[:, 1:][:, live],
    )
    return out


def perceive(state: SimState, params: SimParams, perception: Perception) -> Observation:
    """Build the observation of every variant from the state (reads, never writes)."""
    road, ap, w = params.road, params.actors, perception.w
    period = road.length if road.periodic else 0.0
    ds = wrap_delta(state.s[:, 1:] - state.s[:, :1], period)
    dd = state.d[:, 1:] - state.d[:, :1]
    vs = state.v[:, 1:] * np.cos(state.psi[:, 1:])
    vd = state.v[:, 1:] * np.sin(state.psi[:, 1:])
    r = np.hypot(ds, dd)
    kind = ap.kind[:, 1:]
    radar_draws = perception.draws(ds.shape[1], radar=True)
    normal, uniform = perception.draws(ds.shape[1])
    if perception.privileged:
        valid = r <= PRIVILEGED_RANGE
        radar = (ds, dd, vs, vd, valid)
    else:
        lit = (kind == CAR) | (kind == TRUCK)
        limit = np.where(lit, w["sensor_range"][:, None], w["unlit_range"][:, None])
        bearing = np.arctan2(dd, ds) - state.psi[:, :1]
        bearing = (bearing + np.pi) % (2 * np.pi) - np.pi
        visible = _visible_live(state, params, ds, dd)
        radar = detect((ds, dd, vs, vd), kind, visible, w["radar_range"], radar_draws)
        valid = (r <= limit) & ((np.abs(bearing) <= 0.5 * FOV) | (r <= SURROUND_RANGE))
        valid &= visible
        ds, dd, vs, vd, valid = _noisy(w, normal, uniform, (ds, dd, vs, vd, valid), r)
    obs = _assemble(state, params, perception, (ds, dd, vs, vd, valid), (normal, uniform))
    return _with_radar(obs, radar, perception)


def _with_radar(
    obs: Observation, radar: tuple[F64, F64, F64, F64, B8], p: Perception
) -> Observation:
    rng = np.full(obs.t.shape, PRIVILEGED_RANGE) if p.privileged else p.w["radar_range"]
    s, d, vs, vd, valid = radar
    return dataclasses.replace(
        obs, radar_s=s, radar_d=d, radar_vs=vs, radar_vd=vd, radar_valid=valid, radar_range=rng
    )


def _noisy(
    w: dict[str, F64], normal: F64, uniform: F64, objs: tuple[F64, F64, F64, F64, B8], r: F64
) -> tuple[F64, F64, F64, F64, B8]:
    ds, dd, vs, vd, valid = objs
    m = ds.shape[1]
    n = normal[:, : 4 * m].reshape(ds.shape[0], 4, m)
    hit = uniform[:, :m] < w["detect_prob"][:, None]
    sigma = w["noise_pos"][:, None] * np.maximum(r, 10.0) / NOISE_REF_RANGE
    sv = w["noise_vel"][:, None]
    return (
        ds + sigma * n[:, 0],
        dd + sigma * n[:, 1],
        vs + sv * n[:, 2],
        vd + sv * n[:, 3],
        valid & hit,
    )


def _assemble(
    state: SimState,
    params: SimParams,
    p: Perception,
    objs: tuple[F64, F64, F64, F64, B8],
    draws: tuple[F64, F64],
) -> Observation:
    road, ap, w = params.road, params.actors, p.w
    normal, uniform = draws
    s0, d0 = state.s[:, 0], state.d[:, 0]
    lane = np.clip(road.lane_of(d0), 0, len(road.lanes) - 1)
    front = s0 + 0.5 * ap.length[:, 0]
    sig_dist = _next_ahead([sg.s for sg in road.signals], front)
    sig_idx = _next_signal(road, front)
    states = signal_states(state, params)
    seen = uniform[:, -1] < w["detect_prob"]
    sig_state = np.where(
        (sig_dist <= w["signal_range"]) & (sig_idx >= 0) & (seen | p.privileged),
        np.take_along_axis(states, sig_idx.clip(0)[:, None], 1)[:, 0] if states.size else -1,
        -1,
    )
    lane_noise = 0.0 if p.privileged else w["lane_noise"]
    offset = d0 - road.lane_centres[lane] + lane_noise * normal[:, -1]
    ds, dd, vs, vd, valid = objs
    return Observation(
        t=state.t,
        ego_s=s0,
        speed=state.v[:, 0],
        accel=state.a[:, 0],
        offset=offset,
        heading=state.psi[:, 0],
        lane=lane,
        curvature=road.curvature(s0),
        curvature_ahead=road.curvature_ahead(s0),
        speed_limit=road.lane_array("speed_limit")[lane],
        obj_s=ds,
        obj_d=dd,
        obj_vs=vs,
        obj_vd=vd,
        obj_cls=ap.kind[:, 1:],
        obj_len=ap.length[:, 1:],
        obj_wid=ap.width[:, 1:],
        obj_valid=valid,
        signal_dist=sig_dist,
        signal_state=sig_state,
        stop_dist=_next_ahead(list(road.stop_signs), front),
        crosswalk_dist=_next_ahead([c[0] - 0.5 * c[1] for c in road.crosswalks], front),
        route_left=p.route_end - s0,
        lane_end_dist=np.where(
            road.lane_array("end")[lane] < road.length - 1.0,
            road.lane_array("end")[lane] - front,
            np.inf,
        ),
        sensor_range=np.full(s0.shape, PRIVILEGED_RANGE) if p.privileged else w["sensor_range"],
        precipitation=w["rain_mm_h"],
        snowfall=w["snowfall"] > 0.5,
        visibility=w["mor"],
        radar_s=ds,  # filled by _with_radar
        radar_d=dd,
        radar_vs=vs,
        radar_vd=vd,
        radar_valid=valid,
        radar_range=w["radar_range"],
    )


def _next_signal(road: Road, front: F64) -> I64:
    if not road.signals:
        return np.full(front.shape, -1, np.int64)
    pos = np.array([sg.s for sg in road.signals])[None, :]
    dist = np.where(pos - front[:, None] >= -0.5, pos - front[:, None], np.inf)
    return np.where(np.isfinite(dist.min(1)), dist.argmin(1), -1).astype(np.int64)

"""Roads as data: a reference line of straight, arc and clothoid segments plus lanes.

Coordinates are Frenet: ``s`` [m] along the reference line, ``d`` [m] to the left of it.
The reference line is the right edge of lane 0; lanes are numbered right to left.
Lanes with ``direction == -1`` carry oncoming traffic (travelling towards smaller s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

SAMPLE_STEP = 0.5  # [m] resolution of the sampled reference line; far below a car length

GREEN, AMBER, RED = 0, 1, 2
SIGNAL_STATES = {"green": GREEN, "amber": AMBER, "red": RED}


@dataclass(frozen=True)
class Segment:
    kind: str  # straight | arc | clothoid
    length: float  # [m]
    k0: float  # [1/m] curvature at the start
    k1: float  # [1/m] curvature at the end (linear in s: a clothoid)


@dataclass(frozen=True)
class Lane:
    width: float  # [m]
    speed_limit: float  # [m/s]
    start: float  # [m] s where the lane begins (on-ramp, added lane)
    end: float  # [m] s where the lane ends (lane drop, ramp end)
    direction: int  # +1 with s, -1 oncoming
    marking_left: str  # solid | dashed | none, the line between this lane and the next
    exit: bool = False  # an off-ramp: at its end it diverges from the route


@dataclass(frozen=True)
class Signal:
    id: str
    s: float  # [m] stop line position
    program: tuple[tuple[int, float], ...]  # (state, duration [s]) cycled from t=0
    offset: float  # [s] shift of the cycle

    def state_at(self, t: F64) -> I64:
        """Signal state code per time in ``t`` (any shape)."""
        durations = np.array([p[1] for p in self.program])
        states = np.array([p[0] for p in self.program], dtype=np.int64)
        edges = np.cumsum(durations)
        phase = np.mod(t + self.offset, edges[-1])
        out: I64 = states[np.searchsorted(edges, phase, side="right").clip(0, len(states) - 1)]
        return out


@dataclass(frozen=True)
class Obstacle:
    s: float  # [m]
    d: float  # [m]
    length: float  # [m]
    width: float  # [m]
    kind: str


@dataclass(frozen=True)
class Arm:
    """A road joining a junction, seen from the junction centre (right-hand traffic)."""

    id: str
    angle: float  # [rad] direction of the arm from the centre, relative to the route; left +
    lanes_in: int  # lanes driving towards the junction
    lanes_out: int  # lanes driving away from it
    lane_width: float  # [m]
    control: str = "priority"  # priority | stop | signal: how inbound traffic enters the box
    signal: Signal | None = None  # the arm's own signal program when control is "signal"
    crosswalk: float = 0.0  # [m] width of a crosswalk across the arm at the box edge; 0 none


@dataclass(frozen=True)
class Junction:
    """Where crossing roads meet the route; connections join an arm's inbound lanes to
    another arm's outbound lanes through the junction box."""

    id: str
    s: float  # [m] junction centre along the route
    width: float  # [m] size of the junction box along its arms
    arms: tuple[Arm, ...] = ()


@dataclass(frozen=True)
class Link:
    """How a vehicle on a connecting lane meets its junction."""

    junction: int  # index into Road.junctions
    line: float  # [m] path length at the stop line (the box entry unless a route line is set)
    exit: float  # [m] path length where the path leaves the junction box
    control: str  # priority | stop | signal
    signal: int  # index into Road.signals + Road.arm_signals(); -1 none
    turn: float  # [rad] heading change through the box, left +
    approach: float = 0.0  # [rad] direction of the source arm from the junction centre
    axis: float = np.inf  # [m] path length where the path crosses the source's centre line
    v_turn: tuple[float, ...] = ()  # [m/s] per path point: speed that turns at A_LAT_TURN


A_LAT_TURN = 2.5  # [m/s^2] lateral acceleration accepted in junction turns (docs/sim/models.md)
JOIN_BEYOND = 300.0  # [m] a car joining the route drives on this far past the map's end
ROUTE_LINE_REACH = 25.0  # [m] a route stop line this far before a junction box governs it


@dataclass(frozen=True)
class Road:
    id: str
    segments: tuple[Segment, ...]
    lanes: tuple[Lane, ...]
    periodic: bool = False
    signals: tuple[Signal, ...] = ()
    crosswalks: tuple[tuple[float, float], ...] = ()  # (s [m], width [m])
    stop_signs: tuple[float, ...] = ()  # stop line s [m]
    obstacles: tuple[Obstacle, ...] = ()
    junctions: tuple[Junction, ...] = ()
    _table: dict[str, F64] = field(default_factory=dict, compare=False, repr=False)

    def arm_signals(self) -> tuple[Signal, ...]:
        """Signals of junction arms, in map order; their index follows the route's signals."""
        return tuple(a.signal for j in self.junctions for a in j.arms if a.signal is not None)

    def __post_init__(self) -> None:
        if not self.lanes:
            raise ValueError(f"road {self.id!r} has no lanes")
        if any(seg.length <= 0 for seg in self.segments):
            raise ValueError(f"road {self.id!r} has a segment of non-positive length")
        self._table.update(_sample(self.segments))
        edges = np.concatenate([[0.0], np.cumsum([ln.width for ln in self.lanes])])
        self._table.update(edges=edges, centres=0.5 * (edges[:-1] + edges[1:]))

    @property
    def length(self) -> float:
        return float(self._table["s"][-1])

    @property
    def lane_edges(self) -> F64:
        """(L+1,) lateral position [m] of each lane boundary, right to left."""
        return self._table["edges"]

    @property
    def lane_centres(self) -> F64:
        return self._table["centres"]

    def lane_array(self, name: str) -> F64:
        """(L,) one lane attribute as an array (cached: roads are immutable)."""
        key = f"lane.{name}"
        if key not in self._table:
            self._table[key] = np.array([float(getattr(ln, name)) for ln in self.lanes])
        return self._table[key]

    def curvature(self, s: F64) -> F64:
        """Reference-line curvature [1/m] at ``s`` (any shape)."""
        return np.interp(self.wrap(s), self._table["s"], self._table["k"])

    def curvature_ahead(self, s: F64, horizon: float = 150.0) -> F64:
        """Largest |curvature| [1/m] between s and s + horizon (cached per horizon)."""
        key = f"ahead.{horizon}"
        if key not in self._table:
            t = self._table
            grid = np.arange(0.0, self.length + horizon + 10.0, 5.0)  # [m] 5 m resolution
            k = np.abs(np.interp(self.wrap(grid), t["s"], t["k"]))
            steps = int(horizon / 5.0) + 1
            windows = np.lib.stride_tricks.sliding_window_view(
                np.concatenate([k, np.full(steps, k[-1])]), steps
            )
            self._table[key + ".s"] = grid
            self._table[key] = windows[: len(grid)].max(axis=1)
        return np.interp(self.wrap(s), self._table[key + ".s"], self._table[key])

    def wrap(self, s: F64) -> F64:
        return np.mod(s, self.length) if self.periodic else s

    def lane_of(self, d: F64) -> I64:
        """Lane index holding lateral position ``d``; -1 outside the road."""
        edges = self.lane_edges
        idx = np.searchsorted(edges, d, side="right") - 1
        return np.where((d < edges[0]) | (d >= edges[-1]), -1, idx).astype(np.int64)

    def to_world(self, s: F64, d: F64) -> tuple[F64, F64, F64]:
        """World x, y [m] and heading [rad] of Frenet points (any shape)."""
        t = self._table
        sw = self.wrap(s)
        x = np.interp(sw, t["s"], t["x"])
        y = np.interp(sw, t["s"], t["y"])
        h = np.interp(sw, t["s"], t["h"])
        return x - d * np.sin(h), y + d * np.cos(h), h


def _sample(segments: tuple[Segment, ...]) -> dict[str, F64]:
    """Sample the reference line; heading is exact per segment (curvature linear in s)."""
    parts: dict[str, list[F64]] = {"s": [], "k": [], "h": []}
    start, h0 = 0.0, 0.0
    for seg in segments:
        u = np.linspace(0.0, seg.length, max(2, int(np.ceil(seg.length / SAMPLE_STEP)) + 1))
        parts["s"].append(start + u)
        parts["k"].append(seg.k0 + (seg.k1 - seg.k0) * u / seg.length)
        parts["h"].append(h0 + seg.k0 * u + (seg.k1 - seg.k0) * u * u / (2.0 * seg.length))
        start, h0 = start + seg.length, float(parts["h"][-1][-1])
    s, k, h = (np.concatenate(parts[n]) for n in ("s", "k", "h"))
    ds = np.diff(s)
    hm = 0.5 * (h[1:] + h[:-1])  # midpoint heading keeps arcs on their circle to O(ds^2)
    x = np.concatenate([[0.0], np.cumsum(np.cos(hm) * ds)])
    y = np.concatenate([[0.0], np.cumsum(np.sin(hm) * ds)])
    return {"s": s, "k": k, "h": h, "x": x, "y": y}


def to_frenet(road: Road, x: F64, y: F64) -> tuple[F64, F64]:
    """Frenet (s, d) of world points: the nearest sample of the reference line, refined
    along its tangent (exact enough for points within a few hundred metres of the route)."""
    t = road._table
    dx = x[:, None] - t["x"][None, :]
    dy = y[:, None] - t["y"][None, :]
    k = np.argmin(dx * dx + dy * dy, axis=1)
    h = t["h"][k]
    ex, ey = x - t["x"][k], y - t["y"][k]
    along = ex * np.cos(h) + ey * np.sin(h)
    return t["s"][k] + along, -ex * np.sin(h) + ey * np.cos(h)


def route_arm(road: Road, *, inbound: bool) -> Arm:
    """The route itself as an arm: behind the junction (traffic arriving on lane 0) or
    ahead of it (traffic leaving on lane 0)."""
    fwd = sum(1 for ln in road.lanes if ln.direction > 0)
    back = len(road.lanes) - fwd
    return Arm("route", np.pi if inbound else 0.0, fwd, back, road.lanes[0].width)


def connection_path(
    road: Road,
    junction: Junction,
    src: Arm,
    dst: Arm,
    lane: int = 0,
    approach: float = 50.0,
    step: float = 2.0,
) -> tuple[F64, F64]:
    """Frenet points of a connecting lane: in on ``src``'s inbound lane ``lane`` from
    ``approach`` m out, across the junction box, out on ``dst``'s outbound lane."""
    s, d, *_ = connection(road, junction, src, dst, lane, approach, step)
    return s, d


def connection(
    road: Road,
    junction: Junction,
    src: Arm,
    dst: Arm,
    lane: int = 0,
    approach: float = 50.0,
    step: float = 2.0,
) -> tuple[F64, F64, tuple[float, float, float], F64]:
    """As ``connection_path``, plus the path length [m] at which the path enters and
    leaves the junction box and where it crosses the centre line of ``src`` (into the
    lanes of oncoming traffic; inf if it never does), measured in Frenet s, d like the
    simulator's paths, and the turn speed [m/s] at each point (from the world geometry)."""
    d_centre = 0.5 * float(road.lane_edges[-1])
    cx, cy, ch = (float(a[0]) for a in road.to_world(np.array([junction.s]), np.array([d_centre])))
    half = 0.5 * junction.width

    def lane_point(arm: Arm, dist: float, *, inbound: bool) -> F64:
        ux, uy = np.cos(ch + arm.angle), np.sin(ch + arm.angle)
        travel = (-ux, -uy) if inbound else (ux, uy)
        right = np.array([travel[1], -travel[0]])  # right-hand side of the travel direction
        return np.array([cx + ux * dist, cy + uy * dist]) + right * (lane + 0.5) * arm.lane_width

    start, entry = lane_point(src, approach, inbound=True), lane_point(src, half, inbound=True)
    leave, end = lane_point(dst, half, inbound=False), lane_point(dst, approach, inbound=False)
    # inside the box: a quadratic Bezier whose control point is where both lane lines meet
    u_in, u_out = (
        (entry - start) / np.linalg.norm(entry - start),
        (end - leave) / np.linalg.norm(end - leave),
    )
    cross = u_in[0] * u_out[1] - u_in[1] * u_out[0]
    if abs(cross) < 1e-6:
        ctrl = 0.5 * (entry + leave)
    else:
        lam = ((leave - entry)[0] * u_out[1] - (leave - entry)[1] * u_out[0]) / cross
        ctrl = entry + lam * u_in
    tt = np.linspace(0.0, 1.0, 20)[:, None]
    box = (1 - tt) ** 2 * entry + 2 * (1 - tt) * tt * ctrl + tt**2 * leave
    first = _line(start, entry, step)
    pts = np.vstack([first, box[1:-1], _line(leave, end, step)])
    s, d = to_frenet(road, pts[:, 0], pts[:, 1])
    v_turn = turn_speeds(pts)
    if dst.id == "route":  # joining the route: drive on along its lane 0, past the map's end
        far = np.arange(s[-1] + step, road.length + JOIN_BEYOND, step * 5)
        s = np.concatenate([s, far])
        d = np.concatenate([d, np.full(far.shape, d[-1])])
        v_turn = np.concatenate([v_turn, np.full(far.shape, np.inf)])
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(s), np.diff(d)))])
    n_in = len(first) - 1
    u = np.array([np.cos(ch + src.angle), np.sin(ch + src.angle)])
    side = u[0] * (pts[:, 1] - cy) - u[1] * (pts[:, 0] - cx)  # > 0 on the inbound side
    over = np.nonzero(side[n_in : n_in + len(box)] < 0)[0]
    axis = float(cum[n_in + over[0]]) if over.size else np.inf
    return s, d, (float(cum[n_in]), float(cum[n_in + len(box) - 1]), axis), v_turn


def turn_speeds(pts: F64) -> F64:
    """(K,) [m/s] speed at each point of the (K, 2) world polyline ``pts`` at which its
    curvature there takes A_LAT_TURN (inf on straight parts and at the ends)."""
    seg = np.hypot(*np.diff(pts, axis=0).T)
    h = np.arctan2(*np.diff(pts, axis=0).T[::-1])
    dh = np.abs(np.angle(np.exp(1j * np.diff(h))))
    kappa = dh / np.maximum(0.5 * (seg[1:] + seg[:-1]), 1e-6)
    inner = np.sqrt(A_LAT_TURN / np.maximum(kappa, 1e-9))
    return np.concatenate([[np.inf], inner, [np.inf]])


def _line(a: F64, b: F64, step: float) -> F64:
    n = max(2, int(np.linalg.norm(b - a) / step) + 1)
    return a + np.linspace(0.0, 1.0, n)[:, None] * (b - a)


def junction_link(
    road: Road, j: int, src: Arm, dst: Arm, box: tuple[float, float, float], v_turn: F64
) -> Link:
    """The ``Link`` of a path from arm ``src`` to ``dst`` of junction ``j`` whose box
    entry and exit path lengths and crossing of the source's centre line are ``box``."""
    junction = road.junctions[j]
    turn = float(np.angle(np.exp(1j * (dst.angle - src.angle - np.pi))))
    line, control, signal = box[0], src.control, -1
    if src.id == "route":  # the route's own signal or stop line before the box governs it
        near = junction.s - 0.5 * junction.width
        reach = ROUTE_LINE_REACH
        sigs = [(k, sg.s) for k, sg in enumerate(road.signals) if 0 <= near - sg.s <= reach]
        stops = [x for x in road.stop_signs if 0 <= near - x <= reach]
        control = "signal" if sigs else ("stop" if stops else "priority")
        if sigs:
            signal, line = sigs[0][0], box[0] - (near - sigs[0][1])
        elif stops:
            line = box[0] - (near - stops[0])
    else:  # the arm's stop line lies before its crosswalk
        line -= src.crosswalk
        if src.signal is not None:
            signal = len(road.signals) + road.arm_signals().index(src.signal)
    v = tuple(float(x) for x in v_turn)
    return Link(j, line, box[1], control, signal, turn, src.angle, box[2], v)

"""Traffic flows of a scenario file: vehicles that enter the route at a rate.

A flow names an entry (route lanes and a position), a rate [veh/h] with a headway
distribution, a vehicle-type mix, a desired-speed distribution and a route split (the
share that takes the off-ramp). Its vehicles occupy ``vehicles`` preallocated actor
slots that spawn.py activates when due; this module only reads and checks the YAML
(docs/sim/scenario-format.md, "Flows").
"""

from __future__ import annotations

from dataclasses import dataclass

from nevport.sim import yamlio as y
from nevport.sim.maps import KMH
from nevport.sim.road import Road
from nevport.sim.yamlio import Node

HEADWAYS = ("exponential", "constant")
MAX_RATE = 3600.0  # [veh/h] per flow; above one vehicle a second per entry nobody drives
MAX_VEHICLES = 400  # slots per flow: every slot is an actor column of every step
_FLOW = {"id", "entry", "rate_veh_h", "headway", "vehicles", "mix", "speed_kmh", "split"}
_SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class FlowSpec:
    id: str
    lanes: tuple[int, ...]  # route lanes at the entry, one drawn uniformly per vehicle
    s: float  # [m] entry position along the route (the vehicle's centre)
    rate: float  # [veh/h]
    headway: str  # exponential (Poisson arrivals) or constant
    vehicles: int  # slots: at most this many vehicles enter during a run
    truck_share: float  # [-] the rest are cars
    speed_range: tuple[float, float]  # [m/s] desired speed: uniform in it, or clipped to it
    speed_normal: tuple[float, float] | None  # [m/s] mean and standard deviation; None uniform
    exit_share: float  # [-] share that takes the off-ramp


def parse_flows(node: Node, road: Road, taken: list[str]) -> tuple[FlowSpec, ...]:
    """The ``flows`` list; ``taken`` are the actor ids a flow id must not repeat."""
    if road.periodic:
        raise node.fail("flows need a map with a start and an end (periodic: false)")
    flows, seen = [], list(taken)
    for n in y.seq(node):
        flows.append(_flow(n, road))
        if flows[-1].id in seen:
            where = n.value["id"]
            raise where.fail(f"id {flows[-1].id!r} is taken (actor and flow ids so far: {seen})")
        seen.append(flows[-1].id)
    return tuple(flows)


def _flow(node: Node, road: Road) -> FlowSpec:
    m = y.mapping(node, _FLOW, {"id", "entry", "rate_veh_h", "vehicles", "speed_kmh"})
    lanes, s = _entry(m["entry"], road)
    mix = _shares(m["mix"], ("car", "truck"), whole=True) if "mix" in m else {"car": 1.0}
    split = _shares(m["split"], ("exit",), whole=False) if "split" in m else {}
    if split.get("exit", 0.0) > 0 and not any(ln.exit for ln in road.lanes):
        raise m["split"].fail(f"map {road.id} has no off-ramp (an 'exit' lane) to exit at")
    normal, lo, hi = _speed(m["speed_kmh"])
    return FlowSpec(
        id=y.text(m["id"]),
        lanes=lanes,
        s=s,
        rate=y.num(m["rate_veh_h"], 1.0, MAX_RATE),
        headway=y.text(m["headway"], HEADWAYS) if "headway" in m else "exponential",
        vehicles=_count(m["vehicles"]),
        truck_share=mix.get("truck", 0.0),
        speed_range=(lo * KMH, hi * KMH),
        speed_normal=None if normal is None else (normal[0] * KMH, normal[1] * KMH),
        exit_share=split.get("exit", 0.0),
    )


def _entry(node: Node, road: Road) -> tuple[tuple[int, ...], float]:
    m = y.mapping(node, {"lanes", "s"}, {"lanes"})
    s = y.num(m["s"], 0.0, road.length) if "s" in m else 0.0
    lanes = []
    for n in y.seq(m["lanes"]):
        k = n.value
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(road.lanes):
            raise n.fail(
                f"expected a lane index 0..{len(road.lanes) - 1} of map {road.id}, got {k!r}"
            )
        ln = road.lanes[k]
        if ln.direction < 0:
            raise n.fail(f"lane {k} runs against the route: flows enter forward lanes")
        if not ln.start <= s <= ln.end:
            raise n.fail(f"lane {k} spans s = {ln.start:g}..{ln.end:g} m, not the entry s = {s:g}")
        lanes.append(int(k))
    if not lanes or len(set(lanes)) != len(lanes):
        raise m["lanes"].fail(f"expected distinct lane indices, got {lanes}")
    return tuple(lanes), s


def _shares(node: Node, names: tuple[str, ...], *, whole: bool) -> dict[str, float]:
    """Shares in [0, 1] by name; ``whole``: they must add up to 1."""
    m = y.mapping(node, set(names))
    out = {k: y.num(v, 0.0, 1.0) for k, v in m.items()}
    if whole and abs(sum(out.values()) - 1.0) > _SHARE_TOLERANCE:
        raise node.fail(f"shares must add up to 1, got {out} (sum {sum(out.values()):g})")
    return out


def _speed(node: Node) -> tuple[tuple[float, float] | None, float, float]:
    """Desired speed [km/h]: a number, ``{range: [lo, hi]}`` (uniform) or
    ``{normal: [mean, sd], range: [lo, hi]}`` (normal, clipped to the range)."""
    if not isinstance(node.value, dict):
        v = y.num(node, 1.0, 250.0)
        return None, v, v
    m = y.mapping(node, {"normal", "range"}, {"range"})
    lo, hi = (y.num(n, 1.0, 250.0) for n in _two(m["range"]))
    if lo > hi:
        raise m["range"].fail(f"expected [low, high] with low <= high, got [{lo:g}, {hi:g}]")
    if "normal" in m:
        mean, sd = (y.num(n, 0.0, 250.0) for n in _two(m["normal"]))
        return (mean, sd), lo, hi
    return None, lo, hi


def _two(node: Node) -> list[Node]:
    items = y.seq(node)
    if len(items) != 2:
        raise node.fail(f"expected two numbers [a, b], got {len(items)}")
    return items


def _count(node: Node) -> int:
    v = node.value
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_VEHICLES:
        raise node.fail(f"expected a whole number of vehicles in [1, {MAX_VEHICLES}], got {v!r}")
    return int(v)

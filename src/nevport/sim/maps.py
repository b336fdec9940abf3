"""Map files: YAML descriptions of a :class:`Road`, validated with file:line:field errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nevport.sim import yamlio as y
from nevport.sim.errors import UnknownNameError
from nevport.sim.road import (
    SIGNAL_STATES,
    Arm,
    Junction,
    Lane,
    Obstacle,
    Road,
    Segment,
    Signal,
)
from nevport.sim.yamlio import Node

MAP_DIR = Path(__file__).parent / "maps"
ARM_CONTROLS = ("priority", "stop", "signal")
KMH = 1 / 3.6  # [m/s per km/h]
MARKINGS = ("solid", "dashed", "none")


def available_maps() -> list[str]:
    return sorted(p.stem for p in MAP_DIR.glob("*.yaml"))


def load_map(name_or_path: str | Path) -> Road:
    """Load a library map by name, or any map file by path."""
    path = Path(name_or_path)
    if path.suffix != ".yaml":
        path = MAP_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise UnknownNameError(f"unknown map {name_or_path!r}; known: {available_maps()}")
    return parse_map(y.load(path))


def parse_map(node: Node) -> Road:
    allowed = {
        "id",
        "periodic",
        "geometry",
        "lanes",
        "signals",
        "crosswalks",
        "stop_signs",
        "junctions",
        "obstacles",
        "title",
    }
    m = y.mapping(node, allowed, {"id", "geometry", "lanes"})
    segments = tuple(_segment(n) for n in y.seq(m["geometry"]))
    length = sum(seg.length for seg in segments)
    lanes = tuple(_lane(n, length) for n in y.seq(m["lanes"]))
    if not lanes:
        raise m["lanes"].fail("expected at least one lane")
    periodic = m.get("periodic")
    if periodic is not None and not isinstance(periodic.value, bool):
        raise periodic.fail(f"expected true or false, got {periodic.value!r}")
    return Road(
        id=y.text(m["id"]),
        segments=segments,
        lanes=lanes,
        periodic=bool(periodic.value) if periodic else False,
        signals=tuple(_signal(n, length) for n in _items(m, "signals")),
        crosswalks=tuple(_pair(n, "s", "width", length) for n in _items(m, "crosswalks")),
        stop_signs=tuple(_stop(n, length) for n in _items(m, "stop_signs")),
        junctions=tuple(_junction(n, i, length) for i, n in enumerate(_items(m, "junctions"))),
        obstacles=tuple(_obstacle(n, length) for n in _items(m, "obstacles")),
    )


def _items(m: dict[str, Node], key: str) -> list[Node]:
    return y.seq(m[key]) if key in m else []


def _segment(node: Node) -> Segment:
    m = y.mapping(node, {"straight", "arc", "clothoid"})
    if len(m) != 1:
        raise node.fail("expected exactly one of straight, arc, clothoid")
    kind, val = next(iter(m.items()))
    if kind == "straight":
        return Segment("straight", y.num(val, 0.1), 0.0, 0.0)
    if kind == "arc":
        a = y.mapping(val, {"length", "radius", "turn"}, {"length", "radius"})
        sign = -1.0 if "turn" in a and y.text(a["turn"], ("left", "right")) == "right" else 1.0
        k = sign / y.num(a["radius"], 1.0)
        return Segment("arc", y.num(a["length"], 0.1), k, k)
    c = y.mapping(val, {"length", "k_start", "k_end"}, {"length", "k_start", "k_end"})
    k0, k1 = y.num(c["k_start"], -1.0, 1.0), y.num(c["k_end"], -1.0, 1.0)
    return Segment("clothoid", y.num(c["length"], 0.1), k0, k1)


def _lane(node: Node, length: float) -> Lane:
    keys = {"width", "speed_limit_kmh", "start", "end", "direction", "marking_left", "exit"}
    m = y.mapping(node, keys, {"width", "speed_limit_kmh"})
    start = y.num(m["start"], 0.0, length) if "start" in m else 0.0
    end = y.num(m["end"], 0.0, length) if "end" in m else length
    if end <= start:
        raise m.get("end", node).fail(f"lane end {end} must lie after its start {start}")
    direction = y.text(m["direction"], ("forward", "backward")) if "direction" in m else "forward"
    return Lane(
        width=y.num(m["width"], 2.0, 6.0),
        speed_limit=y.num(m["speed_limit_kmh"], 5.0, 200.0) * KMH,
        start=start,
        end=end,
        direction=1 if direction == "forward" else -1,
        marking_left=y.text(m["marking_left"], MARKINGS) if "marking_left" in m else "dashed",
        exit=_bool(m["exit"]) if "exit" in m else False,
    )


def _bool(node: Node) -> bool:
    if not isinstance(node.value, bool):
        raise node.fail(f"expected true or false, got {node.value!r}")
    return node.value


def _signal(node: Node, length: float) -> Signal:
    m = y.mapping(node, {"id", "s", "program", "offset"}, {"id", "s", "program"})
    offset = y.num(m["offset"]) if "offset" in m else 0.0
    return Signal(y.text(m["id"]), y.num(m["s"], 0.0, length), _program(m["program"]), offset)


def _program(node: Node) -> tuple[tuple[int, float], ...]:
    program = []
    for p in y.seq(node):
        pm = y.mapping(p, {"state", "duration"}, {"state", "duration"})
        state = SIGNAL_STATES[y.text(pm["state"], tuple(SIGNAL_STATES))]
        program.append((state, y.num(pm["duration"], 0.1)))
    if not program:
        raise node.fail("expected at least one phase")
    return tuple(program)


def _pair(node: Node, a: str, b: str, length: float) -> tuple[float, float]:
    m = y.mapping(node, {a, b}, {a, b})
    return y.num(m[a], 0.0, length), y.num(m[b], 0.5, 60.0)


def _junction(node: Node, index: int, length: float) -> Junction:
    m = y.mapping(node, {"id", "s", "width", "arms"}, {"s", "width"})
    jid = y.text(m["id"]) if "id" in m else f"j{index}"
    arms = tuple(_arm(n, jid) for n in y.seq(m["arms"])) if "arms" in m else ()
    ids = [a.id for a in arms]
    if len(set(ids)) != len(ids):
        raise m["arms"].fail(f"arm ids must be unique, got {ids}")
    return Junction(
        jid,
        y.num(m["s"], 0.0, length),
        y.num(m["width"], 2.0, 80.0),
        arms,
    )


def _arm(node: Node, junction: str) -> Arm:
    """An arm; its signal, if any, is named ``junction:arm`` for storyboard actions."""
    keys = {"id", "angle", "lanes_in", "lanes_out", "lane_width", "control", "program", "offset"}
    keys |= {"crosswalk"}
    m = y.mapping(node, keys, {"id", "angle"})
    control = y.text(m["control"], ARM_CONTROLS) if "control" in m else "priority"
    if (control == "signal") != ("program" in m):
        raise node.fail(f"an arm has a 'program' exactly when its control is 'signal' ({control})")
    signal = None
    if control == "signal":
        arm_id = y.text(m["id"])
        program = _program(m["program"])
        offset = y.num(m["offset"]) if "offset" in m else 0.0
        signal = Signal(f"{junction}:{arm_id}", float("nan"), program, offset)

    def count(key: str) -> int:
        return int(y.num(m[key], 0, 6)) if key in m else 1

    width = y.num(m["lane_width"], 2.0, 6.0) if "lane_width" in m else 3.5
    return Arm(
        y.text(m["id"]),
        np.deg2rad(y.num(m["angle"], -180.0, 180.0)),
        count("lanes_in"),
        count("lanes_out"),
        width,
        control,
        signal,
        y.num(m["crosswalk"], 1.0, 10.0) if "crosswalk" in m else 0.0,
    )


def _stop(node: Node, length: float) -> float:
    return y.num(y.mapping(node, {"s"}, {"s"})["s"], 0.0, length)


def _obstacle(node: Node, length: float) -> Obstacle:
    m = y.mapping(node, {"s", "d", "length", "width", "kind"}, {"s", "d", "length", "width"})
    kind = y.text(m["kind"]) if "kind" in m else "static"
    return Obstacle(
        y.num(m["s"], 0.0, length),
        y.num(m["d"], -50.0, 50.0),
        y.num(m["length"], 0.1, 30.0),
        y.num(m["width"], 0.1, 5.0),
        kind,
    )

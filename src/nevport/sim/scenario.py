"""Scenario files: a logical scenario (parameters with ranges) read from YAML.

The format is documented in docs/sim/scenario-format.md. Parsing checks every field and
reports ``file:line: field: message``; building concrete variants lives in build.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nevport.sim import yamlio as y
from nevport.sim.errors import SchemaError, UnknownNameError
from nevport.sim.events import EventSpec, parse_event
from nevport.sim.expr import Expr, parse_value
from nevport.sim.flows import FlowSpec, parse_flows
from nevport.sim.maps import load_map, parse_map
from nevport.sim.metrics import CRITERIA
from nevport.sim.road import Link, Road, connection, junction_link, route_arm
from nevport.sim.weather import PRESETS
from nevport.sim.yamlio import Node

SCENARIO_DIR = Path(__file__).parent / "scenarios"
ACTOR_TYPES = ("car", "truck", "pedestrian", "cyclist", "static")
BEHAVIOURS = ("idm", "path", "fixed")
REFERENCES = ("careful_competent",)
_FLAGS = {"hold_speed"}
_EGO = {"lane", "s", "d", "speed_kmh", "set_speed_kmh", "route_end", "hold_speed"}
_TOP = {
    "id",
    "title",
    "category",
    "tags",
    "map",
    "duration",
    "parameters",
    "ego",
    "actors",
    "storyboard",
    "weathers",
    "criteria",
    "reference",
    "variants",
    "description",
    "flows",
}


@dataclass(frozen=True)
class Parameter:
    name: str
    default: float
    low: float | None = None  # uniform range, or the clip range of a normal distribution
    high: float | None = None
    values: tuple[float, ...] = ()  # discrete choices (a grid in suites)
    normal: tuple[float, float] | None = None  # (mean, standard deviation)


@dataclass(frozen=True)
class ActorSpec:
    id: str
    type: str
    behaviour: str
    fields: dict[str, Expr]  # lane, s, d, speed_kmh, v0_kmh, length, width, ...
    path: tuple[tuple[Expr, Expr], ...]
    walking: bool
    mobil: bool
    test_target: bool = False  # driven by test equipment: weather leaves its speed alone
    link: Link | None = None  # junction a vehicle on a connecting lane passes


@dataclass(frozen=True)
class Scenario:
    id: str
    title_en: str
    title_zh: str
    category: str
    tags: tuple[str, ...]
    road: Road
    duration: float  # [s]
    parameters: tuple[Parameter, ...]
    ego: dict[str, Expr]
    actors: tuple[ActorSpec, ...]
    events: tuple[EventSpec, ...]
    weathers: tuple[str, ...]
    criteria: tuple[tuple[str, float | None], ...]
    reference: str | None
    variants: int | None  # None: one (defaults) unless asked; 0: the full grid
    file: str
    hold_speed: bool = False  # AEB tests: a test driver holds the set speed
    flows: tuple[FlowSpec, ...] = ()  # traffic entering at a rate (flows.py)


def load_scenario(path: Path) -> Scenario:
    return parse_scenario(y.load(path))


def parse_scenario(node: Node) -> Scenario:
    m = y.mapping(node, _TOP, {"id", "title", "category", "map", "ego", "duration"})
    title = y.mapping(m["title"], {"en", "zh"}, {"en", "zh"})
    params = tuple(
        _parameter(k, v)
        for k, v in y.mapping(
            m.get("parameters", _empty(node)), _any_key(m.get("parameters"))
        ).items()
    )
    known = {p.name for p in params}
    road = parse_map(m["map"]) if isinstance(m["map"].value, dict) else _named_map(m["map"])
    actors = tuple(_actor(n, known, road) for n in y.seq(m["actors"])) if "actors" in m else ()
    ids = ["ego"] + [a.id for a in actors]
    if len(set(ids)) != len(ids):
        raise m["actors"].fail(f"actor ids must be unique, got {ids}")
    events = tuple(
        parse_event(n, known, ids, road) for n in y.seq(m.get("storyboard", _empty_list(node)))
    )
    return Scenario(
        id=y.text(m["id"]),
        title_en=y.text(title["en"]),
        title_zh=y.text(title["zh"]),
        category=y.text(m["category"], ("urban", "highway")),
        tags=tuple(y.text(t) for t in y.seq(m["tags"])) if "tags" in m else (),
        road=road,
        duration=y.num(m["duration"], 1.0, 600.0),
        parameters=params,
        ego=_fields(m["ego"], _EGO, known, {"lane", "s"}),
        actors=actors,
        events=events,
        weathers=tuple(y.text(w, tuple(PRESETS)) for w in y.seq(m["weathers"]))
        if "weathers" in m
        else tuple(PRESETS),
        criteria=tuple(_criterion(n) for n in y.seq(m["criteria"]))
        if "criteria" in m
        else (("no_collision", None), ("route_completion", 0.9)),
        reference=y.text(m["reference"], REFERENCES) if "reference" in m else None,
        variants=_variants(m["variants"]) if "variants" in m else None,
        file=node.file,
        hold_speed=_flag(y.mapping(m["ego"], _EGO), "hold_speed", default=False),
        flows=parse_flows(m["flows"], road, ids) if "flows" in m else (),
    )


def _empty(node: Node) -> Node:
    return Node({}, node.file, node.line, "parameters")


def _empty_list(node: Node) -> Node:
    return Node([], node.file, node.line, "storyboard")


def _any_key(node: Node | None) -> set[str]:
    return set(node.value) if node is not None and isinstance(node.value, dict) else set()


def _named_map(node: Node) -> Road:
    try:
        return load_map(y.text(node))
    except UnknownNameError as exc:
        raise node.fail(str(exc)) from None


def _variants(node: Node) -> int:
    if node.value == "grid":
        return 0
    return int(y.num(node, 1, 10_000))


def _parameter(name: str, node: Node) -> Parameter:
    m = y.mapping(node, {"default", "range", "values", "normal"}, {"default"})
    default = y.num(m["default"])
    normal = _pair(m["normal"]) if "normal" in m else None
    if normal is not None and normal[1] <= 0:
        raise m["normal"].fail(f"standard deviation must be positive, got {normal[1]}")
    if "range" in m:
        lo, hi = _pair(m["range"])
        if not lo <= default <= hi:
            raise m["default"].fail(f"default {default} lies outside range [{lo}, {hi}]")
        return Parameter(name, default, lo, hi, normal=normal)
    if normal is not None:
        return Parameter(name, default, normal=normal)
    if "values" in m:
        values = tuple(y.num(v) for v in y.seq(m["values"]))
        if not values:
            raise m["values"].fail("expected at least one value")
        return Parameter(name, default, values=values)
    return Parameter(name, default)


def _pair(node: Node) -> tuple[float, float]:
    items = y.seq(node)
    if len(items) != 2:
        raise node.fail(f"expected two numbers [a, b], got {len(items)}")
    return y.num(items[0]), y.num(items[1])


def _fields(
    node: Node, allowed: set[str], known: set[str], required: set[str] | None = None
) -> dict[str, Expr]:
    m = y.mapping(node, allowed, required or set())
    return {k: parse_value(v, known) for k, v in m.items() if k not in _FLAGS}


def _actor(node: Node, known: set[str], road: Road) -> ActorSpec:
    numeric = {"lane", "s", "d", "speed_kmh", "v0_kmh", "length", "width", "headway", "politeness"}
    numeric |= {"exit"}  # 1: takes the off-ramp
    m = y.mapping(
        node,
        numeric
        | {
            "id",
            "type",
            "behaviour",
            "path",
            "start",
            "mobil",
            "test_target",
            "connection",
            "approach",
        },
        {"id", "type"},
    )
    kind = y.text(m["type"], ACTOR_TYPES)
    default = (
        "path" if {"path", "connection"} & m.keys() else ("fixed" if kind == "static" else "idm")
    )
    behaviour = y.text(m["behaviour"], BEHAVIOURS) if "behaviour" in m else default
    path: list[tuple[Expr, Expr]] = []
    link = None
    if behaviour == "path" and "connection" in m:
        path, link = _connection(m, road)
    elif behaviour == "path":
        if "path" not in m:
            raise node.fail("behaviour 'path' needs a 'path' of [s, d] points")
        for p in y.seq(m["path"]):
            pts = y.seq(p)
            if len(pts) != 2:
                raise p.fail(f"expected a point [s, d], got {len(pts)} numbers")
            path.append((parse_value(pts[0], known), parse_value(pts[1], known)))
        if len(path) < 2:
            raise m["path"].fail("a path needs at least two points")
    elif "s" not in m:
        raise node.fail("missing required field 's'")
    fields = {k: parse_value(v, known) for k, v in m.items() if k in numeric}
    mobil = _flag(m, "mobil", default=behaviour == "idm")
    start = y.text(m["start"], ("walking", "waiting")) if "start" in m else "waiting"
    return ActorSpec(
        y.text(m["id"]),
        kind,
        behaviour,
        fields,
        tuple(path),
        start == "walking",
        mobil,
        _flag(m, "test_target", default=False),
        link if kind in ("car", "truck") else None,
    )


def _connection(m: dict[str, Node], road: Road) -> tuple[list[tuple[Expr, Expr]], Link]:
    """Path points of ``connection: "junction:from>to"``, starting ``approach`` m out;
    the arm ``route`` is the ego's road (in: behind the junction, out: ahead of it)."""
    node = m["connection"]
    spec = y.text(node)
    jid, _, arms = spec.partition(":")
    src, _, dst = arms.partition(">")
    junctions = {j.id: j for j in road.junctions}
    if jid not in junctions:
        raise node.fail(f"unknown junction {jid!r} in {spec!r} (map has: {sorted(junctions)})")
    by_id = {a.id: a for a in junctions[jid].arms}
    names = [*sorted(by_id), "route"]
    if src not in names or dst not in names or src == dst:
        raise node.fail(f"expected 'junction:from>to', two different arms of {names}: {spec!r}")
    a_src = by_id[src] if src != "route" else route_arm(road, inbound=True)
    a_dst = by_id[dst] if dst != "route" else route_arm(road, inbound=False)
    approach = y.num(m["approach"], 5.0, 500.0) if "approach" in m else 50.0
    s_pts, d_pts, box, v_turn = connection(road, junctions[jid], a_src, a_dst, approach=approach)
    j = list(junctions).index(jid)
    pts = [(_const(node, s), _const(node, d)) for s, d in zip(s_pts, d_pts, strict=True)]
    return pts, junction_link(road, j, a_src, a_dst, box, v_turn)


def _const(node: Node, value: float) -> Expr:
    return parse_value(Node(round(float(value), 4), node.file, node.line, node.path), set())


def _flag(m: dict[str, Node], key: str, *, default: bool) -> bool:
    if key not in m:
        return default
    if not isinstance(m[key].value, bool):
        raise m[key].fail(f"expected true or false, got {m[key].value!r}")
    return bool(m[key].value)


def _criterion(node: Node) -> tuple[str, float | None]:
    if isinstance(node.value, str):
        name, value = node.value, None
    else:
        m = y.mapping(node, set(CRITERIA))
        if len(m) != 1:
            raise node.fail("expected one criterion name with its threshold")
        name, vn = next(iter(m.items()))
        value = y.num(vn)
    if name not in CRITERIA:
        raise node.fail(f"unknown criterion {name!r} (known: {', '.join(sorted(CRITERIA))})")
    return name, value


def library() -> dict[str, Path]:
    """Every scenario file shipped with nevport, by id (the file stem)."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.yaml"))}


def find_scenario(name: str) -> Scenario:
    """Load a library scenario by id or any scenario file by path."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        return load_scenario(path)
    lib = library()
    if name not in lib:
        raise UnknownNameError(f"unknown scenario {name!r}; see 'nevport sim list'")
    return load_scenario(lib[name])


__all__ = ["Scenario", "SchemaError", "find_scenario", "library", "load_scenario"]

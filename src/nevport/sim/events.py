"""The storyboard section of scenario files: triggers and actions, checked field by field.

The runtime storyboard (compiled events and their effect on the state) is storyboard.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from nevport.sim import yamlio as y
from nevport.sim.expr import Expr, parse_value
from nevport.sim.maps import KMH
from nevport.sim.road import SIGNAL_STATES, Road
from nevport.sim.state import PROFILES
from nevport.sim.storyboard import ACTIONS, TRIGGERS
from nevport.sim.yamlio import Node


@dataclass(frozen=True)
class EventSpec:
    name: str
    trigger: str
    trigger_actor: str
    trigger_value: Expr
    above: bool
    after: str
    scale: float  # unit factor to SI (1/3.6 for *_kmh thresholds)
    actions: tuple[dict[str, object], ...]


def parse_event(node: Node, known: set[str], ids: list[str], road: Road) -> EventSpec:
    m = y.mapping(node, {"name", "when", "do"}, {"name", "when", "do"})
    when = y.mapping(m["when"], set(TRIGGERS))
    if len(when) != 1:
        raise m["when"].fail(f"expected exactly one trigger of {', '.join(TRIGGERS)}")
    kind, tn = next(iter(when.items()))
    actor, after, above, scale = "ego", "", False, 1.0
    if kind == "time":
        value = parse_value(tn, known)
    else:
        t = y.mapping(tn, {"actor", "above", "below", "event", "delay", "above_kmh", "below_kmh"})
        if kind == "after":
            after = y.text(t["event"]) if "event" in t else ""
            value = (
                parse_value(t["delay"], known)
                if "delay" in t
                else parse_value(Node(0.0, tn.file, tn.line, tn.path), known)
            )
        else:
            actor = _actor_ref(t["actor"], ids) if "actor" in t else "ego"
            keys = [k for k in ("above", "below", "above_kmh", "below_kmh") if k in t]
            if len(keys) != 1:
                raise tn.fail("expected exactly one of above, below, above_kmh, below_kmh")
            above = keys[0].startswith("above")
            value = parse_value(t[keys[0]], known)
            scale = KMH if keys[0].endswith("_kmh") else 1.0
    actions = tuple(_action(n, known, ids, road) for n in y.seq(m["do"]))
    return EventSpec(y.text(m["name"]), kind, actor, value, above, after, scale, actions)


def _actor_ref(node: Node, ids: list[str]) -> str:
    name = y.text(node)
    if name not in ids:
        raise node.fail(f"unknown actor {name!r} (actors: {', '.join(ids)})")
    return name


def _action(node: Node, known: set[str], ids: list[str], road: Road) -> dict[str, object]:
    m = y.mapping(node, set(ACTIONS))
    if len(m) != 1:
        raise node.fail(f"expected exactly one action of {', '.join(ACTIONS)}")
    kind, an = next(iter(m.items()))
    if kind == "signal":
        a = y.mapping(an, {"id", "state"}, {"id", "state"})
        sig_ids = [sg.id for sg in road.signals + road.arm_signals()]
        sid = y.text(a["id"])
        if sid not in sig_ids:
            raise a["id"].fail(f"unknown signal {sid!r} (map has: {sig_ids})")
        return {
            "kind": kind,
            "signal": sig_ids.index(sid),
            "state": SIGNAL_STATES[y.text(a["state"], tuple(SIGNAL_STATES))],
        }
    allowed = {
        "speed": {"actor", "target_kmh", "rate", "profile"},
        "lane_change": {"actor", "lane", "offset", "duration"},
        "walk": {"actor"},
    }[kind]
    a = y.mapping(an, allowed, {"actor"})
    out: dict[str, object] = {"kind": kind, "actor": _actor_ref(a["actor"], ids)}
    for key in sorted(allowed - {"actor", "profile"}):
        if key in a:
            out[key] = parse_value(a[key], known)
    if kind == "speed":
        profile = y.text(a["profile"], tuple(PROFILES)) if "profile" in a else "linear"
        out["profile"] = PROFILES[profile]
    if kind == "speed" and not {"target_kmh", "rate"} <= out.keys():
        raise an.fail("speed action needs target_kmh and rate")
    if kind == "lane_change" and ("lane" in out) == ("offset" in out):
        raise an.fail("lane_change needs exactly one of lane, offset")
    return out

"""The rule engine of one enterprise: state machine, then every rule, one sample at a time.

Streaming (``Engine.step`` as readings arrive) and replay (``replay`` over a history)
call the same ``step``, so for the same samples they give the same events, whatever
the chunking. Arrays are (T, n): time first, then facilities in ``Topology`` order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nevport.environment.events import Event, ExemptWindow, mark_exempt
from nevport.environment.rules import Rule, Tick, build_rules
from nevport.environment.states import F64, I64, Mask, StateVector, advance
from nevport.environment.topology import Topology
from nevport.errors import InvalidInput


@dataclass(frozen=True)
class Period:
    """A curtailment (heavy-pollution alert) or staggered-production period.

    ``facilities`` lists the production facilities that must stop; empty means all of
    them (the enterprise's measure list says "stop production").
    """

    label: str
    start_s: int
    end_s: int
    facilities: frozenset[str] = field(default_factory=frozenset)


def curtailed_mask(t: int, periods: Sequence[Period], codes: Sequence[str]) -> Mask:
    """(n,) facilities that must not produce at ``t``."""
    mask = np.zeros(len(codes), dtype=bool)
    for period in periods:
        if period.start_s <= t < period.end_s:
            if not period.facilities:
                return np.ones(len(codes), dtype=bool)
            mask |= np.array([code in period.facilities for code in codes], dtype=bool)
    return mask


class Engine:
    """Evaluates one enterprise's rules as samples arrive, in time order."""

    def __init__(
        self,
        topology: Topology,
        rule_configs: Mapping[str, Mapping[str, Any]] | None = None,
        periods: Sequence[Period] = (),
        rules: Sequence[Rule] | None = None,
        *,
        skip_quiet: bool = True,
    ):
        self.topology = topology
        self.skip_quiet = skip_quiet  # False steps every rule every sample (tests compare)
        self.rules = list(rules) if rules is not None else build_rules(topology, rule_configs)
        self.periods = tuple(periods)
        self.thresholds = topology.thresholds()
        self.states: StateVector | None = None
        self.last_t: int | None = None
        n = len(topology.facilities)
        self._no_upstream: F64 = np.full(n, np.nan)
        self._none_curtailed: Mask = np.zeros(n, dtype=bool)
        self._curtailed: Mask = self._none_curtailed

    def step(self, t: int, power: F64, upstream: F64 | None = None) -> list[Event]:
        """Take the sample at ``t`` [s] (power (n,) [W], NaN missing); return its events."""
        if self.last_t is not None and t <= self.last_t:
            raise InvalidInput(f"sample at {t} is not after the previous one at {self.last_t}")
        self.last_t = t
        if self.states is None:
            self.states = StateVector.initial(len(self.topology.facilities), t)
        previous = self.states.state.copy()
        changed = advance(self.states, t, power, self.thresholds)
        curtailed = (
            curtailed_mask(t, self.periods, self.topology.codes)
            if self.periods
            else self._none_curtailed
        )
        active = (
            tuple(p.label for p in self.periods if p.start_s <= t < p.end_s) if self.periods else ()
        )
        tick = Tick(
            t=t,
            power=power,
            upstream=self._no_upstream if upstream is None else upstream,
            curtailed=curtailed,
            states=self.states,
            previous=previous,
            changed=changed,
            thresholds=self.thresholds,
            topology=self.topology,
            periods=active,
        )
        moved = bool(changed.any())
        if curtailed is not self._curtailed:
            moved = moved or not np.array_equal(curtailed, self._curtailed)
            self._curtailed = curtailed
        events: list[Event] = []
        for rule in self.rules:
            if self.skip_quiet and rule.quiet(tick, moved):
                continue
            events.extend(rule.step(tick))
        return events


def replay(
    topology: Topology,
    t: I64,
    power: F64,
    upstream: F64 | None = None,
    *,
    rule_configs: Mapping[str, Mapping[str, Any]] | None = None,
    periods: Sequence[Period] = (),
    exempt: Sequence[ExemptWindow] = (),
) -> list[Event]:
    """Every event over a history: ``t`` (T,) [s], ``power`` and ``upstream`` (T, n) [W]."""
    if power.shape != (len(t), len(topology.facilities)):
        raise InvalidInput(
            f"power has shape {power.shape}, expected {(len(t), len(topology.facilities))}"
        )
    engine = Engine(topology, rule_configs, periods)
    events: list[Event] = []
    for row in range(len(t)):
        events.extend(
            engine.step(int(t[row]), power[row], None if upstream is None else upstream[row])
        )
    return mark_exempt(events, exempt)

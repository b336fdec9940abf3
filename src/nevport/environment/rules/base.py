"""What every rule sees at each sample, the rule base class, and the registry.

A rule is a small class with a typed, frozen config (unknown keys are errors) and one
method, ``step``, that looks at one ``Tick`` and returns the events it opens, raises
or closes. Rules keep their own arrays (shape (n,) per facility or (m,) per link),
so streaming and replay run the very same code and give the very same events.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, ValidationError

from nevport.environment.events import Event, Grade, GradeSteps
from nevport.environment.states import F64, I8, I64, Mask, StateVector, ThresholdArrays
from nevport.environment.topology import Topology
from nevport.errors import Conflict, InvalidInput

Index = npt.NDArray[np.intp]


class RuleConfig(BaseModel):
    """Base of every rule's parameters: frozen, typed, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    yellow_after_s: int = 30 * 60  # [s] an open event turns yellow after this long
    red_after_s: int = 2 * 3600  # [s] and red after this long

    def grade_steps(self, floor: Grade = Grade.blue) -> GradeSteps:
        return GradeSteps(self.yellow_after_s, self.red_after_s, floor)


@dataclass
class Tick:
    """One sample time of one enterprise, after the state machine has run."""

    t: int  # [s since epoch, UTC]
    power: F64  # (n,) [W], NaN = missing
    upstream: F64  # (n,) [W] upstream meter of each facility, NaN = none or missing
    curtailed: Mask  # (n,) facility must not produce now (emergency or staggered period)
    states: StateVector
    previous: I8  # (n,) accepted state before this tick
    changed: Mask  # (n,) accepted state changed at this tick
    thresholds: ThresholdArrays
    topology: Topology
    periods: tuple[str, ...] = ()  # labels of the curtailment periods in force at ``t``


C = TypeVar("C", bound=RuleConfig)


class Rule(ABC):
    name: ClassVar[str]
    config_type: ClassVar[type[RuleConfig]]

    def __init__(self, config: RuleConfig, topology: Topology):
        self.config = config
        self.topology = topology

    @abstractmethod
    def step(self, tick: Tick) -> list[Event]:
        """Events opened, escalated or closed at ``tick``."""

    def quiet(self, tick: Tick, moved: bool) -> bool:
        """True when ``step(tick)`` would return nothing and change nothing, so the engine
        may skip it. ``moved``: some state (or the curtailed set) changed at ``tick``.
        Most samples change no state; skipping then is what makes a year of replay fast,
        and it must stay exact (tests compare against stepping every rule every tick)."""
        return False


REGISTRY: dict[str, type[Rule]] = {}
R = TypeVar("R", bound=type[Rule])


def register(cls: R) -> R:
    if cls.name in REGISTRY:
        raise Conflict(f"rule name {cls.name!r} is registered twice")
    REGISTRY[cls.name] = cls
    return cls


def parse_config(name: str, values: Mapping[str, Any]) -> RuleConfig:
    """The config of rule ``name`` from plain values; names the bad key on error."""
    if name not in REGISTRY:
        raise InvalidInput(f"unknown rule {name!r}; known: {', '.join(sorted(REGISTRY))}")
    try:
        return REGISTRY[name].config_type.model_validate(dict(values))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{first['msg']}", field=f"rules.{name}.{where}") from None


def build_rules(topology: Topology, configs: Mapping[str, Mapping[str, Any]] | None) -> list[Rule]:
    """Every registered rule, with ``configs`` overriding defaults by rule name."""
    configs = configs or {}
    unknown = set(configs) - set(REGISTRY)
    if unknown:
        raise InvalidInput(f"unknown rules {sorted(unknown)}", field="rules")
    rules = []
    for name, cls in sorted(REGISTRY.items()):
        config = parse_config(name, configs.get(name, {}))
        if config.enabled:
            rules.append(cls(config, topology))
    return rules


NEVER = 2**62  # [s] a wake-up time that never comes


class Sustained:
    """Tracks a condition over m units; an event opens once it has held ``min_s``.

    ``describe(i, since)`` builds the open event of unit ``i``; the tracker re-emits it
    with a higher grade or an end time as the condition lasts or clears. ``wake`` is the
    first time at which an unchanged condition would still produce something (an event
    coming due or changing grade); before it, an unchanged condition needs no update.
    """

    def __init__(self, m: int, min_s: int, steps: GradeSteps):
        self.min_s = min_s
        self.steps = steps
        self.since: I64 = np.full(m, -1, dtype=np.int64)
        self.open: dict[int, Event] = {}
        self.wake = 0  # [s] step at the first sample whatever happens
        self.waiting = True  # some unit's condition holds (open or not yet due)

    @property
    def idle(self) -> bool:
        """Nothing holds: an all-false condition would change nothing."""
        return not self.waiting

    def update(
        self,
        t: int,
        condition: Mask,
        describe: Callable[[int, int], Event],
        lost: Mask,
        began: I64 | None = None,
    ) -> list[Event]:
        """``lost`` marks units whose data went missing (reason of a close); ``began``,
        when given, dates each condition from the states' own start times rather than
        from this sample, so the debounce delay is not counted twice."""
        if not self.waiting and not condition.any():
            return []  # nothing held before, nothing holds now: the common sample
        started = condition & (self.since < 0)
        self.since[started] = t if began is None else np.minimum(began[started], t)
        self.since[~condition] = -1
        out: list[Event] = []
        for i in list(self.open):
            event = self.open[i]
            if not condition[i]:
                reason = "data_missing" if lost[i] else "cleared"
                end = t if began is None else int(min(max(began[i], event.start_s), t))
                out.append(_close(event, end, reason, self.steps))
                del self.open[i]
                continue
            grade = self.steps.grade(t - event.start_s)
            if grade is not event.grade:
                self.open[i] = event = _with_grade(event, grade)
                out.append(event)
        holding = condition & (self.since >= 0)
        due = np.flatnonzero(holding & (t - self.since >= self.min_s))
        for unit in due.tolist():
            if unit not in self.open:
                event = describe(unit, int(self.since[unit]))
                event = _with_grade(event, self.steps.grade(t - event.start_s))
                self.open[unit] = event
                out.append(event)
        self._plan(t, holding)
        return out

    def _plan(self, t: int, holding: Mask) -> None:
        self.waiting = bool(self.open) or bool(holding.any())
        wake = NEVER
        if self.open:
            holding = holding.copy()
            holding[list(self.open)] = False
            for event in self.open.values():
                for step in (self.steps.yellow_s, self.steps.red_s):
                    if event.start_s + step > t:
                        wake = min(wake, event.start_s + step)
        if holding.any():
            wake = min(wake, int(self.since[holding].min()) + self.min_s)
        self.wake = wake

    def quiet(self, t: int, moved: bool) -> bool:
        """For a condition of states only: unchanged states and nothing due before ``wake``."""
        return not moved and t < self.wake


def _with_grade(event: Event, grade: Grade) -> Event:
    return replace(event, grade=grade)


def _close(event: Event, t: int, reason: str, steps: GradeSteps) -> Event:
    return replace(event, end_s=t, closed_reason=reason, grade=steps.grade(t - event.start_s))


def reading(name: str, value: float) -> tuple[str, float | None]:
    """A reading for an event: NaN (missing) becomes None, never 0."""
    return (name, None if np.isnan(value) else round(float(value), 3))

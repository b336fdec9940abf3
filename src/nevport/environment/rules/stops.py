"""(d) Abnormal stop of a treatment facility, and intermittent on/off cycling."""

from __future__ import annotations

from collections import deque

import numpy as np
from pydantic import Field

from nevport.environment.events import Event, Grade
from nevport.environment.rules.base import NEVER, Rule, RuleConfig, Tick, register
from nevport.environment.rules.linkage import LinkRule
from nevport.environment.states import RUNNING, UNKNOWN
from nevport.environment.topology import FacilityKind, Topology


class AbnormalStopConfig(RuleConfig):
    # [s] a stop is "coordinated" if production also stops within this time (a power cut
    # or the end of a shift takes both down, seldom in the same sample).
    grace_s: int = Field(default=5 * 60, ge=0)


@register
class AbnormalStop(LinkRule):
    """Treatment leaves running while its production keeps running past the grace time."""

    name = "abnormal_stop"
    config_type = AbnormalStopConfig

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        assert isinstance(config, AbnormalStopConfig)
        self.cfg = config
        self.pending: dict[int, int] = {}  # link -> when the treatment stopped [s]

    def quiet(self, tick: Tick, moved: bool) -> bool:
        due = min(self.pending.values(), default=NEVER - self.cfg.grace_s) + self.cfg.grace_s
        return not moved and tick.t < due

    def step(self, tick: Tick) -> list[Event]:
        state, since = tick.states.state, tick.states.since
        stopped = tick.changed[self.treat] & (tick.previous[self.treat] == RUNNING)
        stopped &= state[self.treat] != UNKNOWN  # lost data is the offline rule's business
        for i in np.flatnonzero(stopped).tolist():
            self.pending[i] = int(since[self.treat[i]])
        out: list[Event] = []
        for link, stop in list(self.pending.items()):
            if tick.t < stop + self.cfg.grace_s:
                continue
            del self.pending[link]
            p = int(self.prod[link])
            if state[p] == RUNNING and since[p] <= stop:
                out.append(self._event(link, stop, tick))
        return out

    def _event(self, i: int, stop: int, tick: Tick) -> Event:
        p, q = self.pair(i)
        return Event(
            rule=self.name,
            facilities=(p, q),
            start_s=stop,
            end_s=stop,
            grade=Grade.yellow,
            message=f"{q} stopped while {p} kept running",
            readings=(
                ("production_running_for_s", float(tick.t - int(tick.states.since[self.prod[i]]))),
            ),
            thresholds=(("grace_s", float(self.cfg.grace_s)),),
        )


class CyclingConfig(RuleConfig):
    window_s: int = Field(default=3600, gt=0)  # [s] sliding window
    max_starts: int = Field(default=4, ge=2)  # this many starts in the window is cycling


@register
class Cycling(Rule):
    """Intermittent running: a treatment facility starts too often within a window."""

    name = "cycling"
    config_type = CyclingConfig

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        assert isinstance(config, CyclingConfig)
        self.cfg = config
        self.treatment = topology.kind_mask(FacilityKind.treatment)
        self.starts: dict[int, deque[int]] = {}

    def quiet(self, tick: Tick, moved: bool) -> bool:
        return not moved  # only a state change is a start

    def step(self, tick: Tick) -> list[Event]:
        entered = tick.changed & (tick.states.state == RUNNING) & self.treatment
        entered &= tick.previous != UNKNOWN  # a channel coming back is not a start
        out: list[Event] = []
        for i in np.flatnonzero(entered).tolist():
            recent = self.starts.setdefault(int(i), deque())
            recent.append(int(tick.states.since[i]))
            while recent[0] <= recent[-1] - self.cfg.window_s:
                recent.popleft()
            if len(recent) >= self.cfg.max_starts:
                out.append(self._event(int(i), list(recent)))
                recent.clear()  # the next event needs a fresh run of starts
        return out

    def _event(self, i: int, starts: list[int]) -> Event:
        code = self.topology.codes[i]
        return Event(
            rule=self.name,
            facilities=(code,),
            start_s=starts[0],
            end_s=starts[-1],
            grade=Grade.blue,
            message=f"{code} started {len(starts)} times in {starts[-1] - starts[0]} s",
            readings=tuple((f"start_{n}_s", float(s)) for n, s in enumerate(starts, 1)),
            thresholds=(
                ("window_s", float(self.cfg.window_s)),
                ("max_starts", float(self.cfg.max_starts)),
            ),
        )

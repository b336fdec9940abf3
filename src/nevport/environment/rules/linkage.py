"""Rules on a production facility and its treatment facility: (a), (b), (c)."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from nevport.environment.events import Event, Grade
from nevport.environment.rules.base import Rule, RuleConfig, Sustained, Tick, reading, register
from nevport.environment.states import OFF, RUNNING, STANDBY, UNKNOWN, Mask
from nevport.environment.topology import Topology


class LinkRule(Rule):
    """A rule over the m production -> treatment links."""

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        self.prod, self.treat = topology.link_indices()
        self.codes = topology.codes

    def pair(self, i: int) -> tuple[str, str]:
        return (self.codes[self.prod[i]], self.codes[self.treat[i]])

    def lost(self, tick: Tick) -> Mask:
        state = tick.states.state
        lost: Mask = (state[self.prod] == UNKNOWN) | (state[self.treat] == UNKNOWN)
        return lost


class TreatmentOffConfig(RuleConfig):
    min_duration_s: int = Field(default=10 * 60, ge=0)  # [s] tolerated before raising


@register
class TreatmentOff(LinkRule):
    """(a) Production runs while its treatment is off."""

    name = "treatment_off"
    config_type = TreatmentOffConfig

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        assert isinstance(config, TreatmentOffConfig)
        self.cfg = config
        self.tracker = Sustained(len(self.prod), config.min_duration_s, config.grade_steps())

    def quiet(self, tick: Tick, moved: bool) -> bool:
        return self.tracker.quiet(tick.t, moved)

    def step(self, tick: Tick) -> list[Event]:
        state = tick.states.state
        condition = (state[self.prod] == RUNNING) & (state[self.treat] == OFF)

        def describe(i: int, since: int) -> Event:
            p, q = int(self.prod[i]), int(self.treat[i])
            return Event(
                rule=self.name,
                facilities=self.pair(i),
                start_s=since,
                end_s=None,
                grade=Grade.blue,
                message=f"{self.codes[p]} runs while {self.codes[q]} is off",
                readings=(
                    reading("production_power_w", tick.power[p]),
                    reading("treatment_power_w", tick.power[q]),
                ),
                thresholds=(
                    ("production_running_w", float(tick.thresholds.running_w[p])),
                    ("treatment_standby_w", float(tick.thresholds.standby_w[q])),
                    ("min_duration_s", float(self.cfg.min_duration_s)),
                ),
            )

        since = tick.states.since
        began = np.maximum(since[self.prod], since[self.treat])
        return self.tracker.update(tick.t, condition, describe, self.lost(tick), began)


class UnderLoadConfig(RuleConfig):
    k: float = Field(default=0.3, gt=0, lt=1)  # fraction of rated power deemed effective
    min_duration_s: int = Field(default=30 * 60, ge=0)  # [s] "N minutes"


@register
class UnderLoad(LinkRule):
    """(c) Treatment energised but below k x rated power while production runs."""

    name = "under_load"
    config_type = UnderLoadConfig

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        assert isinstance(config, UnderLoadConfig)
        self.cfg = config
        self.tracker = Sustained(len(self.prod), config.min_duration_s, config.grade_steps())
        self.armed: bool | None = None  # some link could be under-loaded in these states

    def quiet(self, tick: Tick, moved: bool) -> bool:
        # Power is compared only where production runs and treatment is powered; with no
        # such link (most of the night) and nothing held, the step is a no-op.
        if moved or self.armed is None:
            state = tick.states.state
            self.armed = bool(
                ((state[self.prod] == RUNNING) & (state[self.treat] >= STANDBY)).any()
            )
        return not self.armed and self.tracker.idle

    def step(self, tick: Tick) -> list[Event]:
        state = tick.states.state
        floor = self.cfg.k * tick.thresholds.rated_w[self.treat]
        treat_state = state[self.treat]
        with np.errstate(invalid="ignore"):
            low = tick.power[self.treat] < floor
        condition = (state[self.prod] == RUNNING) & (treat_state >= STANDBY) & low

        def describe(i: int, since: int) -> Event:
            p, q = int(self.prod[i]), int(self.treat[i])
            return Event(
                rule=self.name,
                facilities=self.pair(i),
                start_s=since,
                end_s=None,
                grade=Grade.blue,
                message=f"{self.codes[q]} runs below {self.cfg.k:g} x rated while "
                f"{self.codes[p]} produces",
                readings=(
                    reading("production_power_w", tick.power[p]),
                    reading("treatment_power_w", tick.power[q]),
                ),
                thresholds=(
                    ("treatment_rated_w", float(tick.thresholds.rated_w[q])),
                    ("k", self.cfg.k),
                    ("min_duration_s", float(self.cfg.min_duration_s)),
                ),
            )

        return self.tracker.update(tick.t, condition, describe, self.lost(tick))


class StartStopLagConfig(RuleConfig):
    start_tolerance_s: int = Field(default=5 * 60, ge=0)  # [s] treatment may start this late
    stop_tolerance_s: int = Field(default=5 * 60, ge=0)  # [s] and stop this early


@register
class StartStopLag(LinkRule):
    """(b) Treatment started late, or stopped early, relative to production."""

    name = "start_stop_lag"
    config_type = StartStopLagConfig

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        assert isinstance(config, StartStopLagConfig)
        self.cfg = config
        # When each facility last entered running [s]; -1 before the first run.
        self.run_start = np.full(len(topology.facilities), -1, dtype=np.int64)

    def quiet(self, tick: Tick, moved: bool) -> bool:
        return not moved

    def step(self, tick: Tick) -> list[Event]:
        if not tick.changed.any():
            return []
        state, since = tick.states.state, tick.states.since
        out: list[Event] = []
        treat_started = tick.changed[self.treat] & (state[self.treat] == RUNNING)
        treat_started &= tick.previous[self.treat] != UNKNOWN
        for i in np.flatnonzero(treat_started & (state[self.prod] == RUNNING)).tolist():
            p, q = int(self.prod[i]), int(self.treat[i])
            lag = int(since[q] - since[p])
            if lag > self.cfg.start_tolerance_s:
                out.append(self._event(i, int(since[q]), "started", lag, tick))
        prod_stopped = tick.changed[self.prod] & (tick.previous[self.prod] == RUNNING)
        prod_stopped &= state[self.prod] != UNKNOWN
        for i in np.flatnonzero(prod_stopped & (state[self.treat] < RUNNING)).tolist():
            p, q = int(self.prod[i]), int(self.treat[i])
            early = int(since[p] - since[q])
            ran_during = since[q] > self.run_start[p]  # it did run in this production run
            if state[q] != UNKNOWN and ran_during and early > self.cfg.stop_tolerance_s:
                out.append(self._event(i, int(since[q]), "stopped", early, tick))
        entered = tick.changed & (state == RUNNING)
        self.run_start[entered] = since[entered]
        return out

    def _event(self, i: int, at: int, what: str, seconds: int, tick: Tick) -> Event:
        p, q = self.pair(i)
        relation = "after" if what == "started" else "before"
        tolerance = self.cfg.start_tolerance_s if what == "started" else self.cfg.stop_tolerance_s
        return Event(
            rule=self.name,
            facilities=(p, q),
            start_s=at,
            end_s=at,
            grade=self.config.grade_steps().grade(seconds),
            message=f"{q} {what} {seconds} s {relation} {p}",
            readings=((f"{what}_lag_s", float(seconds)),),
            thresholds=(
                (f"{'start' if what == 'started' else 'stop'}_tolerance_s", float(tolerance)),
            ),
        )

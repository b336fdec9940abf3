"""(e) Drift of the treatment-to-production power ratio away from its expected value."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from nevport.environment.events import Event, Grade
from nevport.environment.rules.base import RuleConfig, Sustained, Tick, reading, register
from nevport.environment.rules.linkage import LinkRule
from nevport.environment.states import RUNNING
from nevport.environment.topology import Topology


class RatioDriftConfig(RuleConfig):
    window_s: int = Field(default=3600, gt=0)  # [s] time constant of the running average
    tolerance: float = Field(default=0.3, gt=0)  # relative deviation allowed (0.3 = 30 %)
    min_duration_s: int = Field(default=3600, ge=0)  # [s] deviation must persist this long


@register
class RatioDrift(LinkRule):
    """Both run, but the treatment draws a drifting share of the production power.

    A falling ratio hints at a fan throttled or a bypass opened; the average is an
    exponential one updated only while both run, so idle nights do not dilute it.
    Links without ``expected_ratio`` are skipped.
    """

    name = "ratio_drift"
    config_type = RatioDriftConfig

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        assert isinstance(config, RatioDriftConfig)
        self.cfg = config
        expected = [link.expected_ratio or np.nan for link in topology.links]
        self.expected = np.array(expected, dtype=np.float64)
        self.average = self.expected.copy()
        self.last_t: int | None = None
        self.tracker = Sustained(len(self.prod), config.min_duration_s, config.grade_steps())
        self.armed: bool | None = None  # some link with a ratio has both facilities running

    def quiet(self, tick: Tick, moved: bool) -> bool:
        if moved or self.armed is None:
            state = tick.states.state
            both = (state[self.prod] == RUNNING) & (state[self.treat] == RUNNING)
            self.armed = bool((both & np.isfinite(self.expected)).any())
        if self.armed or not self.tracker.idle:
            return False
        self.last_t = tick.t  # the average's clock runs on, as a step would move it
        return True

    def step(self, tick: Tick) -> list[Event]:
        dt = 0 if self.last_t is None else tick.t - self.last_t
        self.last_t = tick.t
        state = tick.states.state
        both = (state[self.prod] == RUNNING) & (state[self.treat] == RUNNING)
        # The accepted state lags a stop by the debounce time; a sample whose power has
        # already fallen would read as a huge ratio, so both must also draw running power.
        low = tick.thresholds.running_low_w
        both &= (tick.power[self.prod] >= low[self.prod]) & (
            tick.power[self.treat] >= low[self.treat]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = tick.power[self.treat] / tick.power[self.prod]
            use = both & np.isfinite(ratio) & np.isfinite(self.expected)
            alpha = min(1.0, dt / self.cfg.window_s)
            self.average[use] += alpha * (ratio[use] - self.average[use])
            deviation = np.abs(self.average / self.expected - 1.0)
            condition = use & (deviation > self.cfg.tolerance)

        def describe(i: int, since: int) -> Event:
            p, q = self.pair(i)
            return Event(
                rule=self.name,
                facilities=(p, q),
                start_s=since,
                end_s=None,
                grade=Grade.blue,
                message=f"{q}/{p} power ratio {self.average[i]:.3f} drifts from "
                f"{self.expected[i]:.3f}",
                readings=(reading("average_ratio", self.average[i]), reading("ratio", ratio[i])),
                thresholds=(
                    ("expected_ratio", float(self.expected[i])),
                    ("tolerance", self.cfg.tolerance),
                ),
            )

        return self.tracker.update(tick.t, condition, describe, self.lost(tick))

"""(f) Production during an emergency curtailment or a staggered-production period."""

from __future__ import annotations

from pydantic import Field

from nevport.environment.events import Event, Grade
from nevport.environment.rules.base import Rule, RuleConfig, Sustained, Tick, reading, register
from nevport.environment.states import RUNNING, UNKNOWN
from nevport.environment.topology import FacilityKind, Topology


class CurtailmentConfig(RuleConfig):
    min_duration_s: int = Field(default=5 * 60, ge=0)  # [s] time allowed to wind down
    yellow_after_s: int = 0  # running through a declared alert is serious at once
    red_after_s: int = 3600


@register
class Curtailment(Rule):
    """A production facility keeps running inside a period where it must stop."""

    name = "curtailment"
    config_type = CurtailmentConfig

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        assert isinstance(config, CurtailmentConfig)
        self.cfg = config
        self.production = topology.kind_mask(FacilityKind.production)
        self.tracker = Sustained(
            len(topology.facilities), config.min_duration_s, config.grade_steps(Grade.yellow)
        )

    def quiet(self, tick: Tick, moved: bool) -> bool:
        return self.tracker.quiet(tick.t, moved)  # ``moved`` covers the curtailed set

    def step(self, tick: Tick) -> list[Event]:
        state = tick.states.state
        condition = self.production & tick.curtailed & (state == RUNNING)

        def describe(i: int, since: int) -> Event:
            code = self.topology.codes[i]
            broken = " and ".join(tick.periods) or "a curtailment period"
            return Event(
                rule=self.name,
                facilities=(code,),
                start_s=since,
                end_s=None,
                grade=Grade.yellow,
                message=f"{code} runs during {broken}",
                readings=(reading("power_w", tick.power[i]),),
                thresholds=(
                    ("running_w", float(tick.thresholds.running_w[i])),
                    ("min_duration_s", float(self.cfg.min_duration_s)),
                ),
            )

        return self.tracker.update(tick.t, condition, describe, state == UNKNOWN)

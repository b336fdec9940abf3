"""(g) Monitoring device offline, or suspicious: treatment at zero while upstream shows load."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from nevport.environment.events import Event, Grade
from nevport.environment.rules.base import Rule, RuleConfig, Sustained, Tick, reading, register
from nevport.environment.states import UNKNOWN
from nevport.environment.topology import FacilityKind, Topology


class OfflineConfig(RuleConfig):
    min_duration_s: int = Field(default=15 * 60, ge=0)  # [s] gap tolerated before raising


@register
class Offline(Rule):
    """No valid reading from a facility's channel for ``min_duration_s``."""

    name = "offline"
    config_type = OfflineConfig

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        assert isinstance(config, OfflineConfig)
        self.cfg = config
        self.tracker = Sustained(
            len(topology.facilities), config.min_duration_s, config.grade_steps()
        )

    def quiet(self, tick: Tick, moved: bool) -> bool:
        return self.tracker.quiet(tick.t, moved)

    def step(self, tick: Tick) -> list[Event]:
        missing = tick.states.state == UNKNOWN

        def describe(i: int, since: int) -> Event:
            code = self.topology.codes[i]
            return Event(
                rule=self.name,
                facilities=(code,),
                start_s=since,
                end_s=None,
                grade=Grade.blue,
                message=f"no reading from {code}'s monitoring channel",
                readings=(reading("power_w", tick.power[i]),),
                thresholds=(("min_duration_s", float(self.cfg.min_duration_s)),),
            )

        return self.tracker.update(
            tick.t, missing, describe, np.zeros_like(missing), tick.states.since
        )


class SuspiciousZeroConfig(RuleConfig):
    zero_fraction: float = Field(default=0.01, ge=0, lt=1)  # below this x rated reads as zero
    upstream_load_w: float = Field(default=1000.0, gt=0)  # [W] upstream load that must show
    min_duration_s: int = Field(default=15 * 60, ge=0)  # [s]


@register
class SuspiciousZero(Rule):
    """A treatment channel reads zero while the meter upstream of it carries load.

    The upstream meter (e.g. the distribution board feeding the treatment) would not see
    that load if the facility were truly off, so either the clamp was moved or bypassed.
    """

    name = "suspicious_zero"
    config_type = SuspiciousZeroConfig

    def __init__(self, config: RuleConfig, topology: Topology):
        super().__init__(config, topology)
        assert isinstance(config, SuspiciousZeroConfig)
        self.cfg = config
        watched = [f.kind is FacilityKind.treatment and f.has_upstream for f in topology.facilities]
        self.watched = np.array(watched, dtype=bool)
        self.tracker = Sustained(
            len(topology.facilities), config.min_duration_s, config.grade_steps(Grade.yellow)
        )

    def quiet(self, tick: Tick, moved: bool) -> bool:
        return not self.watched.any() and self.tracker.idle  # no upstream meter at all

    def step(self, tick: Tick) -> list[Event]:
        zero_below = self.cfg.zero_fraction * tick.thresholds.rated_w
        with np.errstate(invalid="ignore"):
            zero = tick.power < zero_below
            loaded = tick.upstream >= self.cfg.upstream_load_w
        condition = self.watched & zero & loaded

        def describe(i: int, since: int) -> Event:
            code = self.topology.codes[i]
            return Event(
                rule=self.name,
                facilities=(code,),
                start_s=since,
                end_s=None,
                grade=Grade.yellow,
                message=f"{code} reads zero while its upstream meter shows load",
                readings=(
                    reading("power_w", tick.power[i]),
                    reading("upstream_w", tick.upstream[i]),
                ),
                thresholds=(
                    ("zero_below_w", float(zero_below[i])),
                    ("upstream_load_w", self.cfg.upstream_load_w),
                ),
            )

        lost = np.isnan(tick.power) | np.isnan(tick.upstream)
        return self.tracker.update(tick.t, condition, describe, lost)

"""Skipping rules on quiet samples is exact: the same events as stepping every rule."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nevport.environment.engine import Engine, Period
from nevport.environment.events import Event

from .test_engine import PARK, messy_day
from .traces import MINUTE, T0

# The same plant with upstream meters on both treatments (rule suspicious_zero armed).
UPSTREAM = replace(
    PARK,
    facilities=tuple(replace(f, has_upstream=f.code.startswith("SB")) for f in PARK.facilities),
)
# A curtailment of SC1 and a staggered period of everything, inside the first day.
PERIODS = (
    Period("alert", T0 + 600 * MINUTE, T0 + 900 * MINUTE, frozenset({"SC1"})),
    Period("staggered", T0 + 1000 * MINUTE, T0 + 1100 * MINUTE),
)


def _run(engine: Engine, days: int, seed: int) -> list[Event]:
    events: list[Event] = []
    for day in range(days):
        t, power = messy_day(seed * 10 + day)
        upstream = np.where(np.isnan(power), np.nan, power * 1.2 + 500.0)
        upstream[200:400, 1] = 5_000.0  # load upstream while SB1 reads what it reads
        for row in range(len(t)):
            at = int(t[row]) + day * 1440 * MINUTE
            events.extend(engine.step(at, power[row], upstream[row]))
    return events


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_skipping_quiet_samples_changes_no_event(seed: int) -> None:
    fast = _run(Engine(UPSTREAM, periods=PERIODS), 3, seed)
    full = _run(Engine(UPSTREAM, periods=PERIODS, skip_quiet=False), 3, seed)
    assert len(full) > 10  # the messy days do raise events, of several rules
    assert len({e.rule for e in full}) >= 5
    assert fast == full

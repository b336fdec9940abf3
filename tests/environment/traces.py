"""Hand-built power traces: a trace is a list of (minutes, watts) segments."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from nevport.environment.states import Thresholds
from nevport.environment.topology import Facility, FacilityKind, Link, Topology

MINUTE = 60  # [s]
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, a fixed origin so event keys are literal

# A spray booth (production) and its VOC treatment; powers in W, times in s.
BOOTH = Thresholds(
    standby_w=1_000, running_w=10_000, rated_w=40_000, hysteresis_w=500, min_state_s=2 * MINUTE
)
VOC = Thresholds(
    standby_w=500, running_w=5_000, rated_w=20_000, hysteresis_w=400, min_state_s=2 * MINUTE
)


def topology(*, ratio: float | None = 0.5, upstream: bool = False) -> Topology:
    return Topology(
        facilities=(
            Facility("SC1", FacilityKind.production, BOOTH),
            Facility("SB1", FacilityKind.treatment, VOC, has_upstream=upstream),
        ),
        links=(Link("SC1", "SB1", ratio),),
    )


def trace(segments: Sequence[tuple[int, float]]) -> npt.NDArray[np.float64]:
    """One sample a minute: ``segments`` of (minutes, W); NaN marks missing readings."""
    return np.concatenate(
        [np.full(minutes, watts, dtype=np.float64) for minutes, watts in segments]
    )


def history(
    *columns: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    n = min(len(c) for c in columns)
    power = np.stack([c[:n] for c in columns], axis=1)
    return T0 + MINUTE * np.arange(n, dtype=np.int64), power


def at(minute: int) -> int:
    return T0 + minute * MINUTE

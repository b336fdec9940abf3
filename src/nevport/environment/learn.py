"""Threshold suggestions from a facility's power history (confirmed by a person).

A facility's power clusters around off, standby and running levels; a three-centre
1-D k-means finds them and the thresholds sit halfway between neighbouring centres.
Rated power is taken as the 98th percentile, so rare spikes do not inflate it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nevport.environment.states import F64
from nevport.errors import InvalidInput

MIN_SAMPLES = 96  # a day of 15-minute buckets: less cannot show all three levels
RATED_PERCENTILE = 98.0  # [%]
ITERATIONS = 30


@dataclass(frozen=True)
class Suggestion:
    standby_w: float
    running_w: float
    rated_w: float
    samples: int


def suggest(power: F64) -> Suggestion:
    """Suggested thresholds from ``power`` (any shape, [W], NaN ignored)."""
    values = np.sort(power[np.isfinite(power)].ravel())
    if len(values) < MIN_SAMPLES:
        raise InvalidInput(
            f"{len(values)} valid samples; at least {MIN_SAMPLES} are needed to learn thresholds"
        )
    centres = np.percentile(values, [5.0, 50.0, 95.0])
    for _ in range(ITERATIONS):
        nearest = np.argmin(np.abs(values[:, None] - centres[None, :]), axis=1)
        for k in range(3):
            if (nearest == k).any():
                centres[k] = values[nearest == k].mean()
    low, mid, high = np.sort(centres)
    rated = float(np.percentile(values, RATED_PERCENTILE))
    if high - low < 0.05 * max(rated, 1.0):
        raise InvalidInput("power never changes level; thresholds cannot be learned from it")
    if mid - low < 0.05 * (high - low):
        mid = low + 0.2 * (high - low)  # only two levels seen: no real standby
    standby, running = (low + mid) / 2, (mid + high) / 2
    return Suggestion(round(standby, 1), round(running, 1), round(rated, 1), len(values))

"""Facility state from power: off / standby / running, with hysteresis and debounce.

All arrays have the facility dimension first-and-only: shape ``(n,)``. Power is in W;
NaN means the reading is missing (never read as 0 W).

Boundaries (per facility): ``power >= standby_w`` leaves *off*, ``power >= running_w``
enters *running*. Going down, a boundary is only crossed below ``boundary - hysteresis_w``,
so a signal flapping around a threshold does not toggle the state. A new candidate state
must then hold for ``min_state_s`` before it is accepted; the accepted change is dated at
the moment the candidate began, so the recorded times do not depend on the debounce.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

import numpy as np
import numpy.typing as npt

from nevport.errors import InvalidInput

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
Mask = npt.NDArray[np.bool_]


class FacilityState(IntEnum):
    unknown = -1  # no valid reading (device offline or value flagged)
    off = 0
    standby = 1
    running = 2


OFF = np.int8(FacilityState.off)
STANDBY = np.int8(FacilityState.standby)
RUNNING = np.int8(FacilityState.running)
UNKNOWN = np.int8(FacilityState.unknown)


@dataclass(frozen=True)
class Thresholds:
    """One facility's thresholds; all powers in W, times in s."""

    standby_w: float  # at or above: powered (standby or running)
    running_w: float  # at or above: running
    rated_w: float  # nameplate power, for under-load and ratio rules
    hysteresis_w: float = 0.0
    min_state_s: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.standby_w < self.running_w:
            raise InvalidInput(
                f"thresholds need 0 <= standby_w < running_w, got {self.standby_w} and "
                f"{self.running_w}",
                field="thresholds",
            )
        if not 0 <= self.hysteresis_w <= self.standby_w:
            raise InvalidInput(
                f"hysteresis_w {self.hysteresis_w} must be within [0, standby_w {self.standby_w}]",
                field="thresholds.hysteresis_w",
            )
        if self.rated_w <= 0 or self.min_state_s < 0:
            raise InvalidInput(
                f"rated_w must be > 0 and min_state_s >= 0, got {self.rated_w}, {self.min_state_s}",
                field="thresholds",
            )


@dataclass
class StateVector:
    """The accepted and candidate state of every facility (mutated by ``advance``)."""

    state: I8
    since: I64  # [s] when the accepted state began
    candidate: I8
    candidate_since: I64  # [s]

    @classmethod
    def initial(cls, n: int, t0: int) -> StateVector:
        unknown = np.full(n, UNKNOWN, dtype=np.int8)
        start = np.full(n, t0, dtype=np.int64)
        return cls(unknown, start.copy(), unknown.copy(), start.copy())


@dataclass(frozen=True)
class ThresholdArrays:
    """``Thresholds`` of n facilities as arrays of shape (n,)."""

    standby_w: F64
    running_w: F64
    rated_w: F64
    hysteresis_w: F64
    min_state_s: I64

    @cached_property
    def running_low_w(self) -> F64:
        """[W] where a running facility stops running (the hysteresis band below)."""
        return self.running_w - self.hysteresis_w

    @cached_property
    def standby_low_w(self) -> F64:
        """[W] where a powered facility goes off."""
        return self.standby_w - self.hysteresis_w

    @classmethod
    def of(cls, items: list[Thresholds]) -> ThresholdArrays:
        def column(name: str, dtype: type) -> npt.NDArray[np.generic]:
            return np.array([getattr(item, name) for item in items], dtype=dtype)

        return cls(
            column("standby_w", np.float64),  # type: ignore[arg-type]
            column("running_w", np.float64),  # type: ignore[arg-type]
            column("rated_w", np.float64),  # type: ignore[arg-type]
            column("hysteresis_w", np.float64),  # type: ignore[arg-type]
            column("min_state_s", np.int64),  # type: ignore[arg-type]
        )


def raw_state(power: F64, previous: I8, th: ThresholdArrays) -> I8:
    """The instantaneous state of each facility, given the previous one (for hysteresis)."""
    # Lowering a boundary by the hysteresis band while already above it keeps the state.
    # (Comparisons with NaN are False and raise no warning; NaN is marked below.)
    run_at = np.where(previous == RUNNING, th.running_low_w, th.running_w)
    on_at = np.where(previous >= STANDBY, th.standby_low_w, th.standby_w)
    level: I8 = (power >= on_at).view(np.int8) + (power >= run_at).view(np.int8)
    level[np.isnan(power)] = UNKNOWN
    return level


def advance(vector: StateVector, t: int, power: F64, th: ThresholdArrays) -> Mask:
    """Take one sample at time ``t``; return the mask of facilities whose state changed."""
    instant = raw_state(power, vector.candidate, th)
    moved = instant != vector.candidate
    vector.candidate_since[moved] = t
    vector.candidate[moved] = instant[moved]
    settled = (t - vector.candidate_since) >= th.min_state_s
    # Missing data is accepted at once: a lost device must not look like a running one.
    settled |= vector.candidate == UNKNOWN
    changed: Mask = settled & (vector.candidate != vector.state)
    if changed.any():
        vector.state[changed] = vector.candidate[changed]
        vector.since[changed] = vector.candidate_since[changed]
    return changed

"""Driver API: a small protocol (reset, act), a batched variant, and the loader.

A driver receives the perceived :class:`Observation` and returns controls: an (B, 2)
array of [acceleration command m/s^2, front-wheel angle command rad]. A driver with
``batched = True`` gets all variants at once; otherwise the runner creates one instance
per variant and hands each a batch of one.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from nevport.sim.errors import DriverError
from nevport.sim.road import Road
from nevport.sim.sensors import Observation

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class DriverInfo:
    """What a driver may know before the run: the map, the route and its vehicle."""

    road: Road
    batch: int
    dt: float  # [s]
    wheelbase: float  # [m]
    max_steer: float  # [rad]
    route_end: F64  # (B,) [m]
    set_speed: F64  # (B,) [m/s] cruise set speed chosen by the test; inf = the speed limit
    hold_speed: NDArray[np.bool_]  # (B,) a test driver holds the set speed (AEB tests)


@runtime_checkable
class Driver(Protocol):
    """Drives one variant (the runner passes B = 1 observations)."""

    def reset(self, info: DriverInfo) -> None: ...

    def act(self, obs: Observation) -> F64: ...


class BatchedDriver(Driver, Protocol):
    """Drives all variants of a batch in one call; marks itself with ``batched = True``."""

    batched: bool


def load_driver_class(spec: str) -> type[Any]:
    """Import ``module:Class``; built-in short names: ``reference``, ``careful_competent``."""
    spec = BUILTIN.get(spec, spec)
    module, sep, name = spec.partition(":")
    if not sep or not module or not name:
        raise DriverError(f"driver must be 'module:Class', got {spec!r}")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise DriverError(f"cannot load driver {spec!r}: {exc}") from None
    if not (callable(getattr(cls, "reset", None)) and callable(getattr(cls, "act", None))):
        raise DriverError(f"driver {spec!r} lacks reset() and act()")
    return cls  # type: ignore[no-any-return]


BUILTIN = {
    "reference": "nevport.sim.ads:ReferenceADS",
    "careful_competent": "nevport.sim.ads:CarefulCompetentDriver",
}


def slice_obs(obs: Observation, b: int) -> Observation:
    """The observation of variant ``b`` as a batch of one."""
    return Observation(
        **{f.name: getattr(obs, f.name)[b : b + 1] for f in dataclasses.fields(Observation)}
    )


class DriverSet:
    """Runs either one batched driver or one plain driver per variant behind one call."""

    def __init__(self, spec: str, info: DriverInfo) -> None:
        cls = load_driver_class(spec)
        self.spec = spec
        self.batch = info.batch
        if getattr(cls, "batched", False):
            self.drivers = [cls()]
            self.drivers[0].reset(info)
        else:
            self.drivers = [cls() for _ in range(info.batch)]
            for b, drv in enumerate(self.drivers):
                drv.reset(
                    dataclasses.replace(
                        info,
                        batch=1,
                        route_end=info.route_end[b : b + 1],
                        set_speed=info.set_speed[b : b + 1],
                        hold_speed=info.hold_speed[b : b + 1],
                    )
                )

    def act(self, obs: Observation) -> F64:
        if len(self.drivers) == 1 and getattr(self.drivers[0], "batched", False):
            out = np.asarray(self.drivers[0].act(obs), dtype=np.float64)
        else:
            out = np.concatenate(
                [
                    np.asarray(d.act(slice_obs(obs, b)), dtype=np.float64).reshape(1, 2)
                    for b, d in enumerate(self.drivers)
                ]
            )
        if out.shape != (self.batch, 2) or not np.isfinite(out).all():
            raise DriverError(
                f"driver {self.spec} returned controls of shape {out.shape} "
                f"(expected ({self.batch}, 2), finite)"
            )
        return out

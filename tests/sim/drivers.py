"""Small real drivers used by the tests (not mocks: they drive through the public API)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nevport.sim.driver import DriverInfo
from nevport.sim.sensors import Observation


class Cruise:
    """Holds its speed and lane; never brakes (exposes what the scenario does to a passive car)."""

    def reset(self, info: DriverInfo) -> None:
        self.wheelbase = info.wheelbase

    def act(self, obs: Observation) -> NDArray[np.float64]:
        steer = np.arctan(self.wheelbase * obs.curvature) - obs.heading - 0.2 * obs.offset
        return np.stack([np.zeros_like(obs.speed), steer], axis=1)


class BrakeOnSight:
    """Brakes fully REACTION s after it first perceives an object within 2 m of its path."""

    batched = True
    REACTION = 0.5  # [s]

    def reset(self, info: DriverInfo) -> None:
        self.seen_at = np.full(info.batch, np.inf)

    def act(self, obs: Observation) -> NDArray[np.float64]:
        ahead = (obs.obj_valid & (obs.obj_s > 0) & (np.abs(obs.obj_d) < 2.0)).any(axis=1)
        self.seen_at = np.where(ahead & np.isinf(self.seen_at), obs.t, self.seen_at)
        braking = obs.t >= self.seen_at + self.REACTION - 1e-9
        return np.stack([np.where(braking, -10.0, 0.0), -obs.heading], axis=1)

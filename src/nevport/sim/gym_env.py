"""Gymnasium wrapper: one scenario variant as a single-agent environment (extra ``[gym]``).

Observation: 8 ego and signal values then ``max_objects`` perceived objects x 6 values
(relative s, relative d, speed along and across the road, class, detected flag), nearest
first. Action in [-1, 1]^2: acceleration (negative scales to the brake limit, positive to
the drive limit) and front-wheel angle as a share of full lock.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from nevport.sim.build import build, concrete
from nevport.sim.scenario import find_scenario
from nevport.sim.sensors import Observation, Perception, perceive
from nevport.sim.state import SimParams, SimState
from nevport.sim.step import step
from nevport.sim.weather import get_weather

BOUND = 1000.0  # every observation value is clipped to +-BOUND
COLLISION_PENALTY = 10.0  # [-] reward lost on a collision (progress is worth 1 per route)


class SimEnv(gym.Env[NDArray[np.float32], NDArray[np.float32]]):
    def __init__(
        self,
        scenario: str = "hw_car_following",
        weather: str = "clear",
        max_objects: int = 8,
        variant: int = 0,
    ) -> None:
        self.metadata = {"render_modes": []}
        self.scn = find_scenario(scenario)
        self.weather = get_weather(weather)
        self.k = max_objects
        self.variant = variant
        size = 8 + 6 * max_objects
        self.observation_space = gym.spaces.Box(-BOUND, BOUND, (size,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.state: SimState | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.float32], dict[str, Any]]:
        super().reset(seed=seed)
        run_seed = int(self.np_random.integers(2**31))
        built = build(self.scn, [concrete(self.scn, self.variant, run_seed)], self.weather)
        self.params: SimParams = built.params
        self.state = built.state
        self.route = (float(built.route_start[0]), float(built.route_end[0]))
        self.perception = Perception(self.weather, [run_seed], built.route_end)
        return self._obs(), {"variant": self.variant}

    def step(
        self, action: NDArray[np.float32]
    ) -> tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        assert self.state is not None, "call reset() first"
        a = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        ego = self.params.ego
        accel = a[0] * (ego.a_max if a[0] > 0 else -ego.a_min)
        controls = np.array([[accel, a[1] * ego.max_steer]])
        before = float(self.state.s[0, 0])
        self.state = step(self.state, controls, self.params)
        progress = (float(self.state.s[0, 0]) - before) / max(self.route[1] - self.route[0], 1.0)
        collided = bool(self.state.collided[0])
        terminated = collided or float(self.state.s[0, 0]) >= self.route[1]
        truncated = float(self.state.t[0]) >= self.scn.duration
        reward = progress - (COLLISION_PENALTY if collided else 0.0)
        return self._obs(), reward, terminated, truncated, {"collided": collided}

    def _obs(self) -> NDArray[np.float32]:
        assert self.state is not None
        o: Observation = perceive(self.state, self.params, self.perception)
        head = [
            o.speed,
            o.accel,
            o.offset,
            o.heading,
            o.curvature * 100.0,
            o.speed_limit,
            np.minimum(o.signal_dist, BOUND),
            o.signal_state.astype(float),
        ]
        dist = np.where(o.obj_valid[0], np.hypot(o.obj_s[0], o.obj_d[0]), np.inf)
        order = np.argsort(dist, kind="stable")[: self.k]
        objs = np.zeros((self.k, 6))
        n = len(order)
        objs[:n] = np.stack(
            [
                o.obj_s[0, order],
                o.obj_d[0, order],
                o.obj_vs[0, order],
                o.obj_vd[0, order],
                o.obj_cls[0, order].astype(float),
                o.obj_valid[0, order].astype(float),
            ],
            axis=1,
        )
        objs[:n][~o.obj_valid[0, order]] = 0.0
        vec = np.concatenate([np.array([h[0] for h in head]), objs.ravel()])
        out: NDArray[np.float32] = np.clip(vec, -BOUND, BOUND).astype(np.float32)
        return out

"""The Gymnasium wrapper passes gymnasium's own checker and behaves like the simulator."""

from __future__ import annotations

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402

from nevport.sim.gym_env import SimEnv  # noqa: E402


def test_env_passes_the_gymnasium_checker() -> None:
    check_env(SimEnv("ur_ped_crosswalk"), skip_render_check=True)


def test_full_braking_ends_short_of_the_route_and_driving_on_reaches_it() -> None:
    env = SimEnv("hw_curve_speed")
    obs, _ = env.reset(seed=1)
    assert env.observation_space.contains(obs)
    total = 0.0
    for _ in range(200):
        obs, reward, terminated, truncated, _ = env.step(np.array([-1.0, 0.0], np.float32))
        total += reward
        if terminated or truncated:
            break
    assert float(env.state.v[0, 0]) == 0.0
    assert not terminated
    assert total < 0.1


def test_same_seed_same_episode() -> None:
    def episode(seed: int) -> list[float]:
        env = SimEnv("hw_dense_traffic")
        obs, _ = env.reset(seed=seed)
        out = [float(obs.sum())]
        for _ in range(50):
            obs, *_ = env.step(np.array([0.2, 0.0], np.float32))
            out.append(float(obs.sum()))
        return out

    assert episode(7) == episode(7)
    assert episode(7) != episode(8)

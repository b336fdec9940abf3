"""Ego vehicle: kinematic bicycle in Frenet coordinates with a friction circle.

The tyres can transmit at most ``mu * g`` of combined longitudinal and lateral
acceleration (Kamm's circle); beyond it the commanded acceleration and path curvature
are scaled down together, so braking and cornering limits follow the road surface.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nevport.sim.road import Road
from nevport.sim.state import EgoParams

F64 = NDArray[np.float64]

G = 9.81  # [m/s^2] standard gravity


def friction_limit(accel: F64, curvature: F64, v: F64, mu: F64) -> tuple[F64, F64]:
    """Scale (accel [m/s^2], path curvature [1/m]) into the friction circle of radius mu*g."""
    a_lat = v * v * curvature
    total = np.hypot(accel, a_lat)
    scale = np.minimum(1.0, mu * G / np.maximum(total, 1e-9))
    return accel * scale, curvature * scale


def bicycle_step(
    s: F64,
    d: F64,
    v: F64,
    psi: F64,
    steer: F64,
    accel_cmd: F64,
    steer_cmd: F64,
    mu: F64,
    road: Road,
    ego: EgoParams,
    dt: float,
) -> tuple[F64, ...]:
    """Advance the ego one step; returns (s, d, v, psi, a, steer), each (B,)."""
    max_delta = ego.max_steer_rate * dt
    steer_new = np.clip(
        steer + np.clip(steer_cmd - steer, -max_delta, max_delta), -ego.max_steer, ego.max_steer
    )
    a = np.clip(accel_cmd, ego.a_min, ego.a_max)
    a, kappa = friction_limit(a, np.tan(steer_new) / ego.wheelbase, v, mu)
    # a braking car stops and stays stopped: it does not reverse within the step
    stopping = v + a * dt < 0.0
    dist = np.where(stopping, v * v / (2.0 * np.maximum(-a, 1e-9)), v * dt + 0.5 * a * dt * dt)
    v_new = np.where(stopping, 0.0, v + a * dt)
    a_eff = (v_new - v) / dt
    kr = road.curvature(s)
    denom = np.maximum(1.0 - kr * d, 0.1)
    ds = dist * np.cos(psi) / denom
    d_new = d + dist * np.sin(psi)
    psi_new = psi + dist * kappa - kr * ds
    return s + ds, d_new, v_new, psi_new, a_eff, steer_new

"""A radar-like object sensor: long range, narrow far beam, hardly degraded by fog.

At 77 GHz the wavelength (4 mm) is far larger than fog droplets (about 10 um), so fog
attenuates by about 1 dB/km where it blinds a camera or lidar; rain attenuates more. The
received power of the radar equation falls as ``sigma_rcs * exp(-2 alpha R) / R^4``, so a
radar that reaches ``R_clear`` in clear air reaches the ``R`` solving
``R exp(alpha R / 2) = R_clear`` (alpha the power attenuation [1/m]); a target of smaller
radar cross-section reaches ``(rcs / rcs_car)^(1/4)`` of it. Sources: docs/sim/weather.md.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from nevport.sim.state import PEDESTRIAN

F64 = NDArray[np.float64]
B8 = NDArray[np.bool_]

RANGE_CLEAR = 200.0  # [m] car target, clear air (Continental ARS 408-21 far range: 250 m)
NEAR_RANGE = 70.0  # [m] wide near beam (ARS 408-21: 70 m at +-45 deg)
FAR_HALF_FOV = math.radians(9.0)  # [rad] far beam half width (ARS 408-21: +-9 deg)
NEAR_HALF_FOV = math.radians(45.0)  # [rad] near beam half width
RCS_CAR = 10.0  # [m^2] passenger car, typical 10 dBsm at 77 GHz
RCS_SMALL = 0.5  # [m^2] pedestrian or cyclist, about -3 dBsm at 77 GHz
DETECT_PROB = 0.95  # [-] per-frame detection probability inside range (model parameter)
SIGMA_RANGE = 0.2  # [m] 1-sigma range noise (ARS 408-21: +-0.4 m far range accuracy)
SIGMA_AZIMUTH = math.radians(0.3)  # [rad] 1-sigma azimuth noise (ARS 408-21: +-0.1-0.3 deg)
SIGMA_VEL = 0.1  # [m/s] 1-sigma radial speed noise (Doppler)
SIGMA_VEL_LAT = 0.5  # [m/s] 1-sigma lateral speed noise (from the track, not Doppler)
# ITU-R P.840-8: fog specific attenuation K_l * M with K_l about 3 (dB/km)/(g/m^3) at
# 77-80 GHz between 0 and 20 deg C; Eldridge (1971): visibility V [km] = 0.024 M^-0.65
K_FOG = 3.0  # [(dB/km)/(g/m^3)]
# ITU-R P.838-3 rain coefficients interpolated to 77 GHz: gamma = k R^alpha [dB/km]
K_RAIN, ALPHA_RAIN = 1.07, 0.73


def fog_water(mor: float) -> float:
    """Liquid water content [g/m^3] of fog of visibility ``mor`` [m] (Eldridge 1971)."""
    return float((0.024 / (mor / 1000.0)) ** (1.0 / 0.65))


def attenuation_db_km(rain_mm_h: float, fog_lwc: float) -> float:
    """One-way specific attenuation [dB/km] at 77 GHz from rain and fog."""
    return float(K_RAIN * rain_mm_h**ALPHA_RAIN + K_FOG * fog_lwc)


def radar_range(rain_mm_h: float, fog_lwc: float) -> float:
    """Detection range [m] for a car: solves R exp(alpha R / 2) = RANGE_CLEAR."""
    alpha = attenuation_db_km(rain_mm_h, fog_lwc) * math.log(10.0) / 10_000.0  # [1/m] power
    r: float = RANGE_CLEAR
    for _ in range(60):  # Newton's method; monotone, converges
        e = math.exp(0.5 * alpha * r)
        r = max(r - (r * e - RANGE_CLEAR) / (e * (1.0 + 0.5 * alpha * r)), 1e-3)
    return r


def detect(
    rel: tuple[F64, F64, F64, F64],
    kind: NDArray[np.int64],
    visible: B8,
    limit: F64,
    draws: tuple[F64, F64],
) -> tuple[F64, F64, F64, F64, B8]:
    """Radar object list from ground-truth relative (s, d, vs, vd), each (B, M).

    ``limit`` (B,) [m] is the car range in this weather; ``draws`` are this frame's
    (B, >= 4M) normals and (B, >= M) uniforms of the radar's own stream.
    """
    ds, dd, vs, vd = rel
    b, m = ds.shape
    r = np.hypot(ds, dd)
    bearing = np.abs(np.arctan2(dd, ds))
    scale = np.where(kind == PEDESTRIAN, (RCS_SMALL / RCS_CAR) ** 0.25, 1.0)
    far = limit[:, None] * scale
    near = np.minimum(NEAR_RANGE * scale, far)
    inside = ((r <= far) & (bearing <= FAR_HALF_FOV)) | ((r <= near) & (bearing <= NEAR_HALF_FOV))
    normal, uniform = draws
    n = normal[:, : 4 * m].reshape(b, 4, m)
    valid = inside & visible & (uniform[:, :m] < DETECT_PROB)
    # noise in polar form: range along the line of sight, azimuth across it
    c, s = ds / np.maximum(r, 1e-6), dd / np.maximum(r, 1e-6)
    dr, da = SIGMA_RANGE * n[:, 0], r * SIGMA_AZIMUTH * n[:, 1]
    return (
        ds + c * dr - s * da,
        dd + s * dr + c * da,
        vs + SIGMA_VEL * n[:, 2],
        vd + SIGMA_VEL_LAT * n[:, 3],
        valid,
    )

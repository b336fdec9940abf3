"""Energy baselines normalised for production and outdoor temperature, and savings.

Daily energy is regressed on daily output and degree days (ISO 50006:2014 energy
baseline with relevant variables; IPMVP Option C), by least squares. Fit statistics
and the fractional savings uncertainty follow ASHRAE Guideline 14-2014 (docs/energy/
baseline.md). Money and metered energy stay Decimal elsewhere; regression is float.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

BALANCE_C = 18.0  # [degC] degree-day base temperature (docs/energy/baseline.md)
FSU_COEFFICIENT = 1.26  # ASHRAE Guideline 14-2014 Annex B, eq. B-14 empirical factor
# Guideline 14 calibration limits: (CV(RMSE), |NMBE|) as fractions, by data interval
LIMITS = {"monthly": (0.15, 0.05), "daily": (0.30, 0.10), "hourly": (0.30, 0.10)}
MIN_DAYS = 10  # fewer baseline days than this give no usable model


@dataclass(frozen=True)
class Day:
    energy_kwh: float
    output: float  # production units that day
    mean_temp_c: float | None  # outdoor daily mean; None: temperature not used


@dataclass(frozen=True)
class Model:
    terms: tuple[str, ...]  # "intercept", "output", "cdd", "hdd"
    coefficients: tuple[float, ...]  # [kWh], [kWh/unit], [kWh/(K day)]
    n: int
    cv_rmse: float  # fraction
    nmbe: float  # fraction
    r2: float
    autocorrelation: float  # lag-1 of residuals
    interval: str = "daily"

    @property
    def meets_guideline_14(self) -> bool:
        cv, bias = LIMITS[self.interval]
        return self.cv_rmse <= cv and abs(self.nmbe) <= bias

    def predict(self, days: Sequence[Day]) -> np.ndarray:
        out: np.ndarray = _design(days, self.terms) @ np.array(self.coefficients)
        return out


def _columns(days: Sequence[Day]) -> dict[str, np.ndarray]:
    temps = [d.mean_temp_c for d in days]
    cols = {"intercept": np.ones(len(days)), "output": np.array([d.output for d in days])}
    if all(t is not None for t in temps):
        t = np.array(temps, dtype=float)
        cols["cdd"] = np.maximum(t - BALANCE_C, 0.0)
        cols["hdd"] = np.maximum(BALANCE_C - t, 0.0)
    return cols


def _design(days: Sequence[Day], terms: Sequence[str]) -> np.ndarray:
    cols = _columns(days)
    return np.column_stack([cols[t] for t in terms])


def fit(days: Sequence[Day]) -> Model:
    """Least-squares baseline; terms whose column is constant (e.g. no cold days) drop out."""
    if len(days) < MIN_DAYS:
        raise ValueError(f"{len(days)} baseline days, need at least {MIN_DAYS}")
    cols = _columns(days)
    terms = ["intercept"] + [k for k, c in cols.items() if k != "intercept" and np.ptp(c) > 0]
    x = np.column_stack([cols[t] for t in terms])
    y = np.array([d.energy_kwh for d in days])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    n, p = len(y), len(terms)
    mean = float(y.mean())
    if n <= p or mean <= 0:
        raise ValueError(f"cannot judge a fit of {p} terms on {n} days with mean {mean:.3f} kWh")
    sse = float(residual @ residual)
    sst = float(((y - mean) ** 2).sum())
    return Model(
        terms=tuple(terms),
        coefficients=tuple(float(c) for c in coef),
        n=n,
        cv_rmse=math.sqrt(sse / (n - p)) / mean,
        nmbe=float(residual.sum()) / ((n - p) * mean),
        r2=1 - sse / sst if sst > 0 else 1.0,
        autocorrelation=_lag1(residual),
    )


def _lag1(residual: np.ndarray) -> float:
    denom = float(residual @ residual)
    if len(residual) < 3 or denom == 0:
        return 0.0
    return float(residual[1:] @ residual[:-1]) / denom


def t_quantile(probability: float, dof: int) -> float:
    """Student t quantile by the Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5);
    within 0.2 % of the exact value for dof >= 5."""
    z = NormalDist().inv_cdf(probability)
    v = float(dof)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
    )


@dataclass(frozen=True)
class Savings:
    adjusted_baseline_kwh: float  # what the baseline model predicts for the reporting days
    actual_kwh: float
    savings_kwh: float
    fraction: float  # savings / adjusted baseline
    uncertainty_kwh: float  # half-width of the band at ``confidence``
    confidence: float
    target: float
    target_met: bool  # the estimate reaches the target
    target_met_with_confidence: bool  # the whole band is above the target


def savings(
    model: Model, reporting: Sequence[Day], target: float = 0.05, confidence: float = 0.90
) -> Savings:
    """Avoided energy over the reporting days, with the Guideline 14 uncertainty band."""
    if not reporting:
        raise ValueError("no reporting days with both energy and output")
    predicted = float(model.predict(reporting).sum())
    actual = sum(d.energy_kwh for d in reporting)
    saved = predicted - actual
    fraction = saved / predicted if predicted > 0 else 0.0
    rho = model.autocorrelation
    n_eff = model.n * (1 - rho) / (1 + rho) if -1 < rho < 1 else 1.0
    p = len(model.terms)
    t = t_quantile(0.5 + confidence / 2, max(int(n_eff) - p, 1))
    m = len(reporting)
    relative = (
        t
        * FSU_COEFFICIENT
        * model.cv_rmse
        * math.sqrt((model.n / max(n_eff, 1.0)) * (1 + 2 / model.n) / m)
    )  # uncertainty of the savings relative to the adjusted baseline energy
    band = relative * predicted
    return Savings(
        adjusted_baseline_kwh=predicted,
        actual_kwh=actual,
        savings_kwh=saved,
        fraction=fraction,
        uncertainty_kwh=band,
        confidence=confidence,
        target=target,
        target_met=fraction >= target,
        target_met_with_confidence=(saved - band) / predicted >= target if predicted > 0 else False,
    )

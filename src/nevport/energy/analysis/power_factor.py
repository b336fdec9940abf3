"""Power-factor adjustment of the electricity bill by the national table.

The table (docs/energy/tariffs.md, "Power factor") has three columns, for the standards
0.90, 0.85 and 0.80. Below the standard the bill rises 0.5 % per 0.01 for 20 steps,
1 % per 0.01 for the next 5, then 2 % per 0.01; above it the bill falls 0.1 % per 0.01
up to 0.90 and 0.15 % per 0.01 above 0.90, down to a floor reached at ``REWARD_CAP``.
The power factor is rounded to two places (half up) before the table is read.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

STEP = Decimal("0.01")
# Power factor at which the reduction stops growing, per standard (the table's last row).
REWARD_CAP = {
    Decimal("0.90"): Decimal("0.95"),
    Decimal("0.85"): Decimal("0.94"),
    Decimal("0.80"): Decimal("0.92"),
}
PENALTY_STEPS = ((20, Decimal("0.5")), (5, Decimal("1")))  # (steps, [%] per step)
PENALTY_BEYOND = Decimal("2")  # [%] per 0.01 after those
REWARD_TO_090 = Decimal("0.1")  # [%] per 0.01 between the standard and 0.90
REWARD_ABOVE_090 = Decimal("0.15")  # [%] per 0.01 above 0.90


def power_factor(active_kwh: Decimal, reactive_kvarh: Decimal) -> Decimal | None:
    """Monthly weighted power factor P / sqrt(P^2 + Q^2); None when no energy flowed."""
    if active_kwh < 0 or reactive_kvarh < 0:
        raise ValueError(f"energies must be >= 0, got {active_kwh} kWh and {reactive_kvarh} kvarh")
    apparent = (active_kwh * active_kwh + reactive_kvarh * reactive_kvarh).sqrt()
    return None if apparent == 0 else active_kwh / apparent


def adjustment_percent(pf: Decimal, standard: Decimal = Decimal("0.90")) -> Decimal:
    """[%] change of the month's electricity charges: positive adds, negative refunds."""
    if standard not in REWARD_CAP:
        raise ValueError(f"power-factor standard {standard} is not one of 0.90, 0.85, 0.80")
    if not 0 <= pf <= 1:
        raise ValueError(f"power factor {pf} is outside [0, 1]")
    pf = pf.quantize(STEP, ROUND_HALF_UP)
    if pf >= standard:
        return -_reward(pf, standard)
    below = int((standard - pf) / STEP)
    total = Decimal(0)
    for steps, rate in PENALTY_STEPS:
        used = min(below, steps)
        total += used * rate
        below -= used
    return total + below * PENALTY_BEYOND


def _reward(pf: Decimal, standard: Decimal) -> Decimal:
    pf = min(pf, REWARD_CAP[standard])
    ninety = Decimal("0.90")
    to_090 = int((min(pf, ninety) - standard) / STEP)
    above = int((pf - ninety) / STEP) if pf > ninety else 0
    return to_090 * REWARD_TO_090 + above * REWARD_ABOVE_090

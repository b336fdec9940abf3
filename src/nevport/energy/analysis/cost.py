"""Time-of-use energy cost, maximum 15-minute demand and the monthly bill (pure).

Input series are 15-minute energies [kWh] labelled by their start (UTC), as
``energy.service.energy_series`` gives them; None is a missing quarter, never zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from nevport.energy.analysis.power_factor import adjustment_percent, power_factor
from nevport.energy.analysis.tariff import Period, Tariff

Quarter = tuple[datetime, Decimal | None]
FEN = Decimal("0.01")  # [yuan] bills are rounded to the fen
QUARTERS_PER_HOUR = 4  # 15-minute energy [kWh] x 4 = mean demand [kW]


@dataclass(frozen=True)
class PeriodCost:
    period: Period
    energy_kwh: Decimal
    price: Decimal  # [yuan/kWh]
    cost_yuan: Decimal  # exact, not rounded


@dataclass(frozen=True)
class TouCost:
    periods: list[PeriodCost]
    energy_kwh: Decimal
    cost_yuan: Decimal  # rounded to the fen
    missing_quarters: int


def tou_cost(quarters: Sequence[Quarter], tariff: Tariff, zone: ZoneInfo) -> TouCost:
    """Energy and cost per period; missing quarters are counted, not priced."""
    energy = dict.fromkeys(Period, Decimal(0))
    missing = 0
    for start, kwh in quarters:
        if kwh is None:
            missing += 1
            continue
        energy[tariff.period_at(start, zone)] += kwh
    prices = tariff.prices
    rows = [PeriodCost(p, energy[p], prices[p], energy[p] * prices[p]) for p in Period]
    total = sum((r.cost_yuan for r in rows), Decimal(0))
    return TouCost(
        periods=rows,
        energy_kwh=sum(energy.values(), Decimal(0)),
        cost_yuan=total.quantize(FEN, ROUND_HALF_UP),
        missing_quarters=missing,
    )


def max_demand(quarters: Sequence[Quarter]) -> tuple[Decimal, datetime | None]:
    """Highest mean demand over a 15-minute window [kW], and when it began."""
    best: tuple[Decimal, datetime | None] = (Decimal(0), None)
    for start, kwh in quarters:
        if kwh is not None and kwh * QUARTERS_PER_HOUR > best[0]:
            best = (kwh * QUARTERS_PER_HOUR, start)
    return best


@dataclass(frozen=True)
class Bill:
    energy: TouCost
    max_demand_kw: Decimal
    max_demand_at: datetime | None
    basic_basis: str  # "demand" or "capacity"
    basic_charge_yuan: Decimal
    power_factor: Decimal | None
    pf_adjustment_percent: Decimal
    pf_adjustment_yuan: Decimal
    total_yuan: Decimal


def monthly_bill(
    quarters: Sequence[Quarter],
    reactive_kvarh: Decimal | None,
    tariff: Tariff,
    zone: ZoneInfo,
    contracted_kva: Decimal | None = None,
) -> Bill:
    """One month's bill: TOU energy, basic charge by capacity (when ``contracted_kva`` is
    given) or by maximum demand, and the power-factor adjustment of both."""
    energy = tou_cost(quarters, tariff, zone)
    demand_kw, demand_at = max_demand(quarters)
    if contracted_kva is not None:
        basis, basic = "capacity", contracted_kva * tariff.capacity_charge
    else:
        basis, basic = "demand", demand_kw * tariff.demand_charge
    basic = basic.quantize(FEN, ROUND_HALF_UP)
    pf = None if reactive_kvarh is None else power_factor(energy.energy_kwh, reactive_kvarh)
    percent = (
        Decimal(0) if pf is None else adjustment_percent(pf, Decimal(tariff.power_factor_standard))
    )
    adjustment = ((energy.cost_yuan + basic) * percent / 100).quantize(FEN, ROUND_HALF_UP)
    return Bill(
        energy=energy,
        max_demand_kw=demand_kw,
        max_demand_at=demand_at,
        basic_basis=basis,
        basic_charge_yuan=basic,
        power_factor=None if pf is None else pf.quantize(Decimal("0.0001"), ROUND_HALF_UP),
        pf_adjustment_percent=percent,
        pf_adjustment_yuan=adjustment,
        total_yuan=energy.cost_yuan + basic + adjustment,
    )

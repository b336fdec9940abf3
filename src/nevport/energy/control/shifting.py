"""Load-shifting suggestions: move flexible energy out of critical-peak and peak hours
into the valley, priced by the tariff, without setting a new demand peak (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from nevport.energy.analysis.cost import FEN, QUARTERS_PER_HOUR, Quarter, max_demand
from nevport.energy.analysis.tariff import Period, Tariff

DAYS_PER_MONTH = 30  # a billing month for the monthly figure
KWH = Decimal("0.001")  # [kWh] resolution of suggested amounts


@dataclass(frozen=True)
class Suggestion:
    days: int  # local days with data
    shift_kwh_per_day: dict[Period, Decimal]  # taken from these periods, into the valley
    saving_yuan_per_day: Decimal
    saving_yuan_per_month: Decimal
    valley_headroom_kwh_per_day: Decimal  # what the valley can take under today's max demand
    limited_by_headroom: bool


def suggest(
    quarters: Sequence[Quarter], tariff: Tariff, zone: ZoneInfo, shiftable_fraction: Decimal
) -> Suggestion:
    """``shiftable_fraction`` of the equipment's critical-peak and peak energy is movable
    (an engineer's estimate of the flexible part: batch ovens, compressors, charging)."""
    if not 0 < shiftable_fraction <= 1:
        raise ValueError(f"shiftable_fraction {shiftable_fraction} is not in (0, 1]")
    energy = dict.fromkeys(Period, Decimal(0))
    valley_quarters = 0
    days = set()
    for start, kwh in quarters:
        if kwh is None:
            continue
        period = tariff.period_at(start, zone)
        energy[period] += kwh
        valley_quarters += period is Period.valley
        days.add(start.astimezone(zone).date())
    if not days:
        raise ValueError("no metered quarter hours in the span")
    n = Decimal(len(days))
    peak_kw, _ = max_demand(quarters)
    valley_hours_per_day = Decimal(valley_quarters) / QUARTERS_PER_HOUR / n
    valley_kw = (
        energy[Period.valley] / (valley_hours_per_day * n) if valley_quarters else Decimal(0)
    )
    headroom = max(peak_kw - valley_kw, Decimal(0)) * valley_hours_per_day
    wanted = {p: energy[p] * shiftable_fraction / n for p in (Period.critical_peak, Period.peak)}
    room = headroom
    shift: dict[Period, Decimal] = {}
    for period in (Period.critical_peak, Period.peak):  # dearest first
        shift[period] = min(wanted[period], room).quantize(KWH)
        room -= shift[period]
    prices = tariff.prices
    per_day = sum(
        (kwh * (prices[p] - prices[Period.valley]) for p, kwh in shift.items()), Decimal(0)
    )
    return Suggestion(
        days=len(days),
        shift_kwh_per_day=shift,
        saving_yuan_per_day=per_day.quantize(FEN, ROUND_HALF_UP),
        saving_yuan_per_month=(per_day * DAYS_PER_MONTH).quantize(FEN, ROUND_HALF_UP),
        valley_headroom_kwh_per_day=headroom.quantize(KWH),
        limited_by_headroom=sum(wanted.values(), Decimal(0)) > headroom,
    )

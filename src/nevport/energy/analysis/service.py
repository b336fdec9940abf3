"""Analysis over stored data: reads series through ``energy.service`` and production and
temperatures from its own tables, then calls the pure functions of this package."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.energy import service as energy
from nevport.energy.analysis import anomaly, baseline, cost
from nevport.energy.analysis.equivalents import equivalent
from nevport.energy.analysis.models import OutdoorTemperature, ProductionCount
from nevport.energy.analysis.schemas import (
    AnomalyOut,
    BillOut,
    CostOut,
    EnpiDay,
    EquivalentOut,
    ModelOut,
    PeriodCostOut,
    ProductionIn,
    SavingsOut,
    Stored,
    TemperatureIn,
)
from nevport.energy.analysis.tariff import Tariff
from nevport.energy.intervals import Resolution
from nevport.energy.quantities import Quantity
from nevport.energy.schemas import ChannelOut
from nevport.errors import InvalidInput

KWH_PLACES = Decimal("0.000001")  # [kWh/unit] EnPI resolution


def record_production(session: Session, enterprise_id: int, rows: Sequence[ProductionIn]) -> Stored:
    """Store counts; a second count for the same day and product replaces the first."""
    keys = [(r.day, r.product) for r in rows]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise InvalidInput(f"day {dup[0]} product {dup[1]} appears twice", field="counts")
    inserted = updated = 0
    for row in rows:
        stored = session.get(ProductionCount, (enterprise_id, row.day, row.product))
        if stored is None:
            session.add(ProductionCount(enterprise_id=enterprise_id, **row.model_dump()))
            inserted += 1
        else:
            stored.quantity, stored.unit = row.quantity, row.unit
            updated += 1
    session.flush()
    return Stored(inserted=inserted, updated=updated)


def record_temperatures(
    session: Session, enterprise_id: int, rows: Sequence[TemperatureIn]
) -> Stored:
    days = [r.day for r in rows]
    if len(set(days)) != len(days):
        raise InvalidInput("a day appears twice", field="temperatures")
    inserted = updated = 0
    for row in rows:
        stored = session.get(OutdoorTemperature, (enterprise_id, row.day))
        if stored is None:
            session.add(
                OutdoorTemperature(enterprise_id=enterprise_id, day=row.day, mean_c=row.mean_c)
            )
            inserted += 1
        else:
            stored.mean_c = row.mean_c
            updated += 1
    session.flush()
    return Stored(inserted=inserted, updated=updated)


def active_energy_channel(session: Session, enterprise_id: int, channel_id: int) -> ChannelOut:
    channel = energy.get_channel(session, enterprise_id, channel_id)
    if channel.quantity is not Quantity.active_energy_import:
        raise InvalidInput(
            f"channel {channel_id} measures {channel.quantity.value}; "
            "cost and demand need active_energy_import",
            field="channel_id",
        )
    return channel


def _quarters(
    session: Session,
    enterprise_id: int,
    channel_id: int,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> list[cost.Quarter]:
    series = energy.energy_series(
        session, enterprise_id, channel_id, start, end, Resolution.quarter, zone
    )
    return [(p.start, p.value) for p in series.points]


def _periods(tou: cost.TouCost) -> list[PeriodCostOut]:
    return [
        PeriodCostOut(
            period=r.period,
            energy_kwh=r.energy_kwh,
            price_yuan_per_kwh=r.price,
            cost_yuan=r.cost_yuan.quantize(cost.FEN),
        )
        for r in tou.periods
    ]


def tou(
    session: Session,
    enterprise_id: int,
    channel_id: int,
    start: datetime,
    end: datetime,
    tariff: Tariff,
    zone: ZoneInfo,
) -> CostOut:
    active_energy_channel(session, enterprise_id, channel_id)
    result = cost.tou_cost(
        _quarters(session, enterprise_id, channel_id, start, end, zone), tariff, zone
    )
    return CostOut(
        tariff=tariff.name,
        channel_id=channel_id,
        start=start,
        end=end,
        energy_kwh=result.energy_kwh,
        cost_yuan=result.cost_yuan,
        missing_quarters=result.missing_quarters,
        periods=_periods(result),
    )


def month_span(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``YYYY-MM`` -> its first and next month's first local midnight, in UTC."""
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError as exc:
        raise InvalidInput(f"month {month!r} is not YYYY-MM", field="month") from exc
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _midnight(first, zone), _midnight(following, zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def bill(
    session: Session,
    enterprise_id: int,
    channel_id: int,
    month: str,
    tariff: Tariff,
    zone: ZoneInfo,
    contracted_kva: Decimal | None = None,
) -> BillOut:
    """A month's bill for an incomer: TOU energy, basic charge, power-factor adjustment."""
    channel = active_energy_channel(session, enterprise_id, channel_id)
    start, end = month_span(month, zone)
    quarters = _quarters(session, enterprise_id, channel_id, start, end, zone)
    reactive = energy.find_channels(
        session, enterprise_id, Quantity.reactive_energy_import, channel.meter_code
    )
    kvarh = None
    if reactive:
        days = energy.energy_series(
            session, enterprise_id, reactive[0].id, start, end, Resolution.day, zone
        )
        known = [p.value for p in days.points if p.value is not None]
        kvarh = sum(known, Decimal(0)) if known else None
    result = cost.monthly_bill(quarters, kvarh, tariff, zone, contracted_kva)
    eq = equivalent(Quantity.active_energy_import, result.energy.energy_kwh)
    return BillOut(
        tariff=tariff.name,
        channel_id=channel_id,
        month=month,
        energy_kwh=result.energy.energy_kwh,
        energy_cost_yuan=result.energy.cost_yuan,
        periods=_periods(result.energy),
        missing_quarters=result.energy.missing_quarters,
        max_demand_kw=result.max_demand_kw,
        max_demand_at=result.max_demand_at,
        basic_basis=result.basic_basis,
        basic_charge_yuan=result.basic_charge_yuan,
        reactive_channel_id=reactive[0].id if reactive else None,
        power_factor=result.power_factor,
        pf_standard=Decimal(tariff.power_factor_standard),
        pf_adjustment_percent=result.pf_adjustment_percent,
        pf_adjustment_yuan=result.pf_adjustment_yuan,
        total_yuan=result.total_yuan,
        coal_kgce=eq.coal_kgce,
        co2_kg=eq.co2_kg,
    )


def _daily_energy(
    session: Session, enterprise_id: int, channel_id: int, first: date, last: date, zone: ZoneInfo
) -> dict[date, Decimal | None]:
    if last < first:
        raise InvalidInput(f"end {last} is before start {first}", field="end")
    series = energy.energy_series(
        session,
        enterprise_id,
        channel_id,
        _midnight(first, zone),
        _midnight(last + timedelta(days=1), zone),
        Resolution.day,
        zone,
    )
    return {p.start.astimezone(zone).date(): p.value for p in series.points}


def _output(
    session: Session, enterprise_id: int, first: date, last: date, product: str | None
) -> dict[date, int]:
    query = select(ProductionCount).where(
        ProductionCount.enterprise_id == enterprise_id,
        ProductionCount.day >= first,
        ProductionCount.day <= last,
    )
    if product is not None:
        query = query.where(ProductionCount.product == product)
    totals: dict[date, int] = {}
    for row in session.scalars(query):
        totals[row.day] = totals.get(row.day, 0) + row.quantity
    return totals


def enpi(
    session: Session,
    enterprise_id: int,
    channel_id: int,
    first: date,
    last: date,
    zone: ZoneInfo,
    product: str | None = None,
) -> list[EnpiDay]:
    """kWh per unit of output per local day; null where either side is unknown or 0 units."""
    daily = _daily_energy(session, enterprise_id, channel_id, first, last, zone)
    output = _output(session, enterprise_id, first, last, product)
    return [
        EnpiDay(
            day=day,
            energy_kwh=kwh,
            output=output.get(day),
            kwh_per_unit=(kwh / output[day]).quantize(KWH_PLACES)
            if kwh is not None and output.get(day)
            else None,
        )
        for day, kwh in daily.items()
    ]


def equivalents(
    session: Session, enterprise_id: int, channel_id: int, first: date, last: date, zone: ZoneInfo
) -> EquivalentOut:
    channel = energy.get_channel(session, enterprise_id, channel_id)
    try:
        equivalent(channel.quantity, Decimal(0))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="channel_id") from exc
    daily = _daily_energy(session, enterprise_id, channel_id, first, last, zone)
    amount = sum((v for v in daily.values() if v is not None), Decimal(0))
    eq = equivalent(channel.quantity, amount)
    return EquivalentOut(
        channel_id=channel_id,
        quantity=channel.quantity.value,
        amount=amount,
        unit=channel.unit,
        coal_kgce=eq.coal_kgce,
        co2_kg=eq.co2_kg,
        missing_days=sum(v is None for v in daily.values()),
    )


def _days(
    session: Session, enterprise_id: int, channel_id: int, first: date, last: date, zone: ZoneInfo
) -> tuple[list[baseline.Day], int]:
    """Days with both energy and output (and the temperature when all days have one)."""
    daily = _daily_energy(session, enterprise_id, channel_id, first, last, zone)
    output = _output(session, enterprise_id, first, last, None)
    temps = {
        r.day: float(r.mean_c)
        for r in session.scalars(
            select(OutdoorTemperature).where(
                OutdoorTemperature.enterprise_id == enterprise_id,
                OutdoorTemperature.day >= first,
                OutdoorTemperature.day <= last,
            )
        )
    }
    usable = [d for d, kwh in daily.items() if kwh is not None and d in output]
    with_temp = all(d in temps for d in usable)
    days = [
        baseline.Day(float(daily[d] or 0), float(output[d]), temps[d] if with_temp else None)
        for d in usable
    ]
    return days, len(daily) - len(usable)


def savings(
    session: Session,
    enterprise_id: int,
    channel_id: int,
    base: tuple[date, date],
    reporting: tuple[date, date],
    zone: ZoneInfo,
    target: float,
    confidence: float,
) -> SavingsOut:
    active_energy_channel(session, enterprise_id, channel_id)
    base_days, skipped_b = _days(session, enterprise_id, channel_id, *base, zone)
    report_days, skipped_r = _days(session, enterprise_id, channel_id, *reporting, zone)
    if (
        base_days
        and report_days
        and (base_days[0].mean_temp_c is None) != (report_days[0].mean_temp_c is None)
    ):
        # a model with temperature terms cannot predict days without temperatures
        base_days = [baseline.Day(d.energy_kwh, d.output, None) for d in base_days]
        report_days = [baseline.Day(d.energy_kwh, d.output, None) for d in report_days]
    try:
        model = baseline.fit(base_days)
        result = baseline.savings(model, report_days, target, confidence)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    return SavingsOut(
        model=ModelOut(
            terms=list(model.terms),
            coefficients=list(model.coefficients),
            n_days=model.n,
            cv_rmse=model.cv_rmse,
            nmbe=model.nmbe,
            r2=model.r2,
            meets_guideline_14=model.meets_guideline_14,
        ),
        reporting_days=len(report_days),
        skipped_days=skipped_b + skipped_r,
        adjusted_baseline_kwh=result.adjusted_baseline_kwh,
        actual_kwh=result.actual_kwh,
        savings_kwh=result.savings_kwh,
        savings_fraction=result.fraction,
        uncertainty_kwh=result.uncertainty_kwh,
        confidence=confidence,
        target=target,
        target_met=result.target_met,
        target_met_with_confidence=result.target_met_with_confidence,
    )


def anomalies(
    session: Session,
    enterprise_id: int,
    channel_id: int,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    shifts: anomaly.Shifts | None = None,
) -> list[AnomalyOut]:
    series = energy.power_series(
        session, enterprise_id, channel_id, start, end, Resolution.hour, zone
    )
    hours = [(p.start, None if p.value is None else float(p.value)) for p in series.points]
    found = (
        anomaly.off_shift_load(hours, shifts or anomaly.Shifts(), zone)
        + anomaly.step_changes(hours)
        + anomaly.night_above_day(hours, zone)
    )
    return [AnomalyOut(**a.__dict__) for a in sorted(found, key=lambda a: (a.start, a.kind))]

"""What the analysis API takes and returns."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from nevport.energy.analysis.tariff import Period

Product = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
MAX_ROWS = 5000  # rows per request: about 13 years of days for one product


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProductionIn(_In):
    day: date
    product: Product = "total"
    quantity: Annotated[int, Field(ge=0, le=10**12)]
    unit: Annotated[str, Field(min_length=1, max_length=16)] = "pcs"


class ProductionBatch(_In):
    counts: list[ProductionIn] = Field(min_length=1, max_length=MAX_ROWS)


class TemperatureIn(_In):
    day: date
    mean_c: Annotated[Decimal, Field(ge=-60, le=60, decimal_places=3)]


class TemperatureBatch(_In):
    temperatures: list[TemperatureIn] = Field(min_length=1, max_length=MAX_ROWS)


class Stored(BaseModel):
    inserted: int
    updated: int


class PeriodCostOut(BaseModel):
    period: Period
    energy_kwh: Decimal
    price_yuan_per_kwh: Decimal
    cost_yuan: Decimal


class CostOut(BaseModel):
    tariff: str
    channel_id: int
    start: datetime
    end: datetime
    energy_kwh: Decimal
    cost_yuan: Decimal
    missing_quarters: int
    periods: list[PeriodCostOut]


class BillOut(BaseModel):
    tariff: str
    channel_id: int
    month: str
    energy_kwh: Decimal
    energy_cost_yuan: Decimal
    periods: list[PeriodCostOut]
    missing_quarters: int
    max_demand_kw: Decimal
    max_demand_at: datetime | None
    basic_basis: str
    basic_charge_yuan: Decimal
    reactive_channel_id: int | None
    power_factor: Decimal | None
    pf_standard: Decimal
    pf_adjustment_percent: Decimal
    pf_adjustment_yuan: Decimal
    total_yuan: Decimal
    coal_kgce: Decimal
    co2_kg: Decimal


class EnpiDay(BaseModel):
    day: date
    energy_kwh: Decimal | None
    output: int | None
    kwh_per_unit: Decimal | None


class EquivalentOut(BaseModel):
    channel_id: int
    quantity: str
    amount: Decimal
    unit: str
    coal_kgce: Decimal
    co2_kg: Decimal
    missing_days: int


class ModelOut(BaseModel):
    terms: list[str]
    coefficients: list[float]
    n_days: int
    cv_rmse: float
    nmbe: float
    r2: float
    meets_guideline_14: bool


class SavingsOut(BaseModel):
    model: ModelOut
    reporting_days: int
    skipped_days: int  # days without energy or output in either period
    adjusted_baseline_kwh: float
    actual_kwh: float
    savings_kwh: float
    savings_fraction: float
    uncertainty_kwh: float
    confidence: float
    target: float
    target_met: bool
    target_met_with_confidence: bool


class AnomalyOut(BaseModel):
    kind: str
    start: datetime
    value_w: float
    reference_w: float
    detail: str

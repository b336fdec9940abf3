"""Time-of-use tariffs as data: periods by local time of day, prices as ratios of flat.

A tariff file (``tariffs/*.yaml``) is validated on load: every quarter hour of the day
belongs to exactly one of peak, flat and valley; critical-peak windows override it in
their months. Prices are Decimal yuan/kWh (docs/energy/tariffs.md).
"""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nevport.energy.yamlfile import parse
from nevport.errors import InvalidInput

QUARTERS_PER_DAY = 96
YUAN_PLACES = Decimal("0.000001")  # [yuan/kWh] price resolution kept after applying ratios
Price = Annotated[Decimal, Field(gt=0, le=100)]  # [yuan/kWh]
Ratio = Annotated[Decimal, Field(gt=0, le=10)]
Charge = Annotated[Decimal, Field(ge=0, le=10_000)]  # [yuan/(kW month)] or [yuan/(kVA month)]
Span = tuple[str, str]


class Period(StrEnum):
    critical_peak = "critical_peak"
    peak = "peak"
    flat = "flat"
    valley = "valley"


def _quarter(text: str) -> int:
    """ "HH:MM" -> quarter-hour index 0..96 (24:00 allowed as an end)."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"time {text!r} is not HH:MM")
    total = int(hours) * 60 + int(minutes)
    if total % 15 or total > 24 * 60:
        raise ValueError(f"time {text!r} is not a quarter hour between 00:00 and 24:00")
    return total // 15


def _slots(spans: list[Span]) -> list[int]:
    out: list[int] = []
    for start, end in spans:
        a, b = _quarter(start), _quarter(end)
        if b <= a:
            raise ValueError(f"span {start}-{end} does not end after it starts")
        out.extend(range(a, b))
    return out


class CriticalWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    months: list[Annotated[int, Field(ge=1, le=12)]] = Field(min_length=1)
    hours: list[Span] = Field(min_length=1)

    @field_validator("hours")
    @classmethod
    def _valid(cls, value: list[Span]) -> list[Span]:
        _slots(value)
        return value


class Tariff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    flat_price: Price
    peak_factor: Ratio = Decimal("1.6")
    valley_factor: Ratio = Decimal("0.4")
    critical_factor: Ratio = Decimal("1.2")
    periods: dict[Literal["peak", "flat", "valley"], list[Span]]
    critical_peak: list[CriticalWindow] = []
    demand_charge: Charge = Decimal(0)
    capacity_charge: Charge = Decimal(0)
    power_factor_standard: Literal["0.90", "0.85", "0.80"] = "0.90"

    @field_validator("periods")
    @classmethod
    def _covers_the_day_once(cls, periods: dict[str, list[Span]]) -> dict[str, list[Span]]:
        owner: dict[int, str] = {}
        for period, spans in periods.items():
            for slot in _slots(spans):
                if slot in owner:
                    raise ValueError(
                        f"{_clock(slot)} is in both {owner[slot]} and {period}; periods overlap"
                    )
                owner[slot] = period
        missing = [_clock(s) for s in range(QUARTERS_PER_DAY) if s not in owner]
        if missing:
            raise ValueError(f"periods leave {len(missing)} quarter hours out, from {missing[0]}")
        return periods

    @model_validator(mode="after")
    def _ratios(self) -> Tariff:
        if not self.valley_factor < 1 < self.peak_factor:
            raise ValueError("need valley_factor < 1 < peak_factor")
        return self

    @functools.cached_property
    def prices(self) -> dict[Period, Decimal]:
        """[yuan/kWh] per period."""
        peak = (self.flat_price * self.peak_factor).quantize(YUAN_PLACES)
        return {
            Period.flat: self.flat_price,
            Period.peak: peak,
            Period.valley: (self.flat_price * self.valley_factor).quantize(YUAN_PLACES),
            Period.critical_peak: (peak * self.critical_factor).quantize(YUAN_PLACES),
        }

    @functools.cached_property
    def _day(self) -> list[Period]:
        day = [Period.flat] * QUARTERS_PER_DAY
        for period, spans in self.periods.items():
            for slot in _slots(spans):
                day[slot] = Period(period)
        return day

    @functools.cached_property
    def _critical(self) -> dict[int, frozenset[int]]:
        by_month: dict[int, set[int]] = {}
        for window in self.critical_peak:
            for month in window.months:
                by_month.setdefault(month, set()).update(_slots(window.hours))
        return {m: frozenset(s) for m, s in by_month.items()}

    def period_at(self, start: datetime, zone: ZoneInfo) -> Period:
        """The period of the quarter hour beginning at ``start``, in local time ``zone``."""
        local = start.astimezone(zone)
        slot = (local.hour * 60 + local.minute) // 15
        if slot in self._critical.get(local.month, frozenset()):
            return Period.critical_peak
        return self._day[slot]


def _clock(slot: int) -> str:
    return f"{slot // 4:02d}:{slot % 4 * 15:02d}"


def packaged_tariffs() -> list[str]:
    folder = files("nevport.energy.analysis") / "tariffs"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def parse_tariff(text: str, source: str) -> Tariff:
    return parse(Tariff, text, source)


def load_tariff(name_or_path: str = "tianjin-general-industrial") -> Tariff:
    """A packaged tariff by name, or a tariff file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise InvalidInput(f"tariff file {path} does not exist")
        return parse_tariff(path.read_text(encoding="utf-8"), str(path))
    return _packaged(name_or_path)


@functools.cache
def _packaged(name: str) -> Tariff:
    if name not in packaged_tariffs():
        known = ", ".join(packaged_tariffs())
        raise InvalidInput(f"unknown tariff {name!r}; known: {known}", field="tariff")
    text = (files("nevport.energy.analysis") / "tariffs" / f"{name}.yaml").read_text("utf-8")
    return parse_tariff(text, f"tariffs/{name}.yaml")

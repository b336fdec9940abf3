"""What the energy API takes and returns, kept apart from the tables."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from nevport.energy.models import ConfigKind, MeterLevel
from nevport.energy.quantities import Quantity

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Ratio = Annotated[Decimal, Field(gt=0, le=100_000, decimal_places=6)]
MAX_BATCH = 10_000  # [readings] per request; bigger batches are split by the sender


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChannelCreate(InputModel):
    quantity: Quantity
    ct_ratio: Ratio = Decimal(1)
    pt_ratio: Ratio = Decimal(1)
    modulus: Annotated[Decimal, Field(gt=0, le=10**12)] | None = None


class MeterCreate(InputModel):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    level: MeterLevel
    parent_code: Code | None = None
    site_id: int | None = None
    protocol: Annotated[str, Field(pattern=r"^(modbus|dlt645|mqtt|http|virtual)$")] = "http"
    address: Annotated[str, Field(max_length=64)] = ""
    register_map: Annotated[str, Field(max_length=64)] | None = None
    formula: Annotated[str, Field(max_length=2000)] | None = None
    channels: list[ChannelCreate] = Field(min_length=1, max_length=32)
    installed_at: AwareDatetime


class FormulaChange(InputModel):
    """A virtual meter's new formula (grammar in ``nevport.energy.virtual``)."""

    formula: Annotated[str, Field(min_length=1, max_length=2000)]


class ConfigChange(InputModel):
    """A CT/PT change, a replacement or a declared reset, effective at ``effective_from``."""

    kind: ConfigKind
    effective_from: AwareDatetime
    ct_ratio: Ratio
    pt_ratio: Ratio
    old_final: Annotated[Decimal, Field(ge=0, decimal_places=6)] | None = None
    new_initial: Annotated[Decimal, Field(ge=0, decimal_places=6)] | None = None
    note: Annotated[str, Field(max_length=300)] = ""


class ChannelOut(BaseModel):
    id: int
    meter_id: int
    enterprise_id: int
    meter_code: str
    quantity: Quantity
    unit: str


class MeterOut(BaseModel):
    id: int
    code: str
    name: str
    level: MeterLevel
    parent_id: int | None
    site_id: int | None
    protocol: str
    formula: str | None = None  # virtual meters, canonical: "A - B + 0.5*C"
    channels: list[ChannelOut]


class ReadingIn(InputModel):
    # No pattern: a code is checked by looking it up among the enterprise's meters (whose
    # codes match ``Code``), which refuses the same rows for a fraction of a regex's cost.
    meter: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Quantity
    ts: datetime  # checked for a zone in the service, so the row's error names it
    value: Decimal | None  # None: the device says it could not read
    unit: Annotated[str, Field(max_length=16)] | None = None  # default: the stored unit


class IngestBatch(InputModel):
    readings: list[ReadingIn] = Field(min_length=1, max_length=MAX_BATCH)


class RowError(BaseModel):
    row: int
    field: str
    reason: str


class IngestResult(BaseModel):
    accepted: int  # new readings stored
    duplicates: int  # replays of readings already stored (changed nothing)
    channels: int  # channels whose intervals were recomputed


class Point(BaseModel):
    start: datetime
    value: Decimal | None
    flags: int


class Series(BaseModel):
    channel_id: int
    quantity: Quantity
    unit: str
    resolution: str
    points: list[Point]

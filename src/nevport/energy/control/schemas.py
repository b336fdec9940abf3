"""What the control API takes and returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from nevport.energy.control.models import CommandStatus, RegisterKind

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Word = Annotated[int, Field(ge=0, le=65535)]  # a Modbus register holds 16 bits


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PointCreate(_In):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    host: Annotated[str, Field(min_length=1, max_length=255)]
    port: Annotated[int, Field(ge=1, le=65535)] = 502
    unit_id: Annotated[int, Field(ge=1, le=247)] = 1
    kind: RegisterKind
    address: Word
    min_value: Word = 0
    max_value: Word = 1

    @model_validator(mode="after")
    def _range(self) -> PointCreate:
        if self.min_value > self.max_value:
            raise ValueError(f"min_value {self.min_value} exceeds max_value {self.max_value}")
        if self.kind is RegisterKind.coil and self.max_value > 1:
            raise ValueError(f"a coil holds 0 or 1, not up to {self.max_value}")
        return self


class InterlockCreate(_In):
    channel_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    above: bool = True
    limit: Annotated[Decimal, Field(ge=-(10**12), le=10**12, decimal_places=6)]
    max_age_s: Annotated[int, Field(ge=1, le=86400)] = 300
    only_value: Word | None = None
    description: Annotated[str, Field(max_length=300)] = ""


class LockIn(_In):
    locked: bool


class TriggerCreate(_In):
    rule_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    value: Word


class ScheduleCreate(_In):
    """A recurring write, confirmed at creation by repeating the point and the value."""

    point_code: Code
    value: Word
    at: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]  # local HH:MM
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(min_length=1, max_length=7)
    confirm_point_code: Code
    confirm_value: Word


class ScheduleOut(BaseModel):
    id: int
    point_code: str
    value: int
    at: str
    weekdays: list[int]
    enabled: bool
    last_fired: datetime | None


class InterlockOut(BaseModel):
    id: int
    channel_id: int
    above: bool
    limit: Decimal
    max_age_s: int
    only_value: int | None
    description: str


class PointOut(BaseModel):
    id: int
    code: str
    name: str
    host: str
    port: int
    unit_id: int
    kind: RegisterKind
    address: int
    min_value: int
    max_value: int
    locked: bool
    interlocks: list[InterlockOut]


class CommandCreate(_In):
    point_code: Code
    value: Word
    dry_run: bool = True  # nothing is written unless this is false and then confirmed
    execute_at: AwareDatetime | None = None
    reason: Annotated[str, Field(max_length=200)] = "manual"


class Confirm(_In):
    """Repeat what is to be written: a confirmation names the point and the value."""

    point_code: Code
    value: Word


class AuditOut(BaseModel):
    at: datetime
    user_id: int | None
    action: str
    detail: str


class CommandOut(BaseModel):
    id: int
    point_code: str
    value: int
    dry_run: bool
    status: CommandStatus
    reason: str
    execute_at: datetime | None
    requested_by_id: int | None
    confirmed_by_id: int | None
    created_at: datetime
    executed_at: datetime | None
    previous_value: int | None
    read_back: int | None
    result: str
    audit: list[AuditOut]


class SuggestionOut(BaseModel):
    channel_id: int
    tariff: str
    days: int
    shiftable_fraction: Decimal
    shift_kwh_per_day: dict[str, Decimal]
    saving_yuan_per_day: Decimal
    saving_yuan_per_month: Decimal
    valley_headroom_kwh_per_day: Decimal
    limited_by_headroom: bool

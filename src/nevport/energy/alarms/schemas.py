"""What the alarm API takes and returns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from nevport.energy.alarms.models import AlarmState, RuleKind, Severity

AnomalyKind = Literal["off_shift_load", "step_change", "night_above_day"]


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    channel_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    kind: RuleKind
    severity: Severity = Severity.warning
    above: bool = True
    limit: Annotated[Decimal, Field(ge=-(10**12), le=10**12, decimal_places=6)] | None = None
    deadband: Annotated[Decimal, Field(ge=0, le=10**12, decimal_places=6)] = Decimal(0)
    offline_after_s: Annotated[int, Field(ge=5, le=30 * 86400)] | None = None
    anomaly_kind: AnomalyKind | None = None


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class RuleOut(BaseModel):
    id: int
    name: str
    channel_id: int
    kind: RuleKind
    severity: Severity
    above: bool
    limit: Decimal | None
    deadband: Decimal
    offline_after_s: int | None
    anomaly_kind: str | None
    enabled: bool


class Acknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Annotated[str, Field(max_length=500)] = ""


class TransitionOut(BaseModel):
    at: datetime
    from_state: AlarmState | None
    to_state: AlarmState
    user_id: int | None
    note: str


class AlarmOut(BaseModel):
    id: int
    rule_id: int
    rule_name: str
    kind: RuleKind
    severity: Severity
    channel_id: int
    state: AlarmState
    raised_at: datetime
    value: Decimal | None
    message: str
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    cleared_at: datetime | None
    history: list[TransitionOut]

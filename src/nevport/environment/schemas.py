"""What the environment API takes and returns (kept apart from the tables)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nevport.environment.events import Grade
from nevport.environment.models import AlertLevel, Decision, EventStatus, ResourceRole
from nevport.environment.topology import FacilityKind


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FacilityCreate(_In):
    code: str = Field(pattern=r"^[A-Za-z0-9]{1,12}$")
    name: str = Field(min_length=1, max_length=200)
    kind: FacilityKind
    channel_id: int | None = None
    upstream_channel_id: int | None = None
    rated_w: float = Field(gt=0)
    standby_w: float = Field(ge=0)
    running_w: float = Field(gt=0)
    hysteresis_w: float = Field(default=0.0, ge=0)
    min_state_s: int = Field(default=120, ge=0)


class FacilityOut(_Out):
    id: int
    enterprise_id: int
    code: str
    name: str
    kind: FacilityKind
    channel_id: int | None
    upstream_channel_id: int | None
    rated_w: float
    standby_w: float
    running_w: float
    hysteresis_w: float
    min_state_s: int


class LinkCreate(_In):
    production: str
    treatment: str
    expected_ratio: float | None = Field(default=None, gt=0)


class SuggestionOut(_Out):
    id: int
    facility_id: int
    standby_w: float
    running_w: float
    rated_w: float
    samples: int
    status: Decision


class SuggestionLearn(_In):
    power_w: list[float | None] = Field(min_length=1, max_length=100_000)


class PreReportCreate(_In):
    start_at: datetime
    end_at: datetime
    facility_codes: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=1, max_length=2000)
    evidence: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _ordered(self) -> PreReportCreate:
        if self.start_at.tzinfo is None or self.end_at.tzinfo is None:
            raise ValueError("start_at and end_at need a time zone")
        if self.end_at <= self.start_at:
            raise ValueError(f"end_at {self.end_at} is not after start_at {self.start_at}")
        return self


class PreReportOut(_Out):
    id: int
    enterprise_id: int
    start_at: datetime
    end_at: datetime
    facility_codes: list[str]
    reason: str
    evidence: str
    status: Decision
    decision_note: str


class DecisionIn(_In):
    approve: bool
    note: str = Field(default="", max_length=2000)


class ResponseIn(_In):
    response: str = Field(min_length=1, max_length=4000)
    evidence: str = Field(default="", max_length=4000)


class ActionOut(_Out):
    at: datetime
    actor_id: int | None
    action: str
    note: str


class EventOut(_Out):
    id: int
    enterprise_id: int
    key: str
    rule: str
    facilities: list[str]
    start_at: datetime
    end_at: datetime | None
    grade: Grade
    message: str
    details: dict[str, Any]
    status: EventStatus
    pre_report_id: int | None
    respond_by: datetime | None
    overdue: bool = False
    response: str
    response_evidence: str
    closed_at: datetime | None
    history: list[ActionOut] = Field(default_factory=list)


class _Window(_In):
    start_at: datetime
    end_at: datetime

    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        if self.start_at.tzinfo is None or self.end_at.tzinfo is None:
            raise ValueError("start_at and end_at need a time zone")
        if self.end_at <= self.start_at:
            raise ValueError(f"end_at {self.end_at} is not after start_at {self.start_at}")
        return self


class AlertCreate(_Window):
    level: AlertLevel
    reason: str = Field(default="", max_length=2000)


class AlertOut(_Out):
    id: int
    level: AlertLevel
    start_at: datetime
    end_at: datetime
    reason: str


class MeasureIn(_In):
    facility_codes: list[str] = Field(default_factory=list, max_length=200)  # empty: all
    measure: str = Field(default="", max_length=2000)


class MeasureOut(_Out):
    enterprise_id: int
    level: AlertLevel
    facility_codes: list[str]
    measure: str


class StaggeredCreate(_Window):
    facility_codes: list[str] = Field(default_factory=list, max_length=200)  # empty: all
    reason: str = Field(default="", max_length=2000)


class StaggeredOut(_Out):
    id: int
    enterprise_id: int
    start_at: datetime
    end_at: datetime
    facility_codes: list[str]
    reason: str


class ResourceChannelsIn(_In):
    channels: dict[ResourceRole, list[int]] = Field(max_length=len(ResourceRole))


class ResourcesOut(BaseModel):
    start: datetime
    end: datetime
    fresh_water_m3: Decimal | None
    reclaimed_water_m3: Decimal | None
    pv_generated_kwh: Decimal | None
    grid_export_kwh: Decimal | None
    grid_import_kwh: Decimal | None
    reuse_ratio: float | None  # reclaimed / all water used
    pv_self_consumption: float | None  # (generated - exported) / generated
    pv_share: float | None  # PV used on site / all electricity used
    missing_days: int  # channel-days without data, left out of the totals

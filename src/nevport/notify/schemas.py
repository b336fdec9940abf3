"""What the webhook API takes and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from nevport.errors import InvalidInput
from nevport.notify.models import DeliveryStatus
from nevport.notify.topics import check_pattern

Secret = Annotated[str, Field(min_length=16, max_length=128)]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: AnyHttpUrl
    topics: list[str] = Field(min_length=1, max_length=50)
    secret: Secret | None = None  # generated when absent, and shown once
    description: Annotated[str, Field(max_length=300)] = ""

    @field_validator("url")
    @classmethod
    def _length(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(value)) > 2000:
            raise ValueError(f"url has {len(str(value))} characters, at most 2000")
        return value

    @field_validator("topics")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                check_pattern(pattern)
            except InvalidInput as exc:  # as a ValueError pydantic names the field
                raise ValueError(exc.message) from exc
        return sorted(set(value))


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool


class SubscriptionOut(BaseModel):
    id: int
    enterprise_id: int | None
    url: str
    topics: list[str]
    description: str
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str  # only in the answer to the creation


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int
    event_uid: str
    topic: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    history: list[AttemptOut]

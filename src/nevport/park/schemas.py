"""What the park API and the demo data files take and return, kept apart from the tables.

Inputs forbid unknown keys, so a typo is an error rather than a silently ignored field.
``Update`` models carry only what the caller sent (``model_fields_set``); an explicit
``null`` is refused for columns that cannot be empty.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Self, TypeVar
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from nevport.errors import InvalidInput
from nevport.park.models import GreenLevel, ProjectStatus, Sector
from nevport.park.uscc import validate_credit_code

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Inputs are strict: "5" for a count, 1 for a flag or true for a number is a wrong type,
# not something to coerce. (Query strings stay lax: they only ever carry text.)
Name = Annotated[str, Strict(), Field(min_length=1, max_length=200)]
Flag = Annotated[bool, Strict()]
Count = Annotated[int, Strict(), Field(ge=0, le=10_000_000)]
Yuan = Annotated[int, Strict(), Field(ge=0, le=10**15)]  # [yuan] above 10^15 is a typo
Latitude = Annotated[float, Strict(), Field(ge=-90, le=90)]  # [deg] WGS-84
Longitude = Annotated[float, Strict(), Field(ge=-180, le=180)]  # [deg] WGS-84
MakerRef = Annotated[int, Strict()] | Annotated[str, Strict()]  # maker id, name_zh or name_en


class InputModel(BaseModel):
    """Base of every input: unknown keys are errors, surrounding blanks are dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _credit_code(value: object) -> str:
    try:
        return validate_credit_code(value)
    except InvalidInput as exc:  # pydantic reports ValueError with the field's location
        raise ValueError(exc.message) from None


def _no_null(model: BaseModel, nullable: frozenset[str]) -> None:
    for name in model.model_fields_set - nullable:
        if getattr(model, name) is None:
            raise ValueError(f"{name} may be left out but not set to null")


class SiteIn(InputModel):
    name: Name
    address: Annotated[str, Strict()] = Field(default="", max_length=300)
    latitude: Latitude
    longitude: Longitude
    timezone: Annotated[str, Strict()] = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown IANA time zone {value!r}")
        return value


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    name: str
    address: str
    latitude: float
    longitude: float
    timezone: str


class _EnterpriseChecks(InputModel):
    @field_validator("sites", check_fields=False)
    @classmethod
    def _unique_site_names(cls, sites: list[SiteIn] | None) -> list[SiteIn] | None:
        names = [site.name for site in sites or []]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"site names must be unique within an enterprise; repeated: {dupes}")
        return sites


class EnterpriseCreate(_EnterpriseChecks):
    name_zh: Name
    name_en: Name
    credit_code: str
    sector: Sector
    above_designated_size: Flag = False
    green_level: GreenLevel = GreenLevel.none
    patents: Count = 0
    employees: Count = 0
    output_value_yuan: Yuan | None = None
    key_power_user: Flag = False
    synthetic: Flag = False
    description: Annotated[str, Strict()] = Field(default="", max_length=4000)
    sites: list[SiteIn] = Field(default_factory=list, max_length=50)
    customers: list[MakerRef] = Field(default_factory=list, max_length=50)

    @field_validator("credit_code", mode="before")
    @classmethod
    def _check_code(cls, value: object) -> str:
        return _credit_code(value)


class EnterpriseUpdate(_EnterpriseChecks):
    """A partial change; ``sites`` and ``customers``, when given, replace the old lists."""

    name_zh: Name | None = None
    name_en: Name | None = None
    credit_code: str | None = None
    sector: Sector | None = None
    above_designated_size: Flag | None = None
    green_level: GreenLevel | None = None
    patents: Count | None = None
    employees: Count | None = None
    output_value_yuan: Yuan | None = None
    key_power_user: Flag | None = None
    synthetic: Flag | None = None
    description: Annotated[str, Strict()] | None = Field(default=None, max_length=4000)
    sites: list[SiteIn] | None = Field(default=None, max_length=50)
    customers: list[MakerRef] | None = Field(default=None, max_length=50)

    @field_validator("credit_code", mode="before")
    @classmethod
    def _check_code(cls, value: object) -> object:
        return None if value is None else _credit_code(value)

    @model_validator(mode="after")
    def _explicit_nulls(self) -> Self:
        _no_null(self, frozenset({"output_value_yuan"}))
        return self


class MakerBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name_zh: str
    name_en: str


class _Audit(BaseModel):
    created_at: datetime
    updated_at: datetime
    created_by_id: int | None
    updated_by_id: int | None


class EnterpriseSummary(_Audit):
    """A registry row as lists show it: the record without its sites, customers and text."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name_zh: str
    name_en: str
    credit_code: str
    sector: Sector
    above_designated_size: bool
    green_level: GreenLevel
    patents: int
    employees: int
    output_value_yuan: int | None
    key_power_user: bool
    synthetic: bool


class EnterpriseOut(EnterpriseSummary):
    """The whole record."""

    description: str
    sites: list[SiteOut]
    customers: list[MakerBrief]


class OemPlantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    maker_id: int
    name_zh: str
    name_en: str
    city: str
    province: str
    latitude: float
    longitude: float


class VehicleMakerOut(MakerBrief):
    plants: list[OemPlantOut]


class ProjectCreate(InputModel):
    name_zh: Name
    name_en: Name
    enterprise_id: Annotated[int, Strict()] | None = None
    investment_yuan: Annotated[int, Strict(), Field(gt=0, le=10**13)]
    expected_output_yuan: Annotated[int, Strict(), Field(ge=0, le=10**13)]
    status: ProjectStatus = ProjectStatus.signed
    signed_on: date | None = None
    production_start: date | None = None
    synthetic: Flag = False

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.signed_on and self.production_start and self.production_start < self.signed_on:
            raise ValueError(
                f"production_start {self.production_start} is before signed_on {self.signed_on}"
            )
        return self


class ProjectOut(_Audit):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name_zh: str
    name_en: str
    enterprise_id: int | None
    investment_yuan: int
    expected_output_yuan: int
    status: ProjectStatus
    signed_on: date | None
    production_start: date | None
    synthetic: bool


class _ListQuery(InputModel):
    q: str | None = Field(default=None, max_length=200, description="substring of names or code")
    synthetic: bool | None = None
    sort: str | None = Field(default=None, max_length=200, description="e.g. name_en,-patents")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class EnterpriseQuery(_ListQuery):
    sector: Sector | None = None
    green_level: GreenLevel | None = None
    above_designated_size: bool | None = None


class ProjectQuery(_ListQuery):
    status: ProjectStatus | None = None
    enterprise_id: int | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ProjectTotals(BaseModel):
    count: int
    investment_yuan: int
    expected_output_yuan: int


class ParkOverview(BaseModel):
    """Park-wide aggregates; nothing here belongs to a single enterprise."""

    enterprises: int
    enterprises_by_sector: dict[Sector, int]
    above_designated_size: int
    output_value_yuan: int  # [yuan] sum over enterprises that reported one
    enterprises_with_output_value: int
    green_factories: dict[GreenLevel, int]  # national and municipal only
    key_power_users: int
    patents: int
    employees: int
    projects: ProjectTotals  # every project except cancelled ones
    projects_by_status: dict[ProjectStatus, ProjectTotals]
    vehicle_makers: int
    oem_plants: int
    oem_plants_by_province: dict[str, int]


def parse(model: type[M], data: Any, *, where: str = "") -> M:
    """``data`` validated as ``model``; the first problem becomes InvalidInput naming its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        prefix = f"{where}: " if where else ""
        raise InvalidInput(f"{prefix}{first['msg']}", field=field) from None

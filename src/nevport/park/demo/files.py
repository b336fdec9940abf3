"""The demo park's data files: their schemas, and loading with errors that name
file, line and field (``makers.yaml:12: makers.1.plants.0.latitude: ...``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, Self, TypeVar

import yaml
from pydantic import BaseModel, Field, Strict, ValidationError, field_validator, model_validator

from nevport.errors import InvalidInput
from nevport.park.models import ProjectStatus, Sector
from nevport.park.schemas import (
    EnterpriseCreate,
    InputModel,
    Latitude,
    Longitude,
    Name,
    ProjectCreate,
)

M = TypeVar("M", bound=BaseModel)
Positive = Annotated[int, Strict(), Field(gt=0)]
Yuan = Annotated[int, Strict(), Field(ge=0)]  # [yuan]
Pair = tuple[Name, Name]  # (Chinese, English)


class DemoDataError(InvalidInput):
    """A demo data file is wrong; says which file, line and field."""

    def __init__(self, file: Path, line: int, field: str, message: str):
        super().__init__(message, field=field)
        self.file = file
        self.line = line

    def __str__(self) -> str:
        return f"{self.file.name}:{self.line}: {self.field}: {self.message}"


# --- makers.yaml ---------------------------------------------------------------------


class PlantIn(InputModel):
    name_zh: Name
    name_en: Name
    city: Annotated[str, Strict(), Field(min_length=1, max_length=100)]
    province: Annotated[str, Strict(), Field(pattern="^(Beijing|Tianjin|Hebei)$")]
    latitude: Latitude
    longitude: Longitude


class MakerIn(InputModel):
    name_zh: Name
    name_en: Name
    plants: list[PlantIn] = Field(min_length=1)


class MakersFile(InputModel):
    makers: list[MakerIn] = Field(min_length=1)


# --- enterprises.yaml ----------------------------------------------------------------


class NamedEnterprise(EnterpriseCreate):
    invented: list[str] = Field(default_factory=list, description="fields not from the source")

    @field_validator("invented")
    @classmethod
    def _known_fields(cls, names: list[str]) -> list[str]:
        unknown = sorted(set(names) - set(EnterpriseCreate.model_fields))
        if unknown:
            raise ValueError(f"not enterprise fields: {unknown}")
        return names

    def record(self) -> EnterpriseCreate:
        return EnterpriseCreate.model_validate(self.model_dump(exclude={"invented"}))


class EnterprisesFile(InputModel):
    enterprises: list[NamedEnterprise]


# --- projects.yaml -------------------------------------------------------------------


class NamedProject(ProjectCreate):
    enterprise: Name | None = Field(default=None, description="name_zh of the enterprise")
    invented: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_ids(self) -> Self:
        if self.enterprise_id is not None:
            raise ValueError("files name the enterprise (enterprise: NAME_ZH), not its id")
        return self


class ProjectTotalsIn(InputModel):
    count: Positive
    investment_yuan: Yuan
    expected_output_yuan: Yuan


class ProjectsFile(InputModel):
    totals: ProjectTotalsIn
    projects: list[NamedProject]


# --- synthetic.yaml ------------------------------------------------------------------


class SiteSpread(InputModel):
    latitude: Latitude
    longitude: Longitude
    spread_deg: Annotated[float, Strict(), Field(gt=0, le=1)]  # [deg]


class EnterpriseSpec(InputModel):
    total: Positive
    by_sector: dict[Sector, Annotated[int, Strict(), Field(ge=0)]]
    above_designated_size: Annotated[int, Strict(), Field(ge=0)]
    green_factories: dict[str, Annotated[int, Strict(), Field(ge=0)]]
    key_power_users: Annotated[int, Strict(), Field(ge=0)]
    output_value_total_yuan: Yuan
    above_size_min_output_yuan: Yuan
    site: SiteSpread
    brands: list[Pair] = Field(min_length=1)
    products: dict[Sector, list[Pair]]

    @field_validator("green_factories")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        if set(value) - {"national", "municipal"}:
            raise ValueError("green_factories takes only national and municipal")
        return value


class ProjectSpec(InputModel):
    statuses: dict[ProjectStatus, Annotated[int, Strict(), Field(ge=0)]]
    unit_yuan: Positive
    min_investment_yuan: Yuan


class SyntheticFile(InputModel):
    seed: Annotated[int, Strict()]
    enterprises: EnterpriseSpec
    projects: ProjectSpec


# --- loading -------------------------------------------------------------------------


def _line_of(root: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """Line (1-based) of the deepest node along ``loc`` that exists in the file."""
    node = root
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A validated file that can still point at its own lines."""

    model: M
    path: Path
    root: yaml.Node

    def fail(self, loc: tuple[int | str, ...], message: str) -> DemoDataError:
        field = ".".join(str(part) for part in loc)
        return DemoDataError(self.path, _line_of(self.root, loc), field, message)


def read(path: Path, model: type[M]) -> Loaded[M]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DemoDataError(path, 0, "<file>", f"cannot read: {exc.strerror}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise DemoDataError(path, line, "<syntax>", str(exc.problem)) from None
    if root is None:
        raise DemoDataError(path, 1, "<root>", "file is empty")
    try:
        return Loaded(model.model_validate(data), path, root)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise DemoDataError(
            path, _line_of(root, loc), ".".join(map(str, loc)), first["msg"]
        ) from None

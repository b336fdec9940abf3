"""Which facilities an enterprise has and how production is linked to treatment."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from nevport.environment.states import ThresholdArrays, Thresholds
from nevport.errors import InvalidInput


class FacilityKind(StrEnum):
    production = "production"  # spray booth, welding line, drying oven, moulding machine
    treatment = "treatment"  # VOC treatment, fume extraction, dust collection, wastewater


@dataclass(frozen=True)
class Facility:
    code: str  # unique within the topology; also the HJ 212 facility code
    kind: FacilityKind
    thresholds: Thresholds
    has_upstream: bool = False  # an upstream meter also sees this facility's load


@dataclass(frozen=True)
class Link:
    production: str
    treatment: str
    expected_ratio: float | None = None  # treatment / production power when both run


@dataclass(frozen=True)
class Topology:
    """Facilities (index order = column order of every power array) and their links."""

    facilities: tuple[Facility, ...]
    links: tuple[Link, ...]

    def __post_init__(self) -> None:
        codes = [f.code for f in self.facilities]
        if len(set(codes)) != len(codes):
            raise InvalidInput(f"facility codes repeat: {codes}", field="facilities")
        kinds = {f.code: f.kind for f in self.facilities}
        for link in self.links:
            if kinds.get(link.production) is not FacilityKind.production:
                raise InvalidInput(
                    f"link production {link.production!r} is not a production facility",
                    field="links",
                )
            if kinds.get(link.treatment) is not FacilityKind.treatment:
                raise InvalidInput(
                    f"link treatment {link.treatment!r} is not a treatment facility",
                    field="links",
                )

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.facilities)

    def index(self, code: str) -> int:
        return self.codes.index(code)

    def thresholds(self) -> ThresholdArrays:
        return ThresholdArrays.of([f.thresholds for f in self.facilities])

    def link_indices(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(production index, treatment index) of every link, each of shape (m,)."""
        where = {code: i for i, code in enumerate(self.codes)}
        prod = np.array([where[link.production] for link in self.links], dtype=np.intp)
        treat = np.array([where[link.treatment] for link in self.links], dtype=np.intp)
        return prod, treat

    def kind_mask(self, kind: FacilityKind) -> npt.NDArray[np.bool_]:
        return np.array([f.kind is kind for f in self.facilities], dtype=bool)

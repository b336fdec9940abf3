"""The park overview as numbers and chart specs, in the reader's language.

Pure functions of ``ParkOverview`` and a ``Translator``: no request, no database, so a
test can check a figure without rendering HTML. ``static/app.js`` draws the specs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from nevport.park.models import GreenLevel, ProjectStatus, Sector
from nevport.park.schemas import ParkOverview
from nevport.web.i18n import Translator, catalog


@dataclass(frozen=True, slots=True)
class Kpi:
    label: str
    value: str
    sub: str
    tone: str = "blue"


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: list[float]


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """One chart for app.js: ``kind`` is pie, bar or hbar; ``labels`` and series align."""

    id: str
    kind: str
    title: str
    labels: list[str]
    series: list[Series]
    unit: str = ""
    note: str = ""
    wide: bool = False

    @property
    def empty(self) -> bool:
        """Nothing to draw: no category or every value zero."""
        return not any(value for series in self.series for value in series.values)

    def as_json(self) -> dict[str, object]:
        return asdict(self) | {"empty": self.empty}


def kpis(data: ParkOverview, t: Translator) -> list[Kpi]:
    green = {
        level: data.green_factories.get(level, 0)
        for level in (GreenLevel.national, GreenLevel.municipal)
    }
    return [
        Kpi(
            t("overview.kpi.enterprises"),
            t.number(data.enterprises),
            t("overview.kpi.above_size", count=t.number(data.above_designated_size)),
        ),
        Kpi(
            t("overview.kpi.output_value"),
            t.money(data.output_value_yuan),
            t("overview.kpi.reporting", count=t.number(data.enterprises_with_output_value)),
            "teal",
        ),
        Kpi(
            t("overview.kpi.projects"),
            t.number(data.projects.count),
            t("overview.kpi.investment", amount=t.money(data.projects.investment_yuan)),
            "violet",
        ),
        Kpi(
            t("overview.kpi.expected_output"),
            t.money(data.projects.expected_output_yuan),
            t("overview.kpi.expected_output_sub"),
            "violet",
        ),
        Kpi(
            t("overview.kpi.green_factories"),
            t.number(sum(green.values())),
            t(
                "overview.kpi.green_split",
                national=t.number(green[GreenLevel.national]),
                municipal=t.number(green[GreenLevel.municipal]),
            ),
            "green",
        ),
        Kpi(
            t("overview.kpi.oem_plants"),
            t.number(data.oem_plants),
            t("overview.kpi.makers", count=t.number(data.vehicle_makers)),
            "amber",
        ),
    ]


def charts(data: ParkOverview, t: Translator) -> list[ChartSpec]:
    return [_by_sector(data, t), _projects(data, t), _green(data, t), _plants(data, t)]


def _by_sector(data: ParkOverview, t: Translator) -> ChartSpec:
    sectors = [s for s in Sector if data.enterprises_by_sector.get(s, 0) > 0]
    return ChartSpec(
        "sectors",
        "pie",
        t("overview.chart.sectors"),
        [t(f"sector.{s.value}") for s in sectors],
        [
            Series(
                t("overview.series.enterprises"), [data.enterprises_by_sector[s] for s in sectors]
            )
        ],
        unit=t("unit.enterprises"),
    )


def _projects(data: ParkOverview, t: Translator) -> ChartSpec:
    statuses = [
        s
        for s in ProjectStatus
        if s in data.projects_by_status and s is not ProjectStatus.cancelled
    ]
    totals = [data.projects_by_status[s] for s in statuses]
    return ChartSpec(
        "projects",
        "bar",
        t("overview.chart.projects"),
        [
            t("overview.status_count", status=t(f"project.{s.value}"), count=p.count)
            for s, p in zip(statuses, totals, strict=True)
        ],
        [
            Series(
                t("overview.series.investment"), [t.money_big(p.investment_yuan) for p in totals]
            ),
            Series(
                t("overview.series.expected_output"),
                [t.money_big(p.expected_output_yuan) for p in totals],
            ),
        ],
        unit=t("money.axis_big"),
    )


def _green(data: ParkOverview, t: Translator) -> ChartSpec:
    levels = (GreenLevel.national, GreenLevel.municipal)
    return ChartSpec(
        "green",
        "bar",
        t("overview.chart.green"),
        [t(f"green.{level.value}") for level in levels],
        [
            Series(
                t("overview.series.factories"),
                [data.green_factories.get(level, 0) for level in levels],
            )
        ],
        unit=t("unit.factories"),
    )


def _plants(data: ParkOverview, t: Translator) -> ChartSpec:
    provinces = sorted(data.oem_plants_by_province, key=lambda p: -data.oem_plants_by_province[p])
    return ChartSpec(
        "plants",
        "hbar",
        t("overview.chart.plants"),
        [province_name(p, t) for p in provinces],
        [Series(t("overview.series.plants"), [data.oem_plants_by_province[p] for p in provinces])],
        unit=t("unit.plants"),
        note=t("overview.chart.plants_note"),
    )


def province_name(province: str, t: Translator) -> str:
    """The translated name of a province stored in English; unknown ones as stored."""
    key = f"province.{province.strip().lower()}"
    return t(key) if key in catalog(t.language) else province

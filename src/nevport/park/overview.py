"""Park-wide figures for the overview page and the API: aggregates only.

No figure here identifies a single enterprise, so every signed-in role may see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nevport.park.models import (
    Enterprise,
    GreenLevel,
    OemPlant,
    Project,
    ProjectStatus,
    Sector,
    VehicleMaker,
)
from nevport.park.schemas import ParkOverview, ProjectTotals


def _grouped(session: Session, column: Any) -> dict[Any, int]:
    rows = session.execute(select(column, func.count()).group_by(column))
    return {key: int(n) for key, n in rows}


def _project_totals(session: Session) -> dict[ProjectStatus, ProjectTotals]:
    rows = session.execute(
        select(
            Project.status,
            func.count(),
            func.coalesce(func.sum(Project.investment_yuan), 0),
            func.coalesce(func.sum(Project.expected_output_yuan), 0),
        ).group_by(Project.status)
    )
    found = {
        status: ProjectTotals(count=n, investment_yuan=int(inv), expected_output_yuan=int(out))
        for status, n, inv, out in rows
    }
    empty = ProjectTotals(count=0, investment_yuan=0, expected_output_yuan=0)
    return {status: found.get(status, empty) for status in ProjectStatus}


def _ints(row: Sequence[Any]) -> list[int]:
    return [int(value or 0) for value in row]


def park_overview(session: Session) -> ParkOverview:
    """Counts and sums over the whole registry (integers, so totals stay exact)."""
    sums = _ints(
        session.execute(
            select(
                func.count(Enterprise.id),
                func.coalesce(func.sum(Enterprise.output_value_yuan), 0),
                func.count(Enterprise.output_value_yuan),
                func.coalesce(func.sum(Enterprise.patents), 0),
                func.coalesce(func.sum(Enterprise.employees), 0),
            )
        ).one()
    )
    flagged = _ints(
        session.execute(
            select(
                func.count().filter(Enterprise.above_designated_size.is_(True)),
                func.count().filter(Enterprise.key_power_user.is_(True)),
            )
        ).one()
    )
    by_sector = _grouped(session, Enterprise.sector)
    by_green = _grouped(session, Enterprise.green_level)
    by_status = _project_totals(session)
    live = [totals for status, totals in by_status.items() if status is not ProjectStatus.cancelled]
    return ParkOverview(
        enterprises=sums[0],
        enterprises_by_sector={sector: by_sector.get(sector, 0) for sector in Sector},
        above_designated_size=flagged[0],
        output_value_yuan=sums[1],
        enterprises_with_output_value=sums[2],
        green_factories={
            level: by_green.get(level, 0) for level in GreenLevel if level is not GreenLevel.none
        },
        key_power_users=flagged[1],
        patents=sums[3],
        employees=sums[4],
        projects=ProjectTotals(
            count=sum(t.count for t in live),
            investment_yuan=sum(t.investment_yuan for t in live),
            expected_output_yuan=sum(t.expected_output_yuan for t in live),
        ),
        projects_by_status=by_status,
        vehicle_makers=session.scalar(select(func.count(VehicleMaker.id))) or 0,
        oem_plants=session.scalar(select(func.count(OemPlant.id))) or 0,
        oem_plants_by_province=dict(sorted(_grouped(session, OemPlant.province).items())),
    )

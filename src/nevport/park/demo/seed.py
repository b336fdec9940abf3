"""Loading the demo park into a database, idempotently.

Each record is looked up by its natural key (makers and plants by name_en, enterprises
by credit code, projects by name_zh) and inserted only when absent, so a second run
inserts nothing and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.park.demo.generate import DemoPark, load_demo
from nevport.park.models import Enterprise, OemPlant, Project, VehicleMaker
from nevport.park.service import build_enterprise, build_project

Progress = Callable[[str, int], None]  # (what, how many records were handled just now)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, *, created: bool) -> None:
        bucket = self.created if created else self.kept
        bucket[kind] = bucket.get(kind, 0) + 1


def _noop(_what: str, _n: int) -> None:
    return None


def seed_demo(
    session: Session, park: DemoPark | None = None, progress: Progress = _noop
) -> SeedReport:
    """Insert the demo park (default: the packaged files) where its records are missing."""
    park = park or load_demo()
    report = SeedReport()
    _seed_makers(session, park, report, progress)
    _seed_enterprises(session, park, report, progress)
    _seed_projects(session, park, report, progress)
    session.flush()
    return report


def total_records(park: DemoPark) -> int:
    """How many progress steps ``seed_demo`` reports for ``park``."""
    return len(park.makers) + len(park.enterprises) + len(park.projects)


def _seed_makers(session: Session, park: DemoPark, report: SeedReport, progress: Progress) -> None:
    for data in park.makers:
        maker = session.scalar(select(VehicleMaker).where(VehicleMaker.name_en == data.name_en))
        report.count("vehicle_makers", created=maker is None)
        if maker is None:
            maker = VehicleMaker(name_zh=data.name_zh, name_en=data.name_en)
            session.add(maker)
            session.flush()
        for plant in data.plants:
            exists = session.scalar(select(OemPlant.id).where(OemPlant.name_en == plant.name_en))
            report.count("oem_plants", created=exists is None)
            if exists is None:
                session.add(OemPlant(maker_id=maker.id, **plant.model_dump()))
        progress("vehicle makers", 1)
    session.flush()


def _seed_enterprises(
    session: Session, park: DemoPark, report: SeedReport, progress: Progress
) -> None:
    for data in park.enterprises:
        exists = session.scalar(
            select(Enterprise.id).where(Enterprise.credit_code == data.credit_code)
        )
        report.count("enterprises", created=exists is None)
        if exists is None:
            build_enterprise(session, data, user_id=None)
        progress("enterprises", 1)


def _seed_projects(
    session: Session, park: DemoPark, report: SeedReport, progress: Progress
) -> None:
    for item in park.projects:
        exists = session.scalar(select(Project.id).where(Project.name_zh == item.record.name_zh))
        report.count("projects", created=exists is None)
        if exists is None:
            owner = None
            if item.enterprise_name_zh is not None:
                owner = session.scalar(
                    select(Enterprise.id).where(Enterprise.name_zh == item.enterprise_name_zh)
                )
            record = item.record.model_copy(update={"enterprise_id": owner})
            build_project(session, record, user_id=None)
        progress("projects", 1)

"""Facilities, links, learned thresholds and pre-reports, callable without HTTP.

Events and their lifecycle live in ``lifecycle``; power comes through ``source``.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nevport.auth.service import Principal
from nevport.auth.tenancy import scoped
from nevport.db.base import utcnow
from nevport.environment import learn
from nevport.environment.access import (
    require_configurer,
    require_member,
    require_reader,
    require_regulator,
)
from nevport.environment.events import ExemptWindow
from nevport.environment.models import (
    Decision,
    EnvFacility,
    EnvLink,
    EnvPreReport,
    EnvThresholdSuggestion,
)
from nevport.environment.schemas import (
    DecisionIn,
    FacilityCreate,
    FacilityOut,
    LinkCreate,
    PreReportCreate,
    PreReportOut,
    SuggestionOut,
)
from nevport.environment.states import Thresholds
from nevport.environment.topology import Facility, Link, Topology
from nevport.errors import Conflict, InvalidInput, NotFound


def create_facility(
    session: Session, principal: Principal, enterprise_id: int, body: FacilityCreate
) -> FacilityOut:
    require_configurer(principal, enterprise_id)
    _thresholds(body.standby_w, body.running_w, body.rated_w, body.hysteresis_w, body.min_state_s)
    row = EnvFacility(
        enterprise_id=enterprise_id, **body.model_dump(), created_by_id=principal.user_id
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"enterprise {enterprise_id} already has a facility {body.code!r}") from None
    return FacilityOut.model_validate(row)


def list_facilities(
    session: Session, principal: Principal, enterprise_id: int
) -> list[FacilityOut]:
    require_reader(principal, enterprise_id)
    rows = session.scalars(
        select(EnvFacility)
        .where(EnvFacility.enterprise_id == enterprise_id)
        .order_by(EnvFacility.id)
    )
    return [FacilityOut.model_validate(row) for row in rows]


def _facility_by_code(session: Session, enterprise_id: int, code: str) -> EnvFacility:
    row = session.scalar(
        select(EnvFacility).where(
            EnvFacility.enterprise_id == enterprise_id, EnvFacility.code == code
        )
    )
    if row is None:
        raise NotFound(f"enterprise {enterprise_id} has no facility {code!r}")
    return row


def _facility(session: Session, enterprise_id: int, facility_id: int) -> EnvFacility:
    row = session.get(EnvFacility, facility_id)
    if row is None or row.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no facility {facility_id}")
    return row


def create_link(
    session: Session, principal: Principal, enterprise_id: int, body: LinkCreate
) -> None:
    require_configurer(principal, enterprise_id)
    production = _facility_by_code(session, enterprise_id, body.production)
    treatment = _facility_by_code(session, enterprise_id, body.treatment)
    link = EnvLink(
        enterprise_id=enterprise_id,
        production_id=production.id,
        treatment_id=treatment.id,
        expected_ratio=body.expected_ratio,
        created_by_id=principal.user_id,
    )
    session.add(link)
    topology_of(session, enterprise_id)  # refuses a link between facilities of the wrong kinds


def _thresholds(
    standby: float, running: float, rated: float, hyst: float, min_s: int
) -> Thresholds:
    return Thresholds(standby, running, rated, hyst, min_s)


def topology_of(session: Session, enterprise_id: int) -> Topology:
    """The enterprise's facilities and links as the engine wants them."""
    rows = list(
        session.scalars(
            select(EnvFacility)
            .where(EnvFacility.enterprise_id == enterprise_id)
            .order_by(EnvFacility.id)
        )
    )
    by_id = {row.id: row.code for row in rows}
    facilities = tuple(
        Facility(
            row.code,
            row.kind,
            _thresholds(
                row.standby_w, row.running_w, row.rated_w, row.hysteresis_w, row.min_state_s
            ),
            has_upstream=row.upstream_channel_id is not None,
        )
        for row in rows
    )
    session.flush()
    links = session.scalars(
        select(EnvLink).where(EnvLink.enterprise_id == enterprise_id).order_by(EnvLink.id)
    )
    return Topology(
        facilities,
        tuple(Link(by_id[k.production_id], by_id[k.treatment_id], k.expected_ratio) for k in links),
    )


def learn_thresholds(
    session: Session,
    principal: Principal,
    enterprise_id: int,
    facility_id: int,
    power_w: list[float | None],
) -> SuggestionOut:
    """Store a suggestion learned from ``power_w``; nothing changes until confirmed."""
    require_configurer(principal, enterprise_id)
    _facility(session, enterprise_id, facility_id)
    values = np.array([np.nan if v is None else v for v in power_w], dtype=np.float64)
    found = learn.suggest(values)
    row = EnvThresholdSuggestion(
        enterprise_id=enterprise_id,
        facility_id=facility_id,
        standby_w=found.standby_w,
        running_w=found.running_w,
        rated_w=found.rated_w,
        samples=found.samples,
        created_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    return SuggestionOut.model_validate(row)


def decide_suggestion(
    session: Session, principal: Principal, enterprise_id: int, suggestion_id: int, body: DecisionIn
) -> SuggestionOut:
    """A person accepts (the facility's thresholds change) or rejects a suggestion."""
    require_configurer(principal, enterprise_id)
    row = session.get(EnvThresholdSuggestion, suggestion_id)
    if row is None or row.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no threshold suggestion {suggestion_id}")
    if row.status is not Decision.pending:
        raise Conflict(f"suggestion {suggestion_id} was already {row.status.value}")
    row.status = Decision.approved if body.approve else Decision.rejected
    row.updated_by_id = principal.user_id
    if body.approve:
        facility = _facility(session, enterprise_id, row.facility_id)
        _thresholds(
            row.standby_w, row.running_w, row.rated_w, facility.hysteresis_w, facility.min_state_s
        )
        facility.standby_w, facility.running_w, facility.rated_w = (
            row.standby_w,
            row.running_w,
            row.rated_w,
        )
        facility.updated_by_id = principal.user_id
    session.flush()
    return SuggestionOut.model_validate(row)


def create_pre_report(
    session: Session, principal: Principal, enterprise_id: int, body: PreReportCreate
) -> PreReportOut:
    require_member(principal, enterprise_id)
    for code in body.facility_codes:
        _facility_by_code(session, enterprise_id, code)
    row = EnvPreReport(
        enterprise_id=enterprise_id, **body.model_dump(), created_by_id=principal.user_id
    )
    session.add(row)
    session.flush()
    return PreReportOut.model_validate(row)


def list_pre_reports(
    session: Session,
    principal: Principal,
    enterprise_id: int | None = None,
    status: Decision | None = None,
) -> list[PreReportOut]:
    """Pre-reports the caller may see: one enterprise's, or every visible one."""
    query = scoped(select(EnvPreReport), EnvPreReport.enterprise_id, principal)
    if enterprise_id is not None:
        require_reader(principal, enterprise_id)
        query = query.where(EnvPreReport.enterprise_id == enterprise_id)
    if status is not None:
        query = query.where(EnvPreReport.status == status)
    return [
        PreReportOut.model_validate(r) for r in session.scalars(query.order_by(EnvPreReport.id))
    ]


def decide_pre_report(
    session: Session, principal: Principal, enterprise_id: int, report_id: int, body: DecisionIn
) -> PreReportOut:
    require_regulator(principal, enterprise_id)
    row = session.get(EnvPreReport, report_id)
    if row is None or row.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no pre-report {report_id}")
    if row.status is not Decision.pending:
        raise Conflict(f"pre-report {report_id} was already {row.status.value}")
    row.status = Decision.approved if body.approve else Decision.rejected
    row.decided_by_id, row.decided_at, row.decision_note = principal.user_id, utcnow(), body.note
    session.flush()
    return PreReportOut.model_validate(row)


def exempt_windows(
    session: Session, enterprise_id: int, start: datetime, end: datetime
) -> list[ExemptWindow]:
    """Approved pre-reports overlapping [start, end), as the engine's windows."""
    rows = session.scalars(
        select(EnvPreReport).where(
            EnvPreReport.enterprise_id == enterprise_id,
            EnvPreReport.status == Decision.approved,
            EnvPreReport.start_at < end,
            EnvPreReport.end_at > start,
        )
    )
    return [
        ExemptWindow(
            f"pre-report {r.id}",
            int(r.start_at.timestamp()),
            int(r.end_at.timestamp()),
            frozenset(r.facility_codes),
        )
        for r in rows
    ]


def check_window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidInput(f"end {end.isoformat()} is not after start {start.isoformat()}")

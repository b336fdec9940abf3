"""Heavy-pollution alerts, each enterprise's curtailment measures, staggered production.

Regulators and park admins declare alerts for the park and order staggered-production
periods; each enterprise sets its own measures per alert level (which production
facilities stop), which its admin or a park admin may change and a regulator only
reads. While an alert is in force an enterprise applies its measures of that level and
of every lower level (a stricter level never asks less), and the curtailment rule (f)
raises production that keeps running. ``periods_of`` turns all of it into the engine's
``Period`` list.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.db.base import utcnow
from nevport.environment.access import require_configurer, require_reader
from nevport.environment.engine import Period
from nevport.environment.models import (
    AlertLevel,
    EnvAlert,
    EnvCurtailmentMeasure,
    EnvFacility,
    EnvStaggeredPeriod,
)
from nevport.environment.schemas import (
    AlertCreate,
    AlertOut,
    MeasureIn,
    MeasureOut,
    StaggeredCreate,
    StaggeredOut,
)
from nevport.environment.topology import FacilityKind
from nevport.errors import Conflict, Forbidden, InvalidInput, NotFound

MANAGERS = frozenset({Role.regulator, Role.park_admin})


def require_manager(principal: Principal) -> None:
    if principal.role not in MANAGERS:
        raise Forbidden(
            f"role {principal.role.value} may not manage alerts or curtailment; "
            "needs regulator or park_admin"
        )


def _production_codes(session: Session, enterprise_id: int, codes: list[str]) -> None:
    known = set(
        session.scalars(
            select(EnvFacility.code).where(
                EnvFacility.enterprise_id == enterprise_id,
                EnvFacility.kind == FacilityKind.production,
            )
        )
    )
    unknown = sorted(set(codes) - known)
    if unknown:
        raise InvalidInput(
            f"enterprise {enterprise_id} has no production facility {', '.join(unknown)}",
            field="facility_codes",
        )


def declare_alert(session: Session, principal: Principal, body: AlertCreate) -> AlertOut:
    require_manager(principal)
    row = EnvAlert(**body.model_dump(), created_by_id=principal.user_id)
    session.add(row)
    session.flush()
    return AlertOut.model_validate(row)


def lift_alert(session: Session, principal: Principal, alert_id: int) -> AlertOut:
    """End an alert now (the weather cleared before the declared end)."""
    require_manager(principal)
    row = session.get(EnvAlert, alert_id)
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    now = utcnow()
    if row.end_at <= now:
        raise Conflict(f"alert {alert_id} already ended at {row.end_at.isoformat()}")
    row.end_at = max(now, row.start_at)
    row.updated_by_id = principal.user_id
    session.flush()
    return AlertOut.model_validate(row)


def list_alerts(session: Session, since: datetime | None = None) -> list[AlertOut]:
    """Alerts are public to every signed-in user: they are announced to the whole park."""
    query = select(EnvAlert).order_by(EnvAlert.start_at.desc())
    if since is not None:
        query = query.where(EnvAlert.end_at > since)
    return [AlertOut.model_validate(row) for row in session.scalars(query)]


def set_measure(
    session: Session, principal: Principal, enterprise_id: int, level: AlertLevel, body: MeasureIn
) -> MeasureOut:
    require_configurer(principal, enterprise_id)
    _production_codes(session, enterprise_id, body.facility_codes)
    row = session.scalar(
        select(EnvCurtailmentMeasure).where(
            EnvCurtailmentMeasure.enterprise_id == enterprise_id,
            EnvCurtailmentMeasure.level == level,
        )
    )
    if row is None:
        row = EnvCurtailmentMeasure(
            enterprise_id=enterprise_id, level=level, created_by_id=principal.user_id
        )
        session.add(row)
    row.facility_codes, row.measure = sorted(set(body.facility_codes)), body.measure
    row.updated_by_id = principal.user_id
    session.flush()
    return MeasureOut.model_validate(row)


def list_measures(session: Session, principal: Principal, enterprise_id: int) -> list[MeasureOut]:
    require_reader(principal, enterprise_id)
    rows = session.scalars(
        select(EnvCurtailmentMeasure).where(EnvCurtailmentMeasure.enterprise_id == enterprise_id)
    )
    return sorted((MeasureOut.model_validate(r) for r in rows), key=lambda m: m.level.rank)


def add_staggered(
    session: Session, principal: Principal, enterprise_id: int, body: StaggeredCreate
) -> StaggeredOut:
    require_manager(principal)
    _production_codes(session, enterprise_id, body.facility_codes)
    row = EnvStaggeredPeriod(
        enterprise_id=enterprise_id, **body.model_dump(), created_by_id=principal.user_id
    )
    session.add(row)
    session.flush()
    return StaggeredOut.model_validate(row)


def list_staggered(
    session: Session, principal: Principal, enterprise_id: int
) -> list[StaggeredOut]:
    require_reader(principal, enterprise_id)
    rows = session.scalars(
        select(EnvStaggeredPeriod)
        .where(EnvStaggeredPeriod.enterprise_id == enterprise_id)
        .order_by(EnvStaggeredPeriod.start_at)
    )
    return [StaggeredOut.model_validate(row) for row in rows]


def delete_staggered(
    session: Session, principal: Principal, enterprise_id: int, period_id: int
) -> None:
    require_manager(principal)
    row = session.get(EnvStaggeredPeriod, period_id)
    if row is None or row.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no staggered period {period_id}")
    session.delete(row)
    session.flush()


def _union(codes: list[list[str]]) -> frozenset[str]:
    """Facilities named by several measures; an empty list (all production) absorbs all."""
    if any(not c for c in codes):
        return frozenset()
    return frozenset(code for group in codes for code in group)


def periods_of(
    session: Session, enterprise_id: int, start: datetime, end: datetime
) -> list[Period]:
    """The enterprise's curtailment and staggered periods overlapping [start, end)."""
    measures = {
        row.level: row.facility_codes
        for row in session.scalars(
            select(EnvCurtailmentMeasure).where(
                EnvCurtailmentMeasure.enterprise_id == enterprise_id
            )
        )
    }
    periods = []
    if measures:
        alerts = session.scalars(
            select(EnvAlert)
            .where(EnvAlert.start_at < end, EnvAlert.end_at > start)
            .order_by(EnvAlert.id)
        )
        for alert in alerts:
            applied = [codes for level, codes in measures.items() if level.rank <= alert.level.rank]
            if applied:
                periods.append(
                    Period(
                        f"alert {alert.id} ({alert.level.value})",
                        int(alert.start_at.timestamp()),
                        int(alert.end_at.timestamp()),
                        _union(applied),
                    )
                )
    staggered = session.scalars(
        select(EnvStaggeredPeriod)
        .where(
            EnvStaggeredPeriod.enterprise_id == enterprise_id,
            EnvStaggeredPeriod.start_at < end,
            EnvStaggeredPeriod.end_at > start,
        )
        .order_by(EnvStaggeredPeriod.id)
    )
    periods.extend(
        Period(
            f"staggered {row.id}",
            int(row.start_at.timestamp()),
            int(row.end_at.timestamp()),
            frozenset(row.facility_codes),
        )
        for row in staggered
    )
    return periods

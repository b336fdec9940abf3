"""Figures of the regulator dashboard and the monthly compliance report.

* online rate: share of expected samples (each facility channel, each 15-minute bucket)
  that hold a reading; a facility without a channel counts as offline;
* compliance rate: share of an enterprise's monitored days on which no event was raised
  (exempted events, inside an approved pre-report, do not count against it) - the
  "days up to standard" measure of the city platforms the issue cites;
* open events: pushed or responded, not yet verified and closed.

Every function takes the principal and narrows to what it may read (``tenancy.scoped``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nevport.auth.service import Principal
from nevport.auth.tenancy import scoped
from nevport.environment.access import require_reader
from nevport.environment.events import Grade
from nevport.environment.models import EnvEvent, EnvFacility, EnvLink, EventStatus
from nevport.environment.source import SITE_ZONE, power_history
from nevport.park import service as park

OPEN = (EventStatus.pushed, EventStatus.responded)
W_PER_KW = 1000.0


@dataclass
class EnterpriseFigures:
    enterprise_id: int
    name_zh: str
    name_en: str
    facilities: int
    online_rate: float | None  # [0, 1]; None without any channel
    days: int  # monitored days in the span
    days_with_events: int
    raised: Counter[str] = field(default_factory=Counter)  # grade -> events raised
    exempted: int = 0
    closed: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def compliance_rate(self) -> float | None:
        return None if not self.days else 1.0 - self.days_with_events / self.days


def monitored(session: Session, principal: Principal) -> list[int]:
    """Enterprises with supervised facilities that the principal may read, by id."""
    query = scoped(select(EnvFacility.enterprise_id), EnvFacility.enterprise_id, principal)
    return sorted(set(session.scalars(query.distinct())))


def coverage(
    session: Session, enterprise_id: int, start: datetime, end: datetime
) -> tuple[float | None, datetime | None]:
    """(online rate, first sample with any reading) over [start, end).

    Supervision of an enterprise begins with its first reading: samples before it are
    not counted as offline, nor its days as monitored.
    """
    t, power, _ = power_history(session, enterprise_id, start, end)
    if not power.size:
        return None, None
    seen = np.flatnonzero(np.isfinite(power).any(axis=1))
    if not len(seen):
        return None, None
    since = int(seen[0])
    rate = float(np.isfinite(power[since:]).mean())
    return rate, datetime.fromtimestamp(int(t[since]), SITE_ZONE)


def park_days(start: datetime, end: datetime) -> int:
    """Park days that [start, end) touches."""
    first = start.astimezone(SITE_ZONE).date()
    last = (end - timedelta(microseconds=1)).astimezone(SITE_ZONE).date()
    return (last - first).days + 1 if end > start else 0


def open_by_grade(session: Session, principal: Principal) -> dict[Grade, int]:
    query = scoped(select(EnvEvent.grade), EnvEvent.enterprise_id, principal)
    counts = Counter(session.scalars(query.where(EnvEvent.status.in_(OPEN))))
    return {grade: int(counts.get(grade, 0)) for grade in Grade}


def figures(
    session: Session, principal: Principal, start: datetime, end: datetime, now: datetime
) -> list[EnterpriseFigures]:
    """One row per monitored enterprise over [start, end) (``end`` capped at ``now``)."""
    end = min(end, now)
    rows = []
    for enterprise_id in monitored(session, principal):
        enterprise = park.get_enterprise(session, principal, enterprise_id)
        count = session.scalar(
            select(func.count()).where(EnvFacility.enterprise_id == enterprise_id)
        )
        rate, since = coverage(session, enterprise_id, start, end) if end > start else (None, None)
        row = EnterpriseFigures(
            enterprise_id,
            enterprise.name_zh,
            enterprise.name_en,
            int(count or 0),
            rate,
            0 if since is None else park_days(max(start, since), end),
            0,
        )
        _count_events(session, row, start, end, now)
        rows.append(row)
    return rows


def _count_events(
    session: Session, row: EnterpriseFigures, start: datetime, end: datetime, now: datetime
) -> None:
    events = session.scalars(
        select(EnvEvent).where(
            EnvEvent.enterprise_id == row.enterprise_id,
            EnvEvent.start_at >= start,
            EnvEvent.start_at < end,
        )
    )
    bad_days: set[date] = set()
    for event in events:
        if event.status is EventStatus.exempted:
            row.exempted += 1
            continue
        row.raised[event.grade.value] += 1
        bad_days.add(event.start_at.astimezone(SITE_ZONE).date())
        if event.status is EventStatus.closed:
            row.closed += 1
        else:
            row.open += 1
            overdue = event.respond_by is not None and event.respond_by < now
            row.overdue += int(event.status is EventStatus.pushed and overdue)
    row.days_with_events = len(bad_days)


def month_span(month: str, zone: ZoneInfo = SITE_ZONE) -> tuple[datetime, datetime]:
    """[first day, first day of the next month) of ``YYYY-MM`` in the park's zone."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=zone)
    following = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start, following


@dataclass(frozen=True)
class LinkageSeries:
    production: str
    treatment: str
    labels: list[str]  # HH:MM, park time
    production_kw: list[float | None]
    treatment_kw: list[float | None]


def linkage(
    session: Session, principal: Principal, enterprise_id: int, day: date
) -> list[LinkageSeries]:
    """Production vs treatment power over one park day, one series pair per link."""
    require_reader(principal, enterprise_id)
    start = datetime(day.year, day.month, day.day, tzinfo=SITE_ZONE)
    t, power, _ = power_history(session, enterprise_id, start, start + timedelta(days=1))
    facilities = list(
        session.scalars(
            select(EnvFacility)
            .where(EnvFacility.enterprise_id == enterprise_id)
            .order_by(EnvFacility.id)
        )
    )
    column = {row.id: i for i, row in enumerate(facilities)}
    code = {row.id: row.code for row in facilities}
    labels = [datetime.fromtimestamp(int(s), SITE_ZONE).strftime("%H:%M") for s in t]

    def kw(i: int) -> list[float | None]:
        return [None if np.isnan(v) else round(float(v) / W_PER_KW, 2) for v in power[:, i]]

    links = session.scalars(
        select(EnvLink).where(EnvLink.enterprise_id == enterprise_id).order_by(EnvLink.id)
    )
    return [
        LinkageSeries(
            code[link.production_id],
            code[link.treatment_id],
            labels,
            kw(column[link.production_id]) if len(t) else [],
            kw(column[link.treatment_id]) if len(t) else [],
        )
        for link in links
    ]

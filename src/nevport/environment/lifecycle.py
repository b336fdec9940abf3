"""Events in the database: raised from the engine, answered, verified, closed.

push -> enterprise response with evidence -> regulator verification -> closed; a
rejected verification sends the event back to the enterprise with a new deadline.
Events inside an approved pre-report are stored as ``exempted`` and never pushed.
Every step is appended to ``env_event_actions`` (the audit history) and announced as a
webhook, topic ``environment.event.<step>``, through ``nevport.notify``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from nevport.auth.service import Principal
from nevport.auth.tenancy import scoped
from nevport.db.base import utcnow
from nevport.environment.access import require_member, require_reader, require_regulator
from nevport.environment.events import Event, ExemptWindow, Grade, mark_exempt
from nevport.environment.models import EnvEvent, EnvEventAction, EventStatus
from nevport.environment.schemas import DecisionIn, EventOut, ResponseIn
from nevport.errors import Conflict, NotFound
from nevport.notify import service as notify

# How long the enterprise has to answer, by grade (nevport defaults; the city platforms
# the issue cites answer red alarms the same day and others within days).
RESPOND_WITHIN = {
    Grade.red: timedelta(hours=24),
    Grade.yellow: timedelta(hours=72),
    Grade.blue: timedelta(days=7),
}


def _at(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _act(row: EnvEvent, action: str, actor: int | None = None, note: str = "") -> None:
    row.history.append(EnvEventAction(action=action, actor_id=actor, note=note, at=utcnow()))


def record_events(
    session: Session, enterprise_id: int, events: Iterable[Event], windows: list[ExemptWindow]
) -> int:
    """Upsert engine events by key (a replay changes nothing); return how many are new."""
    created = 0
    for event in mark_exempt(events, windows):
        row = session.scalar(
            select(EnvEvent)
            .where(EnvEvent.enterprise_id == enterprise_id, EnvEvent.key == event.key)
            .options(selectinload(EnvEvent.history))
        )
        if row is None:
            row = _continued(session, enterprise_id, event)
        seen = 0 if row is None else len(row.history)
        if row is None:
            row = _new_row(enterprise_id, event)
            session.add(row)
            created += 1
        elif event.grade.rank > row.grade.rank:
            _act(row, "escalated", note=f"{row.grade.value} -> {event.grade.value}")
            row.grade = event.grade
        if event.end_s is not None and row.end_at is None:
            row.end_at = _at(event.end_s)
            row.details = {**row.details, "closed_reason": event.closed_reason}
            _act(row, "ended", note=event.closed_reason or "")
        session.flush()
        _announce(session, row, seen)
    return created


def _announce(session: Session, row: EnvEvent, seen: int) -> None:
    """A webhook (topic ``environment.event.<action>``) for each step after ``seen``; it
    is written in this transaction, so it is sent exactly when the step is stored."""
    for action in row.history[seen:]:
        payload = {
            "event_id": row.id,
            "key": row.key,
            "rule": row.rule,
            "facilities": row.facilities,
            "grade": row.grade.value,
            "status": row.status.value,
            "start_at": row.start_at,
            "end_at": row.end_at,
            "respond_by": row.respond_by,
            "message": row.message,
            "action": action.action,
            "note": action.note,
        }
        notify.enqueue(session, f"environment.event.{action.action}", row.enterprise_id, payload)


def _continued(session: Session, enterprise_id: int, event: Event) -> EnvEvent | None:
    """A stored event this one continues: same rule and facilities, begun earlier and not
    ended before this one began. An engine started later (a restart of the portal, a
    replay from a later date) dates a violation already under way from its own first
    sample; without this it would be stored a second time under a new key."""
    start = _at(event.start_s)
    rows = session.scalars(
        select(EnvEvent)
        .where(
            EnvEvent.enterprise_id == enterprise_id,
            EnvEvent.rule == event.rule,
            EnvEvent.start_at < start,
            or_(EnvEvent.end_at.is_(None), EnvEvent.end_at > start),
        )
        .options(selectinload(EnvEvent.history))
    )
    return next((row for row in rows if row.facilities == list(event.facilities)), None)


def _new_row(enterprise_id: int, event: Event) -> EnvEvent:
    exempt = event.exempted_by is not None
    report_id = int(event.exempted_by.rsplit(" ", 1)[-1]) if exempt and event.exempted_by else None
    start = _at(event.start_s)
    assert start is not None
    row = EnvEvent(
        enterprise_id=enterprise_id,
        key=event.key,
        rule=event.rule,
        facilities=list(event.facilities),
        start_at=start,
        end_at=_at(event.end_s),
        grade=event.grade,
        message=event.message,
        details={"readings": dict(event.readings), "thresholds": dict(event.thresholds)},
        status=EventStatus.exempted if exempt else EventStatus.pushed,
        pre_report_id=report_id,
        respond_by=None if exempt else utcnow() + RESPOND_WITHIN[event.grade],
    )
    _act(row, "exempted" if exempt else "pushed", note=event.exempted_by or "")
    return row


def _out(row: EnvEvent, now: datetime | None = None) -> EventOut:
    out = EventOut.model_validate(row)
    now = now or utcnow()
    out.overdue = (
        row.status is EventStatus.pushed and row.respond_by is not None and row.respond_by < now
    )
    return out


def list_events(
    session: Session,
    principal: Principal,
    enterprise_id: int | None = None,
    status: EventStatus | None = None,
    grade: Grade | None = None,
    limit: int = 200,
) -> list[EventOut]:
    query = scoped(select(EnvEvent), EnvEvent.enterprise_id, principal)
    if enterprise_id is not None:
        require_reader(principal, enterprise_id)
        query = query.where(EnvEvent.enterprise_id == enterprise_id)
    if status is not None:
        query = query.where(EnvEvent.status == status)
    if grade is not None:
        query = query.where(EnvEvent.grade == grade)
    query = query.options(selectinload(EnvEvent.history)).order_by(
        EnvEvent.start_at.desc(), EnvEvent.id
    )
    return [_out(row) for row in session.scalars(query.limit(limit))]


def _event(session: Session, enterprise_id: int, event_id: int) -> EnvEvent:
    row = session.get(EnvEvent, event_id, options=[selectinload(EnvEvent.history)])
    if row is None or row.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no environmental event {event_id}")
    return row


def get_event(
    session: Session, principal: Principal, enterprise_id: int, event_id: int
) -> EventOut:
    require_reader(principal, enterprise_id)
    return _out(_event(session, enterprise_id, event_id))


def respond(
    session: Session, principal: Principal, enterprise_id: int, event_id: int, body: ResponseIn
) -> EventOut:
    require_member(principal, enterprise_id)
    row = _event(session, enterprise_id, event_id)
    if row.status is not EventStatus.pushed:
        raise Conflict(
            f"event {event_id} is {row.status.value}; only a pushed event takes a response"
        )
    row.status, row.response, row.response_evidence = (
        EventStatus.responded,
        body.response,
        body.evidence,
    )
    _act(row, "responded", principal.user_id, body.response)
    session.flush()
    _announce(session, row, len(row.history) - 1)
    return _out(row)


def verify(
    session: Session, principal: Principal, enterprise_id: int, event_id: int, body: DecisionIn
) -> EventOut:
    require_regulator(principal, enterprise_id)
    row = _event(session, enterprise_id, event_id)
    if row.status is not EventStatus.responded:
        raise Conflict(
            f"event {event_id} is {row.status.value}; only a responded event is verified"
        )
    if body.approve:
        row.status, row.closed_at = EventStatus.closed, utcnow()
        _act(row, "verified", principal.user_id, body.note)
    else:
        row.status, row.respond_by = EventStatus.pushed, utcnow() + RESPOND_WITHIN[row.grade]
        _act(row, "returned", principal.user_id, body.note)
    session.flush()
    _announce(session, row, len(row.history) - 1)
    return _out(row)

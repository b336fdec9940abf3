"""Recurring control: weekday schedules at a local time of day (docs/energy/control.md)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from nevport.energy.control import service
from nevport.energy.control.models import CommandStatus, ControlCommand, ControlSchedule
from nevport.energy.control.schemas import ScheduleCreate, ScheduleOut
from nevport.errors import InvalidInput, NotFound

CATCH_UP = timedelta(minutes=10)  # a firing missed by less than this (a restart) still runs


def _out(row: ControlSchedule) -> ScheduleOut:
    return ScheduleOut(
        id=row.id,
        point_code=row.point.code,
        value=row.value,
        at=f"{row.at_minute // 60:02d}:{row.at_minute % 60:02d}",
        weekdays=[int(d) for d in row.weekdays],
        enabled=row.enabled,
        last_fired=row.last_fired,
    )


def create(session: Session, enterprise_id: int, body: ScheduleCreate, user_id: int) -> ScheduleOut:
    point = service.find_point(session, enterprise_id, body.point_code)
    service.check_range(point, body.value)
    if (body.confirm_point_code, body.confirm_value) != (point.code, body.value):
        raise InvalidInput(
            f"confirmation names {body.confirm_point_code} := {body.confirm_value}, "
            f"the schedule writes {point.code} := {body.value}",
            field="confirm_value",
        )
    hours, minutes = (int(x) for x in body.at.split(":"))
    row = ControlSchedule(
        enterprise_id=enterprise_id,
        point=point,
        value=body.value,
        at_minute=hours * 60 + minutes,
        weekdays="".join(str(d) for d in sorted(set(body.weekdays))),
        enabled=True,
        created_by_id=user_id,
        updated_by_id=user_id,
    )
    session.add(row)
    session.flush()
    return _out(row)


def list_all(session: Session, enterprise_id: int) -> list[ScheduleOut]:
    query = select(ControlSchedule).where(ControlSchedule.enterprise_id == enterprise_id)
    return [_out(r) for r in session.scalars(query.order_by(ControlSchedule.id))]


def delete(session: Session, enterprise_id: int, schedule_id: int) -> None:
    row = session.get(ControlSchedule, schedule_id)
    if row is None or row.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no control schedule {schedule_id}")
    session.delete(row)
    session.flush()


def due_instant(row: ControlSchedule, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Today's firing instant (UTC) if it is due now and has not fired, else None."""
    local = now.astimezone(zone)
    if str(local.weekday()) not in row.weekdays:
        return None
    at = datetime.combine(local.date(), time(0), tzinfo=zone) + timedelta(minutes=row.at_minute)
    if not at <= local < at + CATCH_UP:
        return None
    if row.last_fired is not None and row.last_fired >= at:
        return None
    return at


def fire_due(session: Session, now: datetime, zone: ZoneInfo) -> int:
    """Run every schedule due now; each firing is a confirmed command, interlocked."""
    fired = 0
    for row in session.scalars(select(ControlSchedule).where(ControlSchedule.enabled)):
        at = due_instant(row, now, zone)
        if at is None:
            continue
        row.last_fired = at
        command = ControlCommand(
            enterprise_id=row.enterprise_id,
            point=row.point,
            value=row.value,
            dry_run=False,
            status=CommandStatus.scheduled,
            reason=f"schedule {row.id}",
            execute_at=at,
            confirmed_by_id=row.created_by_id,
            created_at=now,
        )
        session.add(command)
        session.flush()
        service.audit(session, command, "requested", None, f"schedule {row.id} fired")
        service.execute(session, command, now)
        fired += 1
    return fired

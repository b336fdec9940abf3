"""Commands to equipment: request (dry run by default) -> confirm -> execute, with
interlocks checked at request and again at execution, and every step audited."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nevport.energy import service as energy
from nevport.energy.alarms.models import AlarmRule
from nevport.energy.control import device
from nevport.energy.control.models import (
    CommandStatus,
    ControlAudit,
    ControlCommand,
    ControlPoint,
    ControlTrigger,
    Interlock,
)
from nevport.energy.control.schemas import (
    AuditOut,
    CommandCreate,
    CommandOut,
    Confirm,
    InterlockCreate,
    InterlockOut,
    PointCreate,
    PointOut,
    TriggerCreate,
)
from nevport.energy.models import Reading
from nevport.errors import Conflict, InvalidInput, NotFound
from nevport.notify.service import enqueue

PENDING = (CommandStatus.awaiting_confirmation, CommandStatus.scheduled)
# Steps that people outside the portal want to hear of (docs/energy/control.md).
NOTIFIED = frozenset({"awaiting_confirmation", "refused", "executed", "failed"})


def _point_out(point: ControlPoint) -> PointOut:
    return PointOut(
        **{k: getattr(point, k) for k in PointOut.model_fields if k != "interlocks"},
        interlocks=[InterlockOut.model_validate(i, from_attributes=True) for i in point.interlocks],
    )


def _point(
    session: Session, enterprise_id: int, *, code: str | None = None, point_id: int | None = None
) -> ControlPoint:
    query = select(ControlPoint).where(ControlPoint.enterprise_id == enterprise_id)
    query = (
        query.where(ControlPoint.code == code) if code else query.where(ControlPoint.id == point_id)
    )
    point = session.scalar(query.options(selectinload(ControlPoint.interlocks)))
    if point is None:
        raise NotFound(f"enterprise {enterprise_id} has no control point {code or point_id}")
    return point


def find_point(session: Session, enterprise_id: int, code: str) -> ControlPoint:
    return _point(session, enterprise_id, code=code)


def create_point(session: Session, enterprise_id: int, body: PointCreate, user_id: int) -> PointOut:
    if session.scalar(
        select(ControlPoint.id).where(
            ControlPoint.enterprise_id == enterprise_id, ControlPoint.code == body.code
        )
    ):
        raise Conflict(f"enterprise {enterprise_id} already has a control point {body.code}")
    point = ControlPoint(
        enterprise_id=enterprise_id,
        **body.model_dump(),
        locked=False,
        created_by_id=user_id,
        updated_by_id=user_id,
    )
    session.add(point)
    session.flush()
    return _point_out(point)


def list_points(session: Session, enterprise_id: int) -> list[PointOut]:
    query = (
        select(ControlPoint)
        .where(ControlPoint.enterprise_id == enterprise_id)
        .options(selectinload(ControlPoint.interlocks))
        .order_by(ControlPoint.id)
    )
    return [_point_out(p) for p in session.scalars(query)]


def add_interlock(
    session: Session, enterprise_id: int, point_id: int, body: InterlockCreate
) -> PointOut:
    point = _point(session, enterprise_id, point_id=point_id)
    energy.stored_channel(session, enterprise_id, body.channel_id)  # own, with readings
    point.interlocks.append(Interlock(**body.model_dump()))
    session.flush()
    return _point_out(point)


def set_locked(
    session: Session, enterprise_id: int, point_id: int, locked: bool, user_id: int
) -> PointOut:
    point = _point(session, enterprise_id, point_id=point_id)
    point.locked, point.updated_by_id = locked, user_id
    session.flush()
    return _point_out(point)


def add_trigger(session: Session, enterprise_id: int, point_id: int, body: TriggerCreate) -> None:

    point = _point(session, enterprise_id, point_id=point_id)
    rule = session.get(AlarmRule, body.rule_id)
    if rule is None or rule.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no alarm rule {body.rule_id}")
    check_range(point, body.value)
    session.add(ControlTrigger(rule_id=rule.id, point_id=point.id, value=body.value))
    session.flush()


def check_range(point: ControlPoint, value: int) -> None:
    if not point.min_value <= value <= point.max_value:
        raise InvalidInput(
            f"value {value} is outside {point.code}'s range {point.min_value}..{point.max_value}",
            field="value",
        )


def audit(
    session: Session, command: ControlCommand, action: str, user_id: int | None, detail: str = ""
) -> None:
    session.add(
        ControlAudit(
            command_id=command.id,
            user_id=user_id,
            action=action,
            detail=detail[:500],
            at=datetime.now(UTC),
        )
    )
    if action in NOTIFIED:
        payload = {
            "command_id": command.id,
            "point": command.point.code,
            "value": command.value,
            "status": command.status,
            "reason": command.reason,
            "user_id": user_id,
            "detail": detail[:500],
        }
        enqueue(session, f"energy.control.{action}", command.enterprise_id, payload)


def refusal(session: Session, point: ControlPoint, value: int, now: datetime) -> str | None:
    """Why ``value`` may not be written to ``point`` now, or None when it may."""
    if point.locked:
        return f"{point.code} is locked out for maintenance"
    for lock in point.interlocks:
        if lock.only_value is not None and lock.only_value != value:
            continue
        row = session.execute(
            select(Reading.ts, Reading.value)
            .where(Reading.channel_id == lock.channel_id, Reading.value.is_not(None))
            .order_by(Reading.ts.desc())
            .limit(1)
        ).first()
        what = lock.description or f"channel {lock.channel_id}"
        if row is None or (now - row[0]).total_seconds() > lock.max_age_s:
            return (
                f"interlock '{what}': no reading within {lock.max_age_s} s, so its state is unknown"
            )
        reading = row[1]
        assert reading is not None  # the query skips unread values
        beyond = reading > lock.limit if lock.above else reading < lock.limit
        if beyond:
            side = "above" if lock.above else "below"
            return f"interlock '{what}': reads {reading}, {side} the limit {lock.limit}"
    return None


def _target(point: ControlPoint) -> device.Target:
    return device.Target(point.host, point.port, point.unit_id, point.kind, point.address)


def request(
    session: Session, enterprise_id: int, body: CommandCreate, user_id: int | None, now: datetime
) -> CommandOut:
    point = _point(session, enterprise_id, code=body.point_code)
    check_range(point, body.value)
    if body.execute_at is not None and body.execute_at <= now and not body.dry_run:
        raise InvalidInput(
            f"execute_at {body.execute_at.isoformat()} is in the past", field="execute_at"
        )
    command = ControlCommand(
        enterprise_id=enterprise_id,
        point=point,
        value=body.value,
        dry_run=body.dry_run,
        status=CommandStatus.awaiting_confirmation,
        reason=body.reason,
        execute_at=body.execute_at,
        requested_by_id=user_id,
        created_at=now,
    )
    session.add(command)
    session.flush()
    audit(
        session,
        command,
        "requested",
        user_id,
        f"{point.code} := {body.value}, dry_run={body.dry_run}",
    )
    why = refusal(session, point, body.value, now)
    if why is not None:
        command.status, command.result = CommandStatus.refused, why
        audit(session, command, "refused", None, why)
    elif body.dry_run:
        _simulate(session, command, point)
    else:
        audit(
            session,
            command,
            "awaiting_confirmation",
            None,
            f"confirm with point_code={point.code} and value={body.value}",
        )
    session.flush()
    return command_out(session, command)


def _simulate(session: Session, command: ControlCommand, point: ControlPoint) -> None:
    try:
        current = device.read(_target(point))
        command.previous_value = current
        command.result = (
            f"would write {command.value} to {point.code} (now {current}); nothing written"
        )
    except device.DeviceError as exc:
        command.result = f"would write {command.value} to {point.code}; device not readable: {exc}"
    command.status = CommandStatus.simulated
    audit(session, command, "simulated", None, command.result)


def _command(session: Session, enterprise_id: int, command_id: int) -> ControlCommand:
    command = session.get(ControlCommand, command_id)
    if command is None or command.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no control command {command_id}")
    return command


def confirm(
    session: Session,
    enterprise_id: int,
    command_id: int,
    body: Confirm,
    user_id: int,
    now: datetime,
) -> CommandOut:
    command = _command(session, enterprise_id, command_id)
    if command.status is not CommandStatus.awaiting_confirmation:
        raise Conflict(
            f"command {command_id} is {command.status.value}; "
            "only a command awaiting confirmation can be confirmed"
        )
    if (body.point_code, body.value) != (command.point.code, command.value):
        raise InvalidInput(
            f"confirmation names {body.point_code} := {body.value}, the command is "
            f"{command.point.code} := {command.value}",
            field="value",
        )
    command.confirmed_by_id = user_id
    audit(session, command, "confirmed", user_id)
    if command.execute_at is not None and command.execute_at > now:
        command.status = CommandStatus.scheduled
        audit(session, command, "scheduled", None, f"runs at {command.execute_at.isoformat()}")
    else:
        execute(session, command, now)
    session.flush()
    return command_out(session, command)


def execute(session: Session, command: ControlCommand, now: datetime) -> None:
    """Write a confirmed command, interlocks checked once more just before."""
    point = _point(session, command.enterprise_id, point_id=command.point_id)
    why = refusal(session, point, command.value, now)
    if why is not None:
        command.status, command.result = CommandStatus.refused, why
        audit(session, command, "refused", None, why)
        return
    try:
        before, after = device.write(_target(point), command.value)
    except device.DeviceError as exc:
        command.status, command.result = CommandStatus.failed, str(exc)
        audit(session, command, "failed", None, str(exc))
        return
    command.previous_value, command.read_back, command.executed_at = before, after, now
    if after == command.value:
        command.status, command.result = (
            CommandStatus.executed,
            f"{point.code}: {before} -> {after}",
        )
        audit(session, command, "executed", None, command.result)
    else:
        command.status = CommandStatus.failed
        command.result = f"{point.code}: wrote {command.value}, read back {after}"
        audit(session, command, "failed", None, command.result)


def cancel(session: Session, enterprise_id: int, command_id: int, user_id: int) -> CommandOut:
    command = _command(session, enterprise_id, command_id)
    if command.status not in PENDING:
        raise Conflict(
            f"command {command_id} is {command.status.value}; only pending ones can be cancelled"
        )
    command.status = CommandStatus.cancelled
    audit(session, command, "cancelled", user_id)
    session.flush()
    return command_out(session, command)


def run_due(session: Session, now: datetime) -> int:
    """Execute scheduled commands whose time has come; returns how many ran."""
    due = session.scalars(
        select(ControlCommand)
        .where(ControlCommand.status == CommandStatus.scheduled, ControlCommand.execute_at <= now)
        .order_by(ControlCommand.execute_at)
        .with_for_update(skip_locked=True)
    ).all()
    for command in due:
        execute(session, command, now)
    return len(due)


def propose_for_alarm(session: Session, rule_id: int, alarm_id: int, now: datetime) -> None:
    """Commands awaiting confirmation for the triggers of a raised alarm's rule."""
    for trigger in session.scalars(select(ControlTrigger).where(ControlTrigger.rule_id == rule_id)):
        point = session.get(ControlPoint, trigger.point_id)
        if point is None:
            continue
        body = CommandCreate(
            point_code=point.code, value=trigger.value, dry_run=False, reason=f"alarm {alarm_id}"
        )
        request(session, point.enterprise_id, body, None, now)


def command_out(session: Session, command: ControlCommand) -> CommandOut:
    audit = session.scalars(
        select(ControlAudit).where(ControlAudit.command_id == command.id).order_by(ControlAudit.id)
    )
    return CommandOut(
        id=command.id,
        point_code=command.point.code,
        value=command.value,
        dry_run=command.dry_run,
        status=command.status,
        reason=command.reason,
        execute_at=command.execute_at,
        requested_by_id=command.requested_by_id,
        confirmed_by_id=command.confirmed_by_id,
        created_at=command.created_at,
        executed_at=command.executed_at,
        previous_value=command.previous_value,
        read_back=command.read_back,
        result=command.result,
        audit=[AuditOut.model_validate(a, from_attributes=True) for a in audit],
    )


def list_commands(session: Session, enterprise_id: int, limit: int = 100) -> list[CommandOut]:
    query = (
        select(ControlCommand)
        .where(ControlCommand.enterprise_id == enterprise_id)
        .options(selectinload(ControlCommand.point))
        .order_by(ControlCommand.id.desc())
        .limit(limit)
    )
    return [command_out(session, c) for c in session.scalars(query)]

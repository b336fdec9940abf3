"""Alarm rules, evaluation over new readings, and the lifecycle
active -> acknowledged -> cleared; every transition is recorded and sent as a webhook."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from nevport.energy import service as energy
from nevport.energy.alarms import conditions, fetch
from nevport.energy.alarms.conditions import Change, Sample, cleared, raised
from nevport.energy.alarms.models import Alarm, AlarmRule, AlarmState, AlarmTransition, RuleKind
from nevport.energy.alarms.schemas import AlarmOut, RuleCreate, RuleOut, TransitionOut
from nevport.energy.analysis import anomaly
from nevport.energy.control import service as control
from nevport.energy.intervals import Resolution
from nevport.energy.models import Reading
from nevport.energy.quantities import Quantity
from nevport.errors import Conflict, InvalidInput, NotFound
from nevport.notify.service import enqueue

ANOMALY_HISTORY = timedelta(hours=48)  # hourly power the detectors see
ANOMALY_RECENT = timedelta(hours=24)  # an anomaly this recent keeps the alarm firing
OPEN = (AlarmState.active, AlarmState.acknowledged)
STREAMED = (RuleKind.threshold, RuleKind.rate_of_change)  # rules that read every new reading
TOPIC = "energy.alarm.{}"


def create_rule(
    session: Session, enterprise_id: int, body: RuleCreate, user_id: int | None
) -> RuleOut:
    channel = energy.stored_channel(session, enterprise_id, body.channel_id)
    _check(body, channel.quantity)
    rule = AlarmRule(
        enterprise_id=enterprise_id,
        **body.model_dump(),
        enabled=True,
        created_by_id=user_id,
        updated_by_id=user_id,
    )
    session.add(rule)
    session.flush()
    return _rule_out(rule)


def _check(body: RuleCreate, quantity: Quantity) -> None:
    needs = {
        RuleKind.threshold: ("limit", body.limit),
        RuleKind.rate_of_change: ("limit", body.limit),
        RuleKind.offline: ("offline_after_s", body.offline_after_s),
        RuleKind.anomaly: ("anomaly_kind", body.anomaly_kind),
    }
    field, given = needs[body.kind]
    if given is None:
        raise InvalidInput(f"a {body.kind.value} rule needs {field}", field=field)
    if body.kind in (RuleKind.threshold, RuleKind.rate_of_change) and quantity.is_counter:
        raise InvalidInput(
            f"channel measures {quantity.value}, a counter; {body.kind.value} rules watch "
            "instantaneous values (power, voltage, current, power factor)",
            field="channel_id",
        )
    if body.kind is RuleKind.anomaly and quantity not in (
        Quantity.active_energy_import,
        Quantity.active_power,
    ):
        raise InvalidInput(
            f"anomaly rules need active energy or power, not {quantity.value}", field="channel_id"
        )


def _rule_out(rule: AlarmRule) -> RuleOut:
    return RuleOut.model_validate(rule, from_attributes=True)


def _rule(session: Session, enterprise_id: int, rule_id: int) -> AlarmRule:
    rule = session.get(AlarmRule, rule_id)
    if rule is None or rule.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no alarm rule {rule_id}")
    return rule


def list_rules(session: Session, enterprise_id: int) -> list[RuleOut]:
    query = select(AlarmRule).where(AlarmRule.enterprise_id == enterprise_id).order_by(AlarmRule.id)
    return [_rule_out(r) for r in session.scalars(query)]


def set_enabled(
    session: Session, enterprise_id: int, rule_id: int, enabled: bool, user_id: int
) -> RuleOut:
    rule = _rule(session, enterprise_id, rule_id)
    rule.enabled, rule.updated_by_id = enabled, user_id
    session.flush()
    return _rule_out(rule)


def delete_rule(session: Session, enterprise_id: int, rule_id: int) -> None:
    session.delete(_rule(session, enterprise_id, rule_id))
    session.flush()


def _alarm_out(alarm: Alarm) -> AlarmOut:
    return AlarmOut(
        id=alarm.id,
        rule_id=alarm.rule_id,
        rule_name=alarm.rule.name,
        kind=alarm.rule.kind,
        severity=alarm.rule.severity,
        channel_id=alarm.rule.channel_id,
        state=alarm.state,
        raised_at=alarm.raised_at,
        value=alarm.value,
        message=alarm.message,
        acknowledged_at=alarm.acknowledged_at,
        acknowledged_by_id=alarm.acknowledged_by_id,
        cleared_at=alarm.cleared_at,
        history=[TransitionOut.model_validate(t, from_attributes=True) for t in alarm.history],
    )


def list_alarms(
    session: Session, enterprise_id: int, state: AlarmState | None = None, limit: int = 200
) -> list[AlarmOut]:
    query = (
        select(Alarm)
        .where(Alarm.enterprise_id == enterprise_id)
        .options(selectinload(Alarm.rule), selectinload(Alarm.history))
        .order_by(Alarm.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(Alarm.state == state)
    return [_alarm_out(a) for a in session.scalars(query)]


def get_alarm(session: Session, enterprise_id: int, alarm_id: int) -> AlarmOut:
    return _alarm_out(_alarm(session, enterprise_id, alarm_id))


def _alarm(session: Session, enterprise_id: int, alarm_id: int) -> Alarm:
    alarm = session.get(Alarm, alarm_id)
    if alarm is None or alarm.enterprise_id != enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} has no alarm {alarm_id}")
    return alarm


def _move(
    session: Session, alarm: Alarm, to: AlarmState, at: datetime, user_id: int | None, note: str
) -> None:
    before = alarm.state if alarm.id is not None else None
    alarm.state = to
    alarm.history.append(
        AlarmTransition(at=at, from_state=before, to_state=to, user_id=user_id, note=note)
    )
    session.flush()
    payload = {
        "alarm_id": alarm.id,
        "rule_id": alarm.rule_id,
        "rule": alarm.rule.name,
        "kind": alarm.rule.kind,
        "severity": alarm.rule.severity,
        "channel_id": alarm.rule.channel_id,
        "state": to,
        "from_state": before,
        "at": at,
        "value": alarm.value,
        "message": alarm.message,
        "user_id": user_id,
        "note": note,
    }
    event = {AlarmState.active: "raised"}.get(to, to.value)
    enqueue(session, TOPIC.format(event), alarm.enterprise_id, payload)


def acknowledge(
    session: Session, enterprise_id: int, alarm_id: int, user_id: int, note: str
) -> AlarmOut:
    alarm = _alarm(session, enterprise_id, alarm_id)
    if alarm.state is not AlarmState.active:
        raise Conflict(
            f"alarm {alarm_id} is {alarm.state.value}; only an active alarm is acknowledged"
        )
    now = datetime.now(UTC)
    alarm.acknowledged_at, alarm.acknowledged_by_id = now, user_id
    _move(session, alarm, AlarmState.acknowledged, now, user_id, note)
    return _alarm_out(alarm)


def _apply(
    session: Session, rule: AlarmRule, open_alarm: Alarm | None, changes: list[Change]
) -> None:
    for change in changes:
        if change.firing and open_alarm is None:
            open_alarm = Alarm(
                rule=rule,
                enterprise_id=rule.enterprise_id,
                state=AlarmState.active,
                raised_at=change.at,
                value=change.value,
                message=change.message[:500],
            )
            session.add(open_alarm)
            _move(session, open_alarm, AlarmState.active, change.at, None, change.message[:500])
            # rule-driven control: proposals only, each waits for a person to confirm
            control.propose_for_alarm(session, rule.id, open_alarm.id, datetime.now(UTC))
        elif not change.firing and open_alarm is not None:
            open_alarm.cleared_at = change.at
            _move(session, open_alarm, AlarmState.cleared, change.at, None, change.message[:500])
            open_alarm = None


def evaluate(session: Session, now: datetime, zone: ZoneInfo) -> int:
    """Evaluate every enabled rule on what arrived since its watermark; returns the number
    of transitions made. Runs in the caller's transaction, webhooks included."""
    rules = session.scalars(select(AlarmRule).where(AlarmRule.enabled).order_by(AlarmRule.id)).all()
    opened = {
        a.rule_id: a
        for a in session.scalars(
            select(Alarm).where(Alarm.state.in_(OPEN), Alarm.rule_id.in_([r.id for r in rules]))
        )
    }
    streamed = fetch.new_samples(session, [r for r in rules if r.kind in STREAMED], now)
    marks: dict[datetime, list[int]] = defaultdict(list)
    moves = 0
    for rule in rules:
        firing = rule.id in opened
        if rule.kind in STREAMED:
            previous, samples = streamed[rule.id]
            if samples:
                marks[samples[-1].ts].append(rule.id)
            changes = _stream_changes(session, rule, firing, previous, samples, now)
        elif rule.kind is RuleKind.offline:
            last = session.scalar(
                select(func.max(Reading.ts)).where(Reading.channel_id == rule.channel_id)
            )
            changes = conditions.offline(last, now, rule.offline_after_s or 0, firing=firing)
        else:
            changes = _anomaly_changes(session, rule, firing, now, zone)
        _apply(session, rule, opened.get(rule.id), changes)
        moves += len(changes)
    _advance(session, marks)
    return moves


def _advance(session: Session, marks: dict[datetime, list[int]]) -> None:
    """Move watermarks with one UPDATE per distinct value (usually one per round) instead
    of one per rule; ``updated_at`` stays the time a person last changed the rule."""
    for mark, ids in marks.items():
        session.execute(
            update(AlarmRule)
            .where(AlarmRule.id.in_(ids))
            .values(watermark=mark, updated_at=AlarmRule.updated_at),
            execution_options={"synchronize_session": False},
        )
        for rule_id in ids:
            rule = session.get(AlarmRule, rule_id)
            if rule is not None:
                set_committed_value(rule, "watermark", mark)


def _stream_changes(
    session: Session,
    rule: AlarmRule,
    firing: bool,
    previous: Sample | None,
    samples: list[Sample],
    now: datetime,
) -> list[Change]:
    if not samples:
        return []
    since = fetch.since_of(rule, now)  # the watermark moves in _advance, all rules at once
    limit, deadband = rule.limit or Decimal(0), rule.deadband
    if rule.kind is RuleKind.threshold:
        return conditions.threshold(
            samples, above=rule.above, limit=limit, deadband=deadband, firing=firing
        )
    if previous is None:
        previous = fetch.sample_before(session, rule.channel_id, since)
    return conditions.rate_of_change(
        previous, samples, limit=limit, deadband=deadband, firing=firing
    )


def _anomaly_changes(
    session: Session, rule: AlarmRule, firing: bool, now: datetime, zone: ZoneInfo
) -> list[Change]:
    hour = now.replace(minute=0, second=0, microsecond=0)
    if rule.watermark is not None and rule.watermark >= hour:
        return []  # this hour's verdict is in; the next complete hour brings new data
    rule.watermark = hour
    series = energy.power_series(
        session,
        rule.enterprise_id,
        rule.channel_id,
        hour - ANOMALY_HISTORY,
        hour,
        Resolution.hour,
        zone,
    )
    hours = [(p.start, None if p.value is None else float(p.value)) for p in series.points]
    found = [
        a
        for a in anomaly.off_shift_load(hours, anomaly.Shifts(), zone)
        + anomaly.step_changes(hours)
        + anomaly.night_above_day(hours, zone)
        if a.kind == rule.anomaly_kind and a.start >= hour - ANOMALY_RECENT
    ]
    if found and not firing:
        a = found[-1]
        return [
            raised(
                hour,
                None,
                f"{a.kind}: {a.detail} ({a.value_w:.0f} W vs {a.reference_w:.0f} W)",
            )
        ]
    if not found and firing:
        return [cleared(hour, None, f"no {rule.anomaly_kind} in the last 24 h")]
    return []

"""Alarm rules and alarms of an enterprise. Rules: read by its readers, changed by its
admins; alarms: acknowledged by the enterprise's own staff or park_admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from nevport.auth.deps import CurrentPrincipal, DbSession
from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.energy.alarms import service
from nevport.energy.alarms.models import AlarmState
from nevport.energy.alarms.schemas import Acknowledge, AlarmOut, RuleCreate, RuleOut, RuleUpdate
from nevport.errors import Forbidden

router = APIRouter(prefix="/api/enterprises/{enterprise_id}/energy", tags=["energy alarms"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _may_write(principal: Principal, enterprise_id: int) -> None:
    if not principal.can_write_enterprise(enterprise_id):
        raise Forbidden(
            f"role {principal.role.value} may not change enterprise {enterprise_id}'s alarm rules"
        )


def _may_operate(principal: Principal, enterprise_id: int) -> None:
    own = principal.role.is_enterprise_role and principal.enterprise_id == enterprise_id
    if not (own or principal.role is Role.park_admin):
        raise Forbidden(
            f"role {principal.role.value} may not acknowledge enterprise {enterprise_id}'s alarms"
        )


@router.get("/alarm-rules", response_model=list[RuleOut])
def list_rules(enterprise_id: Id, _: CurrentPrincipal, session: DbSession) -> list[RuleOut]:
    return service.list_rules(session, enterprise_id)


@router.post("/alarm-rules", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(
    enterprise_id: Id, body: RuleCreate, principal: CurrentPrincipal, session: DbSession
) -> RuleOut:
    _may_write(principal, enterprise_id)
    return service.create_rule(session, enterprise_id, body, principal.user_id)


@router.patch("/alarm-rules/{rule_id}", response_model=RuleOut)
def update_rule(
    enterprise_id: Id,
    rule_id: Id,
    body: RuleUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> RuleOut:
    _may_write(principal, enterprise_id)
    return service.set_enabled(session, enterprise_id, rule_id, body.enabled, principal.user_id)


@router.delete("/alarm-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(
    enterprise_id: Id, rule_id: Id, principal: CurrentPrincipal, session: DbSession
) -> None:
    _may_write(principal, enterprise_id)
    service.delete_rule(session, enterprise_id, rule_id)


@router.get("/alarms", response_model=list[AlarmOut])
def list_alarms(
    enterprise_id: Id,
    _: CurrentPrincipal,
    session: DbSession,
    state: AlarmState | None = None,
    limit: Limit = 200,
) -> list[AlarmOut]:
    return service.list_alarms(session, enterprise_id, state, limit)


@router.get("/alarms/{alarm_id}", response_model=AlarmOut)
def get_alarm(enterprise_id: Id, alarm_id: Id, _: CurrentPrincipal, session: DbSession) -> AlarmOut:
    return service.get_alarm(session, enterprise_id, alarm_id)


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmOut)
def acknowledge(
    enterprise_id: Id,
    alarm_id: Id,
    body: Acknowledge,
    principal: CurrentPrincipal,
    session: DbSession,
) -> AlarmOut:
    _may_operate(principal, enterprise_id)
    return service.acknowledge(session, enterprise_id, alarm_id, principal.user_id, body.note)

"""Webhook routes: an enterprise's subscriptions under its id, the park's at /api/webhooks.

Reading a subscription (never its secret) needs read access to its owner; changing it
needs write access (enterprise_admin of that enterprise, or park_admin).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from nevport.auth.deps import CurrentPrincipal, DbSession, require_roles
from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.errors import Forbidden
from nevport.notify import service
from nevport.notify.schemas import (
    DeliveryOut,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
    SubscriptionUpdate,
)

router = APIRouter(prefix="/api", tags=["webhooks"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=1000)]
ParkAdmin = Annotated[Principal, require_roles(Role.park_admin)]
ENTERPRISE = "/enterprises/{enterprise_id}/webhooks"
PARK = "/webhooks"


def _may_write(principal: Principal, enterprise_id: int) -> None:
    if not principal.can_write_enterprise(enterprise_id):
        raise Forbidden(
            f"role {principal.role.value} may not change enterprise {enterprise_id}'s webhooks"
        )


@router.get(ENTERPRISE, response_model=list[SubscriptionOut])
def list_enterprise(
    enterprise_id: Id, _: CurrentPrincipal, session: DbSession
) -> list[SubscriptionOut]:
    return service.list_subscriptions(session, enterprise_id)


@router.post(ENTERPRISE, response_model=SubscriptionCreated, status_code=status.HTTP_201_CREATED)
def create_enterprise(
    enterprise_id: Id, body: SubscriptionCreate, principal: CurrentPrincipal, session: DbSession
) -> SubscriptionCreated:
    _may_write(principal, enterprise_id)
    return service.create_subscription(session, enterprise_id, body, principal.user_id)


@router.patch(f"{ENTERPRISE}/{{sub_id}}", response_model=SubscriptionOut)
def update_enterprise(
    enterprise_id: Id,
    sub_id: Id,
    body: SubscriptionUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> SubscriptionOut:
    _may_write(principal, enterprise_id)
    return service.set_active(session, enterprise_id, sub_id, body.active, principal.user_id)


@router.delete(f"{ENTERPRISE}/{{sub_id}}", status_code=status.HTTP_204_NO_CONTENT)
def delete_enterprise(
    enterprise_id: Id, sub_id: Id, principal: CurrentPrincipal, session: DbSession
) -> None:
    _may_write(principal, enterprise_id)
    service.delete_subscription(session, enterprise_id, sub_id)


@router.get(f"{ENTERPRISE}/{{sub_id}}/deliveries", response_model=list[DeliveryOut])
def deliveries_enterprise(
    enterprise_id: Id, sub_id: Id, _: CurrentPrincipal, session: DbSession, limit: Limit = 100
) -> list[DeliveryOut]:
    return service.deliveries(session, enterprise_id, sub_id, limit)


@router.post(
    f"{ENTERPRISE}/{{sub_id}}/deliveries/{{delivery_id}}/redeliver",
    status_code=status.HTTP_204_NO_CONTENT,
)
def redeliver_enterprise(
    enterprise_id: Id, sub_id: Id, delivery_id: Id, principal: CurrentPrincipal, session: DbSession
) -> None:
    _may_write(principal, enterprise_id)
    service.redeliver(session, enterprise_id, sub_id, delivery_id)


@router.get(PARK, response_model=list[SubscriptionOut])
def list_park(_: ParkAdmin, session: DbSession) -> list[SubscriptionOut]:
    return service.list_subscriptions(session, None)


@router.post(PARK, response_model=SubscriptionCreated, status_code=status.HTTP_201_CREATED)
def create_park(
    body: SubscriptionCreate, principal: ParkAdmin, session: DbSession
) -> SubscriptionCreated:
    return service.create_subscription(session, None, body, principal.user_id)


@router.patch(f"{PARK}/{{sub_id}}", response_model=SubscriptionOut)
def update_park(
    sub_id: Id, body: SubscriptionUpdate, principal: ParkAdmin, session: DbSession
) -> SubscriptionOut:
    return service.set_active(session, None, sub_id, body.active, principal.user_id)


@router.delete(f"{PARK}/{{sub_id}}", status_code=status.HTTP_204_NO_CONTENT)
def delete_park(sub_id: Id, _: ParkAdmin, session: DbSession) -> None:
    service.delete_subscription(session, None, sub_id)


@router.get(f"{PARK}/{{sub_id}}/deliveries", response_model=list[DeliveryOut])
def deliveries_park(
    sub_id: Id, _: ParkAdmin, session: DbSession, limit: Limit = 100
) -> list[DeliveryOut]:
    return service.deliveries(session, None, sub_id, limit)


@router.post(f"{PARK}/{{sub_id}}/deliveries/{{delivery_id}}/redeliver", status_code=204)
def redeliver_park(sub_id: Id, delivery_id: Id, _: ParkAdmin, session: DbSession) -> None:
    service.redeliver(session, None, sub_id, delivery_id)

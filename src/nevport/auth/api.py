"""Thin routes: sign-in for API clients, the caller's identity, device tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from nevport.auth import service
from nevport.auth.deps import CurrentPrincipal, DbSession, SettingsDep
from nevport.auth.ratelimit import LoginThrottle
from nevport.auth.schemas import (
    DeviceTokenCreate,
    DeviceTokenCreated,
    DeviceTokenOut,
    TokenOut,
    UserOut,
)
from nevport.auth.security import create_access_token
from nevport.errors import AuthError, Forbidden, NotFound

router = APIRouter(prefix="/api", tags=["auth"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def throttle(request: Request) -> LoginThrottle:
    limiter: LoginThrottle = request.app.state.login_throttle
    return limiter


@router.post("/auth/token", response_model=TokenOut)
def issue_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: DbSession,
    settings: SettingsDep,
) -> TokenOut:
    """OAuth2 password flow: a bearer JWT for a username and password."""
    limiter, client = throttle(request), client_address(request)
    limiter.check(client, form.username)
    try:
        user = service.authenticate(session, form.username, form.password)
    except AuthError:
        limiter.failed(client, form.username)
        raise
    limiter.succeeded(client, form.username)
    token, lifetime = create_access_token(
        settings.require_secret_key(),
        user_id=user.id,
        role=user.role.value,
        minutes=settings.access_token_minutes,
    )
    return TokenOut(access_token=token, expires_in=lifetime)


@router.get("/auth/me", response_model=UserOut)
def me(principal: CurrentPrincipal, session: DbSession) -> UserOut:
    return UserOut.model_validate(service.load_active_user(session, principal.user_id))


def _writable(principal: CurrentPrincipal, enterprise_id: int) -> None:
    if not principal.can_write_enterprise(enterprise_id):
        raise Forbidden(
            f"role {principal.role.value} may not manage tokens of enterprise {enterprise_id}"
        )


@router.get("/enterprises/{enterprise_id}/device-tokens", response_model=list[DeviceTokenOut])
def list_tokens(
    enterprise_id: int, principal: CurrentPrincipal, session: DbSession
) -> list[DeviceTokenOut]:
    _writable(principal, enterprise_id)
    rows = service.list_device_tokens(session, enterprise_id)
    return [DeviceTokenOut.model_validate(row) for row in rows]


@router.post(
    "/enterprises/{enterprise_id}/device-tokens",
    response_model=DeviceTokenCreated,
    status_code=status.HTTP_201_CREATED,
)
def create_token(
    enterprise_id: int, body: DeviceTokenCreate, principal: CurrentPrincipal, session: DbSession
) -> DeviceTokenCreated:
    _writable(principal, enterprise_id)
    plain, row = service.create_device_token(
        session, enterprise_id, body.name, created_by_id=principal.user_id
    )
    return DeviceTokenCreated(token=plain, **DeviceTokenOut.model_validate(row).model_dump())


@router.delete(
    "/enterprises/{enterprise_id}/device-tokens/{token_id}", response_model=DeviceTokenOut
)
def revoke_token(
    enterprise_id: int, token_id: int, principal: CurrentPrincipal, session: DbSession
) -> DeviceTokenOut:
    _writable(principal, enterprise_id)
    row = service.get_device_token(session, token_id)
    if row.enterprise_id != enterprise_id:
        raise NotFound(f"device token {token_id} does not belong to enterprise {enterprise_id}")
    return DeviceTokenOut.model_validate(service.revoke_device_token(session, token_id))

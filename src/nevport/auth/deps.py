"""FastAPI dependencies: the database session, the caller, and the tenancy guard.

``enterprise_guard`` is installed once on the whole application: every route whose
path carries ``{enterprise_id}`` passes through it, so a route added later is guarded
without anyone remembering to. List queries go through ``nevport.auth.tenancy``.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from nevport.auth import service
from nevport.auth.models import DeviceToken
from nevport.auth.roles import Role
from nevport.auth.security import decode_access_token
from nevport.auth.service import Principal
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.errors import AuthError, Forbidden

SESSION_COOKIE = "nevport_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# Dependencies that do no I/O are ``async def``: FastAPI runs them on the event loop
# instead of handing each one to a worker thread, which costs more than their work.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed before the response leaves.

    An async generator on purpose: its commit and close run on the event loop. A sync
    generator would need a free worker thread to close its session, and under load every
    worker can be waiting for a pooled connection that only such a close would return.
    """
    database: Database = request.app.state.db
    with database.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be 'Bearer <token>'")
    return token.strip()


def _resolve_principal(
    request: Request, session: DbSession, settings: SettingsDep
) -> Principal | None:
    token = _bearer(request)
    if token is not None and token.startswith(f"{service.DEVICE_TOKEN_PREFIX}_"):
        return None  # a machine, not a person: only CurrentDevice routes accept it
    if token is not None:
        user_id = decode_access_token(settings.require_secret_key(), token)
        return service.principal_of(service.load_active_user(session, user_id))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user, row = service.resolve_web_session(session, cookie)
        return service.principal_of(user, row.csrf_token)
    return None


async def _check_csrf(request: Request, expected: str) -> None:
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given, expected):
        raise Forbidden(
            "CSRF token missing or wrong",
            hint=f"send the form's {CSRF_FIELD} field or the {CSRF_HEADER} header",
        )


async def optional_principal(
    request: Request, principal: Annotated[Principal | None, Depends(_resolve_principal)]
) -> Principal | None:
    """The caller, or None when anonymous. Cookie-borne writes must carry the CSRF token."""
    if principal is not None and principal.csrf_token and request.method in UNSAFE_METHODS:
        await _check_csrf(request, principal.csrf_token)
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def current_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise AuthError("not signed in", hint="send 'Authorization: Bearer <token>'")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> object:
    """A dependency that lets only ``roles`` through."""
    allowed = frozenset(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"role {principal.role.value} may not do this; needs one of {names}")
        return principal

    return Depends(check)


async def enterprise_guard(request: Request, principal: OptionalPrincipal) -> None:
    """Refuse any route under ``{enterprise_id}`` outside the caller's tenancy."""
    raw = request.path_params.get("enterprise_id")
    if raw is None:
        return
    if principal is None:
        raise AuthError("sign in to see enterprise data")
    try:
        enterprise_id = int(raw)
    except ValueError:
        return  # the route's own validation answers 422 with the field name
    if not principal.can_read_enterprise(enterprise_id):
        raise Forbidden(f"enterprise {enterprise_id} is outside the scope of your account")


def current_device(request: Request, session: DbSession) -> DeviceToken:
    """The device token in the Authorization header (machines pushing data)."""
    token = _bearer(request)
    if token is None:
        raise AuthError("device token required", hint="send 'Authorization: Bearer nvd_...'")
    return service.resolve_device_token(session, token)


CurrentDevice = Annotated[DeviceToken, Depends(current_device)]

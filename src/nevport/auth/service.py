"""Users, sessions and device tokens, callable without HTTP."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nevport.auth.models import DeviceToken, User, WebSession
from nevport.auth.roles import Role
from nevport.auth.security import (
    hash_opaque_token,
    hash_password,
    new_opaque_token,
    verify_password,
)
from nevport.db.base import utcnow
from nevport.errors import AuthError, Conflict, InvalidInput, NotFound

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD_LENGTH = 10  # [characters]
DEVICE_TOKEN_PREFIX = "nvd"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as every dependency and service sees it."""

    user_id: int
    username: str
    role: Role
    enterprise_id: int | None
    csrf_token: str | None = None  # set when authenticated by a browser session

    def can_read_enterprise(self, enterprise_id: int) -> bool:
        if self.role.sees_all_enterprises:
            return True
        return self.role.is_enterprise_role and self.enterprise_id == enterprise_id

    def can_write_enterprise(self, enterprise_id: int) -> bool:
        if self.role is Role.park_admin:
            return True
        return self.role is Role.enterprise_admin and self.enterprise_id == enterprise_id


def principal_of(user: User, csrf_token: str | None = None) -> Principal:
    return Principal(user.id, user.username, user.role, user.enterprise_id, csrf_token)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    enterprise_id: int | None = None,
    display_name: str = "",
) -> User:
    role = _parse_role(role)
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            f"{username!r} is not a valid username; use 3-64 letters, digits, '_', '.' or '-'",
            field="username",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password has {len(password)} characters, need at least {MIN_PASSWORD_LENGTH}",
            field="password",
        )
    if role.is_enterprise_role != (enterprise_id is not None):
        need = "needs --enterprise ID" if role.is_enterprise_role else "takes no enterprise"
        raise InvalidInput(f"role {role.value} {need}", field="enterprise_id")
    if enterprise_id is not None:
        _require_enterprise(session, enterprise_id)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists", field="username")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        enterprise_id=enterprise_id,
        display_name=display_name or username,
    )
    session.add(user)
    session.flush()
    return user


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"unknown role {role!r}; expected one of {known}", field="role"
        ) from None


def _require_enterprise(session: Session, enterprise_id: int) -> None:
    from nevport.park.models import Enterprise  # auth sits below park; only the id is checked

    if session.get(Enterprise, enterprise_id) is None:
        raise NotFound(f"enterprise {enterprise_id} does not exist", field="enterprise_id")


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials, or AuthError (same message either way)."""
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise AuthError("incorrect username or password")
    user.last_login_at = utcnow()
    return user


def load_active_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise AuthError("the account behind this credential no longer exists or is disabled")
    return user


# --- browser sessions -------------------------------------------------------------------


def open_web_session(session: Session, user: User, hours: int) -> tuple[str, WebSession]:
    """A new browser session; returns the cookie value (shown once) and the row."""
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=hash_opaque_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return token, row


def resolve_web_session(session: Session, token: str) -> tuple[User, WebSession]:
    row = session.get(WebSession, hash_opaque_token(token))
    if row is None or row.expires_at <= utcnow():
        raise AuthError("session has expired; sign in again")
    return load_active_user(session, row.user_id), row


def close_web_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == hash_opaque_token(token)))


# --- device tokens ----------------------------------------------------------------------


def create_device_token(
    session: Session, enterprise_id: int, name: str, *, created_by_id: int | None = None
) -> tuple[str, DeviceToken]:
    """A new device token; the plain value is returned once and never stored."""
    if not name.strip() or len(name) > 128:
        raise InvalidInput("token name must be 1-128 characters", field="name")
    _require_enterprise(session, enterprise_id)
    plain = new_opaque_token(DEVICE_TOKEN_PREFIX)
    row = DeviceToken(
        enterprise_id=enterprise_id,
        name=name.strip(),
        prefix=plain[:10],
        token_hash=hash_opaque_token(plain),
        created_by_id=created_by_id,
    )
    session.add(row)
    session.flush()
    return plain, row


def list_device_tokens(session: Session, enterprise_id: int | None = None) -> list[DeviceToken]:
    query = select(DeviceToken).order_by(DeviceToken.id)
    if enterprise_id is not None:
        query = query.where(DeviceToken.enterprise_id == enterprise_id)
    return list(session.scalars(query))


def get_device_token(session: Session, token_id: int) -> DeviceToken:
    row = session.get(DeviceToken, token_id)
    if row is None:
        raise NotFound(f"device token {token_id} does not exist", field="token_id")
    return row


def revoke_device_token(session: Session, token_id: int) -> DeviceToken:
    row = get_device_token(session, token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def resolve_device_token(session: Session, plain: str) -> DeviceToken:
    row = session.scalar(
        select(DeviceToken).where(DeviceToken.token_hash == hash_opaque_token(plain))
    )
    if row is None:
        raise AuthError("device token is unknown")
    if row.revoked_at is not None:
        raise AuthError(f"device token {row.prefix}... was revoked")
    row.last_used_at = utcnow()
    return row

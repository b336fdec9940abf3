"""Password hashing, access tokens and opaque random tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from nevport.errors import AuthError

JWT_ALGORITHM = "HS256"
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile
# Verified against when a username is unknown, so both paths cost one argon2 verification.
_DUMMY_HASH = _hasher.hash("nevport-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(secret: str, *, user_id: int, role: str, minutes: int) -> tuple[str, int]:
    """A signed JWT for ``user_id`` and its lifetime in seconds."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": role,
        "typ": "access",
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), minutes * 60


def decode_access_token(secret: str, token: str) -> int:
    """The user id inside a valid, unexpired access token."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("access token has expired", hint="request a new one") from exc
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"access token is invalid: {exc}") from exc
    if claims.get("typ") != "access" or not str(claims["sub"]).isdigit():
        raise AuthError("access token is not a nevport access token")
    return int(claims["sub"])


def new_opaque_token(prefix: str) -> str:
    """A random credential such as ``nvd_...``; 256 bits of entropy."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_opaque_token(token: str) -> str:
    """SHA-256 suffices for 256-bit random tokens: there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()

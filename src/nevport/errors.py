"""One error tree for the platform.

Every error says what was given, what was expected and where. The CLI prints
``str(error)`` on one line and exits 2; the web layer maps each class to an HTTP status.
"""

from __future__ import annotations


class NevportError(Exception):
    """Base of every error nevport raises on purpose."""

    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        tail = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{tail}"


class ConfigError(NevportError):
    """Settings are missing or unsafe."""


class InvalidInput(NevportError):
    """A value given by a user, a file or a device is not acceptable."""

    http_status = 422


class NotFound(NevportError):
    http_status = 404


class Conflict(NevportError):
    """The request would break a uniqueness rule (a duplicate name or code)."""

    http_status = 409


class AuthError(NevportError):
    """Credentials are missing, wrong, expired or revoked."""

    http_status = 401


class Forbidden(NevportError):
    """The caller is known but the role or tenancy does not allow this."""

    http_status = 403


class RateLimited(NevportError):
    http_status = 429

    def __init__(self, message: str, *, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s

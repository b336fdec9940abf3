"""Sign-in, sign-out and the language switch.

The login form has no session to carry a CSRF token yet, so it uses a double-submit
token: a random value in a cookie scoped to ``/login`` and the same value in a hidden
field. A cross-site form can send the cookie but cannot read it to fill in the field.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from nevport.auth import service
from nevport.auth.api import client_address, throttle
from nevport.auth.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    DbSession,
    OptionalPrincipal,
    SettingsDep,
)
from nevport.config import Settings
from nevport.errors import AuthError, RateLimited
from nevport.web.i18n import LANG_COOKIE, catalog
from nevport.web.pages.render import local_path, render, secure_headers, translator

LOGIN_CSRF_COOKIE = "nevport_login_csrf"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600  # [s] a language choice outlives sessions
_TOKEN_BYTES = 32

router = APIRouter(include_in_schema=False)
NextQuery = Annotated[str, Query(alias="next", max_length=2000)]


def _login_token(request: Request) -> str:
    """The browser's pre-session token, reused so that two open login tabs both work."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if (
        32 <= len(existing) <= 64
        and existing.isascii()
        and existing.replace("-", "").replace("_", "").isalnum()
    ):
        return existing
    return secrets.token_urlsafe(_TOKEN_BYTES)


def _login_form(
    request: Request,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    token = _login_token(request)
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": next_path, "username": username, "error": error},
        status_code=status_code,
    )
    settings: Settings = request.app.state.settings
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
    )
    return response


def login_page(request: Request, next_path: str, status_code: int = 200) -> Response:
    """The sign-in form, which returns to ``next_path`` (a local path) afterwards."""
    return _login_form(request, next_path=local_path(next_path), status_code=status_code)


@router.get("/login")
def login_form(
    request: Request, principal: OptionalPrincipal, next_path: NextQuery = "/"
) -> Response:
    if principal is not None and principal.csrf_token:
        return RedirectResponse(local_path(next_path), status_code=303)
    return login_page(request, next_path)


@router.post("/login")
def login(
    *,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    t = translator(request)
    target = local_path(next_path)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_form(
            request,
            next_path=target,
            username=username,
            error=t("login.error_csrf"),
            status_code=403,
        )
    limiter, client = throttle(request), client_address(request)
    try:
        limiter.check(client, username)
        user = service.authenticate(session, username, password)
    except RateLimited as exc:
        error = t("login.error_throttled", seconds=exc.retry_after_s)
        return _login_form(
            request, next_path=target, username=username, error=error, status_code=429
        )
    except AuthError:
        limiter.failed(client, username)
        error = t("login.error_credentials")
        return _login_form(
            request, next_path=target, username=username, error=error, status_code=401
        )
    limiter.succeeded(client, username)
    token, _row = service.open_web_session(session, user, settings.session_hours)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, principal: CurrentPrincipal, session: DbSession) -> Response:
    """Ends the browser session; ``optional_principal`` has checked the CSRF token already."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and principal.csrf_token:
        service.close_web_session(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next_path: NextQuery = "/") -> Response:
    """Remembers the language in a cookie and goes back to the page it was chosen on."""
    catalog(code)  # refuses a language that is not offered (NotFound)
    response = RedirectResponse(local_path(next_path), status_code=303)
    settings: Settings = request.app.state.settings
    response.set_cookie(
        LANG_COOKIE,
        code,
        max_age=LANG_COOKIE_MAX_AGE,
        path="/",
        samesite="lax",
        secure=settings.cookie_secure,
    )
    secure_headers(response)
    return response


__all__ = ["LOGIN_CSRF_COOKIE", "login_page", "router"]

"""Rendering: the Jinja environment, the per-request context, security headers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

import nevport
from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.config import Settings
from nevport.web.i18n import LANG_COOKIE, LANGUAGE_NAMES, Translator, choose_language

# Pages load nothing from elsewhere; styles stay 'unsafe-inline' because ECharts and
# htmx set element styles at run time.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
LISTING_ROLES = frozenset(
    {Role.park_admin, Role.regulator, Role.enterprise_admin, Role.enterprise_user}
)


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    label: str  # a catalog key
    active: bool


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("nevport.web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = lambda path: f"/static/{path}?v={nevport.__version__}"
    env.globals["version"] = nevport.__version__
    env.globals["languages"] = LANGUAGE_NAMES
    return env


def translator(request: Request) -> Translator:
    """The translator for this request's language (cookie, Accept-Language, default)."""
    settings: Settings = request.app.state.settings
    language = choose_language(
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        settings.default_language,
    )
    return Translator(language)


def local_path(target: str | None, fallback: str = "/") -> str:
    """``target`` when it is a path on this site, else ``fallback`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def current_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def navigation(principal: Principal | None, path: str) -> list[NavItem]:
    if principal is None:
        return []
    items = [NavItem("/", "nav.overview", path == "/")]
    if principal.role.sees_all_enterprises:
        items.append(NavItem("/enterprises", "nav.enterprises", path.startswith("/enterprises")))
    elif principal.role.is_enterprise_role and principal.enterprise_id is not None:
        own = f"/enterprises/{principal.enterprise_id}"
        items.append(NavItem(own, "nav.my_enterprise", path.startswith("/enterprises")))
    if principal.role.sees_all_enterprises or principal.role.is_enterprise_role:
        items.append(NavItem("/environment", "nav.environment", "environment" in path))
    if principal.role.sees_all_enterprises:
        items.append(
            NavItem("/energy", "nav.energy", path.endswith("/energy") or "/energy/" in path)
        )
    elif principal.role.is_enterprise_role and principal.enterprise_id is not None:
        own = f"/enterprises/{principal.enterprise_id}/energy"
        items.append(NavItem(own, "nav.energy", path.startswith(own)))
    return items


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """``template`` rendered in the request's language, with the shared page context."""
    t = translator(request)
    values: dict[str, Any] = {
        "t": t,
        "lang": t.language,
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else None,
        "nav": navigation(principal, request.url.path),
        "current_path": current_path(request),
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    secure_headers(response)
    response.headers["Content-Language"] = t.language
    response.headers["Vary"] = "Cookie, Accept-Language, HX-Request"
    return response


def secure_headers(response: Response) -> None:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"

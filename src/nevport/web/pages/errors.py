"""Error pages: every NevportError a page raises, rendered in the reader's language."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from nevport.auth import service
from nevport.auth.deps import SESSION_COOKIE
from nevport.auth.service import Principal
from nevport.db.engine import Database
from nevport.errors import AuthError, NevportError, RateLimited
from nevport.web.pages.render import current_path, local_path, render, translator
from nevport.web.pages.session import login_page

# Statuses with their own wording in the catalogs; others share "error.generic.*".
WORDED_STATUSES = frozenset({401, 403, 404, 409, 413, 422, 429})


def error_page(request: Request, exc: NevportError) -> Response:
    """A translated page for ``exc`` with its HTTP status; sign-in problems go to the login."""
    if isinstance(exc, AuthError):
        return _to_login(request)
    t = translator(request)
    group = str(exc.http_status) if exc.http_status in WORDED_STATUSES else "generic"
    response = render(
        request,
        "error.html",
        {
            "status": exc.http_status,
            "title": t(f"error.{group}.title"),
            "message": t(f"error.{group}.message"),
            "detail": str(exc),
        },
        principal=_signed_in(request),
        status_code=exc.http_status,
    )
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _to_login(request: Request) -> Response:
    """A GET goes to /login?next=<here>; htmx is told to navigate; other methods get the form."""
    here = local_path(current_path(request))
    if request.headers.get("HX-Request") == "true":
        source = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = local_path(source.path + (f"?{source.query}" if source.query else ""))
        response: Response = Response(
            status_code=401, headers={"HX-Redirect": f"/login?next={quote(back)}"}
        )
    elif request.method in ("GET", "HEAD"):
        response = RedirectResponse(f"/login?next={quote(here)}", status_code=303)
    else:
        response = login_page(request, "/", status_code=401)
    if SESSION_COOKIE in request.cookies:
        response.delete_cookie(SESSION_COOKIE, path="/")  # stale or revoked; stop sending it
    return response


def _signed_in(request: Request) -> Principal | None:
    """The browser's principal for the page header, or None; errors here are not raised."""
    token = request.cookies.get(SESSION_COOKIE)
    database: Database | None = getattr(request.app.state, "db", None)
    if not token or database is None:
        return None
    try:
        with database.session() as session:
            user, row = service.resolve_web_session(session, token)
            return service.principal_of(user, row.csrf_token)
    except NevportError:
        return None

"""The application factory: API, pages, static assets, error mapping, the tenancy guard."""

from __future__ import annotations

from importlib.resources import files

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

import nevport
from nevport.auth.api import router as auth_router
from nevport.auth.deps import enterprise_guard
from nevport.auth.ratelimit import LoginThrottle
from nevport.config import Settings
from nevport.db.engine import Database
from nevport.energy.alarms.api import router as energy_alarms_router
from nevport.energy.alarms.loop import alarm_loop
from nevport.energy.analysis.api import router as energy_analysis_router
from nevport.energy.api import router as energy_router
from nevport.energy.control.api import router as energy_control_router
from nevport.energy.control.loop import control_loop
from nevport.energy.receiver import mqtt_receiver
from nevport.environment.api import router as environment_router
from nevport.environment.supervise import supervision_loop
from nevport.errors import AuthError, NevportError, RateLimited
from nevport.notify import delivery as notify_delivery
from nevport.notify.api import router as notify_router
from nevport.park.api import router as park_router
from nevport.web import pages
from nevport.web.background import BackgroundTask, lifespan_for
from nevport.web.limits import BodySizeLimit

# Long-running loops of each domain (collectors' receivers, rule engines, notifiers).
BACKGROUND_TASKS: list[BackgroundTask] = [
    notify_delivery.run,
    mqtt_receiver,
    alarm_loop,
    control_loop,
]
BACKGROUND_TASKS.append(supervision_loop)  # environmental rules over new stored power


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """A configured application. The schema must already be migrated."""
    app = FastAPI(
        title="nevport",
        version=nevport.__version__,
        summary="Smart automotive industrial park platform",
        dependencies=[Depends(enterprise_guard)],
        docs_url=None,  # served below from the package's own assets: no CDN
        redoc_url=None,
        lifespan=lifespan_for(BACKGROUND_TASKS, enabled=settings.background_tasks),
    )
    app.state.settings = settings
    app.state.db = database or Database(settings.resolved_database_url)
    app.state.login_throttle = LoginThrottle(settings.login_max_failures, settings.login_window_s)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.mount("/static", StaticFiles(directory=str(files("nevport.web") / "static")), name="static")
    app.include_router(auth_router)
    app.include_router(park_router)
    app.include_router(energy_router)
    app.include_router(energy_analysis_router)
    app.include_router(energy_alarms_router)
    app.include_router(energy_control_router)
    app.include_router(environment_router)
    app.include_router(notify_router)
    app.include_router(pages.router)
    app.add_exception_handler(NevportError, _nevport_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="nevport API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
        )

    @app.get("/healthz", tags=["ops"])
    def healthz(request: Request) -> dict[str, str]:
        db: Database = request.app.state.db
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "version": nevport.__version__, "database": db.backend}

    return app


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", ""
    )


async def _nevport_error(request: Request, exc: NevportError) -> Response:
    if _wants_html(request):
        return pages.error_page(request, exc)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_s)
    if isinstance(exc, AuthError):
        headers["WWW-Authenticate"] = "Bearer"
    content: dict[str, object] = {"detail": str(exc)}
    if exc.field:
        content["field"] = exc.field
    return JSONResponse(content, status_code=exc.http_status, headers=headers)


def _as_page_error(status: int, detail: str) -> NevportError:
    error = NevportError(detail)
    error.http_status = status
    return error


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Framework errors (unknown page, wrong method) as pages for browsers, JSON for the API."""
    if _wants_html(request):
        return pages.error_page(request, _as_page_error(exc.status_code, str(exc.detail)))
    return await http_exception_handler(request, exc)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if _wants_html(request):
        fields = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        return pages.error_page(request, _as_page_error(422, fields))
    return await request_validation_exception_handler(request, exc)

"""create_app(settings) -> FastAPI: routers, error handlers, the login switch, static files.

Routes come in two groups. Public ones (the API's health, version and customer token routes;
the customer's pages, published transparency, /login, /logout, /static) are included first
and as they are. Everything else, the dashboard, every other API route and the API docs,
depends on `current_actor`, which refuses an anonymous request while security is on: 401 with
`WWW-Authenticate: Basic` under /api, a redirect to /login elsewhere. Writes sent from another
site are refused app-wide (accounts/security.py, `refuse_cross_site`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.engine import Engine

from trustpulse import __version__
from trustpulse.accounts.actors import current_actor
from trustpulse.accounts.security import (
    LoginRequiredError,
    LoginThrottle,
    build_guard,
    refuse_cross_site,
)
from trustpulse.config import Settings
from trustpulse.errors import TrustPulseError
from trustpulse.jobs.scheduler import Scheduler
from trustpulse.metrics import columns
from trustpulse.runtime import build_runtime, set_runtime

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings, *, engine: Engine | None = None, serve_jobs: bool = False
) -> FastAPI:
    """Build the app. `serve_jobs` (the `serve` command) installs this app's runtime for jobs
    and, in embedded mode (no Redis), runs the in-process scheduler while the app is up."""
    guard = build_guard(settings)  # before anything is opened: a bad key file stops here
    runtime = build_runtime(settings, engine)
    owns_engine = engine is None
    # pages read the columnar scores web.prepare saves under home (any process may build them)
    columns.use_home(runtime.engine.url.render_as_string(hide_password=True), settings.home)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not serve_jobs:
            yield
            if owns_engine:
                runtime.engine.dispose()
            return
        set_runtime(runtime)
        scheduler = (
            None if settings.redis_url else Scheduler(runtime.session_factory, settings=settings)
        )
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            if owns_engine:
                runtime.engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="TrustPulse",
        version=__version__,
        description="Customer-trust management: voice of the customer, complaints, trust metrics.",
        docs_url=None,  # served below, behind the login
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(refuse_cross_site)],
    )
    app.state.settings = settings
    app.state.guard = guard
    app.state.login_throttle = LoginThrottle()
    app.state.runtime = runtime
    app.state.session_factory = runtime.session_factory

    @app.exception_handler(TrustPulseError)
    async def _trustpulse_error(_request: Request, exc: TrustPulseError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": exc.message, "code": exc.code, **_jsonable(exc.details)},
        )

    @app.exception_handler(LoginRequiredError)
    async def _login_required(request: Request, exc: LoginRequiredError) -> Response:
        if request.url.path == "/api" or request.url.path.startswith("/api/"):
            return JSONResponse(
                status_code=exc.status_code,
                content={"detail": exc.message, "code": exc.code},
                headers={"WWW-Authenticate": 'Basic realm="TrustPulse", charset="UTF-8"'},
            )
        return login_redirect(request)

    @app.exception_handler(Exception)
    async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # Anything that is not a TrustPulseError is a bug: log it, expose nothing.
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            status_code=500, content={"detail": "internal error", "code": "internal_error"}
        )

    from trustpulse import api  # noqa: PLC0415 -- routers import services
    from trustpulse.web import pages  # noqa: PLC0415
    from trustpulse.web.login import login_redirect  # noqa: PLC0415

    # public first: /login must win over the dashboard's /{slot} placeholder
    app.include_router(api.public, prefix="/api")
    app.include_router(pages.public)
    signed_in = [Depends(current_actor)]
    _add_docs(app, dependencies=signed_in)  # before the dashboard: /redoc is no placeholder
    for router in api.routers:
        app.include_router(router, prefix="/api", dependencies=signed_in)
    app.include_router(pages.router, dependencies=signed_in)
    return app


def _add_docs(app: FastAPI, *, dependencies: list[Any]) -> None:
    """OpenAPI and its two viewers, with the login the API routes want."""

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=dependencies)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False, dependencies=dependencies)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title=f"{app.title} API")

    @app.get("/redoc", include_in_schema=False, dependencies=dependencies)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/api/openapi.json", title=f"{app.title} API")


def _jsonable(details: dict[str, object]) -> dict[str, object]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v)
        for k, v in details.items()
    }

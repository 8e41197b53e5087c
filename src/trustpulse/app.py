"""create_app(settings) -> FastAPI: routers, error handler, static files."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from trustpulse import __version__
from trustpulse.config import Settings
from trustpulse.errors import TrustPulseError
from trustpulse.jobs.scheduler import Scheduler
from trustpulse.runtime import build_runtime, set_runtime

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings, *, engine: Engine | None = None, serve_jobs: bool = False
) -> FastAPI:
    """Build the app. `serve_jobs` (the `serve` command) installs this app's runtime for jobs
    and, in embedded mode (no Redis), runs the in-process scheduler while the app is up."""
    runtime = build_runtime(settings, engine)
    owns_engine = engine is None

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
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.session_factory = runtime.session_factory

    @app.exception_handler(TrustPulseError)
    async def _trustpulse_error(_request: Request, exc: TrustPulseError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": exc.message, "code": exc.code, **_jsonable(exc.details)},
        )

    @app.exception_handler(Exception)
    async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # Anything that is not a TrustPulseError is a bug: log it, expose nothing.
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            status_code=500, content={"detail": "internal error", "code": "internal_error"}
        )

    from trustpulse.api import router as api_router  # noqa: PLC0415 -- routers import services
    from trustpulse.web.pages import router as web_router  # noqa: PLC0415

    app.include_router(api_router, prefix="/api")
    app.include_router(web_router)
    return app


def _jsonable(details: dict[str, object]) -> dict[str, object]:
    return {
        k: v if isinstance(v, str | int | float | bool | None) else str(v)
        for k, v in details.items()
    }

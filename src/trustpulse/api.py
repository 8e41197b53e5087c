"""The /api routers: `public` (health, version, the customer's own case and survey by token)
and `routers`, each domain's routes, which app.py includes behind the login (current_actor)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from trustpulse import __version__
from trustpulse.complaints.api import router as complaints_router
from trustpulse.complaints.care_api import customer_router
from trustpulse.complaints.care_api import router as care_router
from trustpulse.db import DbSession
from trustpulse.feedback.api import router as feedback_router
from trustpulse.metrics.api import router as metrics_router
from trustpulse.transparency.api import router as transparency_router

public = APIRouter()


@public.get("/health", tags=["system"])
def health(session: DbSession) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}


@public.get("/version", tags=["system"])
def version() -> dict[str, str]:
    return {"version": __version__}


public.include_router(customer_router)
# Each included directly by the app, not through one more router: FastAPI matches a request
# again at every level of included routers, so a level fewer is less work on every request.
# Complaints first: their writes are the busiest routes, and FastAPI tries routes in order
# (each domain has its own prefix, so the order changes no match). After-care before the
# other complaint routes: its literal segments (credits, contracts, rules …) must win.
routers = (care_router, complaints_router, feedback_router, metrics_router, transparency_router)

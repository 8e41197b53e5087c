"""The /api router: health, version, and each domain's router."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from trustpulse import __version__
from trustpulse.complaints.api import router as complaints_router
from trustpulse.db import DbSession
from trustpulse.feedback.api import router as feedback_router
from trustpulse.metrics.api import router as metrics_router
from trustpulse.transparency.api import router as transparency_router

router = APIRouter()


@router.get("/health", tags=["system"])
def health(session: DbSession) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}


@router.get("/version", tags=["system"])
def version() -> dict[str, str]:
    return {"version": __version__}


router.include_router(feedback_router)
router.include_router(complaints_router)
router.include_router(metrics_router)
router.include_router(transparency_router)

"""The `web.prepare` job: prepare the dashboard's expensive results once the rollups are fresh.

It runs every `PREPARE_EVERY_SECONDS` and does nothing while the prepared results match the
data (one watermark read) or while the rollups lag behind the feedback (the `metrics.rollup`
job is about to change the watermark anyway); otherwise it prepares every brand's default
views (web/prepare.py).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.db import session_scope
from trustpulse.jobs.registry import job
from trustpulse.jobs.scheduler import periodic, schedule_every
from trustpulse.metrics import cache
from trustpulse.runtime import get_runtime
from trustpulse.web.prepare import prepare_dashboard

logger = logging.getLogger(__name__)

PREPARE_JOB = "web.prepare"
PREPARE_KEY = "web.prepare.every"
PREPARE_EVERY_SECONDS = 60


@job(PREPARE_JOB)
def prepare() -> dict[str, object]:
    """Idempotent: a second run at the same data finds everything prepared and returns."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory, read_only=True) as session:
        if not cache.rollups_fresh(session):
            return {"skipped": "rollups not fresh"}
    done = prepare_dashboard(runtime.session_factory, runtime.settings)
    summary: dict[str, object] = {
        "skipped": "already prepared" if done.skipped else None,
        "brands": done.brands,
        "results": done.results,
        "seconds": round(done.seconds, 1),
    }
    if not done.skipped:
        logger.info("dashboard results prepared: %s", summary)
    return summary


@periodic
def schedule_prepare(session: Session, _settings: Settings) -> None:
    schedule_every(session, PREPARE_JOB, PREPARE_EVERY_SECONDS, PREPARE_KEY)

"""The `web.prepare` job: keep the dashboard's prepared results close to the data.

It runs every `PREPARE_EVERY_SECONDS` and does nothing while the prepared results match the
data (one watermark read). Otherwise it prepares every brand's default views (web/prepare.py)
as soon as the rollups are fresh (the data has settled since the last rollup build), or when
the last preparation is older than `REFRESH_AFTER_SECONDS` (data arriving all the time keeps
the rollups a step behind; pages meanwhile serve the last results "as of" their time).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.db import session_scope, utcnow
from trustpulse.jobs.registry import job
from trustpulse.jobs.scheduler import periodic, schedule_every
from trustpulse.metrics import cache
from trustpulse.runtime import get_runtime
from trustpulse.web.prepare import is_prepared, last_prepared, prepare_dashboard

logger = logging.getLogger(__name__)

PREPARE_JOB = "web.prepare"
PREPARE_KEY = "web.prepare.every"
PREPARE_EVERY_SECONDS = 60
REFRESH_AFTER_SECONDS = 600  # well inside cache.STALE_SECONDS, with a 1M run taking ~4 min


@job(PREPARE_JOB)
def prepare() -> dict[str, object]:
    """Idempotent: a second run at the same data finds everything prepared and returns."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory, read_only=True) as session:
        if is_prepared(session):
            return {"skipped": "already prepared"}
        last = last_prepared(session)
        recent = last is not None and utcnow() - last < timedelta(seconds=REFRESH_AFTER_SECONDS)
        if recent and not cache.rollups_fresh(session):
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

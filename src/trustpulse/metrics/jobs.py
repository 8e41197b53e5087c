"""The `metrics.rollup` job: bring the daily rollups up to date, periodically.

The dashboard's result cache reads the rollups only while they cover every feedback row
(`cache.rollups_fresh`); this job keeps them fresh after imports and edits without anyone
running `trustpulse metrics rollup`. It builds incrementally (a full build the first time).
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.db import session_scope
from trustpulse.jobs.registry import job
from trustpulse.jobs.scheduler import periodic, schedule_every
from trustpulse.metrics.engine import load_metrics_config
from trustpulse.metrics.rollups import build_rollups
from trustpulse.runtime import get_runtime

logger = logging.getLogger(__name__)

ROLLUP_JOB = "metrics.rollup"
ROLLUP_KEY = "metrics.rollup.every"
_PG_LOCK = 0x7470_726F_6C6C  # pg_advisory_xact_lock key: one rollup build at a time ("tproll")


@job(ROLLUP_JOB)
def rollup() -> dict[str, object]:
    """Rebuild the rollups of the days touched since the last build; idempotent.

    A second run finds nothing touched and writes no rollup rows. Two runs never interleave:
    PostgreSQL takes a transaction-scoped advisory lock, SQLite's write transactions
    (BEGIN IMMEDIATE, see db.py) are serialised already.
    """
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(_PG_LOCK)))
        built = build_rollups(session)
    summary: dict[str, object] = {
        "full": built.full,
        "brands": built.brands,
        "days": built.days,
        "rows": built.rows,
    }
    if built.days:
        logger.info("rollups rebuilt: %s", summary)
    return summary


@periodic
def schedule_rollup(session: Session, settings: Settings) -> None:
    every = load_metrics_config(settings).rollup_every_seconds
    schedule_every(session, ROLLUP_JOB, every, ROLLUP_KEY)

"""Text pipeline jobs: `text.analyze` over all pending feedback (the scheduler runs it every
`analyze_every_seconds`) and `text.analyze_range` over one id range, so that several workers
share a large backlog. Each brand's feedback is scored with its own active analyzer
(text/active.py).

`text.analyze` also hints complaints with the active hint models (complaints/hints.py, issue
#5): the one place the text pipeline reaches into complaints, because hints are its work on
complaint texts.

Both are idempotent: a second run finds nothing pending in its range and writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from trustpulse.clock import utcnow
from trustpulse.complaints.hints import hint_pending
from trustpulse.config import Settings
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback
from trustpulse.jobs.queue import enqueue
from trustpulse.jobs.registry import job
from trustpulse.jobs.scheduler import periodic, schedule_every
from trustpulse.runtime import Runtime, get_runtime
from trustpulse.text.active import analyse_pending, brand_groups
from trustpulse.text.config import load_text_config
from trustpulse.text.pending import pending_ranges
from trustpulse.text.service import since_instant

logger = logging.getLogger(__name__)

ANALYZE_JOB = "text.analyze"
ANALYZE_RANGE_JOB = "text.analyze_range"
ANALYZE_KEY = "text.analyze.every"
DEFAULT_RANGE_SIZE = 10_000  # ~5-10 s of work per job: well inside RQ's 180 s job timeout
# A queue worker's limits. The whole-pipeline job works through everything pending (a million
# texts take minutes) and may first adapt the default sentiment model to a group's texts
# (text/adapt.py: up to ~5 min); a range job adapts only if the cached model is missing.
ANALYZE_TIMEOUT_SECONDS = 6 * 3600
ANALYZE_RANGE_TIMEOUT_SECONDS = 3600
_PG_LOCK = 0x7470_7465_7874  # pg_try_advisory_lock key: one whole-backlog run at a time ("tptext")


@contextmanager
def _sole_run(runtime: Runtime) -> Iterator[bool]:
    """Whether this is the only `text.analyze` running. On PostgreSQL two runs would pick the
    same pending rows and the slower one fail on the analysis primary key; SQLite serialises
    write transactions (db.py), and there a batch reads and writes in one of them."""
    if runtime.engine.dialect.name != "postgresql":
        yield True
        return
    with runtime.engine.connect() as conn:  # the lock lives as long as this connection holds it
        acquired = bool(conn.scalar(select(func.pg_try_advisory_lock(_PG_LOCK))))
        conn.commit()
        try:
            yield acquired
        finally:
            if acquired:
                conn.scalar(select(func.pg_advisory_unlock(_PG_LOCK)))
                conn.commit()


@job(ANALYZE_JOB, timeout_seconds=ANALYZE_TIMEOUT_SECONDS)
def analyze(brand: str | None = None, since: str | None = None) -> int:
    """`since` is an ISO date (JSON payloads carry no dates); returns feedback rows (re)written.

    Then hints pending complaints (none without a hint model configured)."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        # nothing to analyse: don't load the models (the scheduler runs this every few minutes)
        has_text = bool(session.scalar(select(exists().where(Feedback.text.is_not(None)))))
    with _sole_run(runtime) as sole:
        if not sole:
            logger.info("text analysis already running elsewhere; skipped")
            return 0
        written = 0
        if has_text:
            written = analyse_pending(
                runtime.session_factory,
                runtime.settings,
                brand=brand,
                since=date.fromisoformat(since) if since else None,
            ).written
        hint_pending(runtime.session_factory, runtime.settings, brand=brand)
    return written


@job(ANALYZE_RANGE_JOB, timeout_seconds=ANALYZE_RANGE_TIMEOUT_SECONDS)
def analyze_range(
    start_id: int, end_id: int, brand: str | None = None, since: str | None = None
) -> int:
    """The pipeline over pending feedback with start_id <= id <= end_id; rows (re)written."""
    runtime = get_runtime()
    run = analyse_pending(
        runtime.session_factory,
        runtime.settings,
        brand=brand,
        since=date.fromisoformat(since) if since else None,
        start_id=start_id,
        end_id=end_id,
    )
    return run.written


def enqueue_analysis(
    *,
    brand: str | None = None,
    since: date | None = None,
    range_size: int = DEFAULT_RANGE_SIZE,
) -> list[tuple[int, int]]:
    """Enqueue one `text.analyze_range` job per `range_size` pending feedback (pending for
    each brand's own analyzer); returns the ranges. Jobs that run twice, or ranges that overlap
    a running `text analyze`, only cost time: each job re-checks what is still pending in its
    range."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        groups = brand_groups(session, runtime.settings, brand=brand)
        ranges = pending_ranges(
            session, [g.scope for g in groups], size=range_size, since=since_instant(since)
        )
    for start_id, end_id in ranges:
        enqueue(
            ANALYZE_RANGE_JOB,
            start_id=start_id,
            end_id=end_id,
            brand=brand,
            since=since.isoformat() if since else None,
        )
    versions = [g.analyzer.version for g in groups]
    logger.info("enqueued %s text analysis jobs for %s", len(ranges), versions)
    return ranges


@periodic
def schedule_analysis(session: Session, settings: Settings) -> None:
    """Analyse new and changed texts every `analyze_every_seconds` (config/text.yaml); the
    first run waits one interval so that starting a process does not load the models."""
    every = load_text_config(settings).analyze_every_seconds
    first = utcnow() + timedelta(seconds=every)
    schedule_every(session, ANALYZE_JOB, every, ANALYZE_KEY, first_run_at=first)

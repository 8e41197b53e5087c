"""Text pipeline jobs: `text.analyze` over all pending feedback (the scheduler runs it) and
`text.analyze_range` over one id range, so that several workers share a large backlog.

Both are idempotent: a second run finds nothing pending in its range and writes nothing.
"""

from __future__ import annotations

import logging
from datetime import date

from trustpulse.db import session_scope
from trustpulse.jobs.queue import enqueue
from trustpulse.jobs.registry import job
from trustpulse.runtime import get_runtime
from trustpulse.text.config import load_text_config
from trustpulse.text.pending import pending_ranges
from trustpulse.text.service import brand_id_of, build_analyzer, run_analysis, since_instant

logger = logging.getLogger(__name__)

ANALYZE_JOB = "text.analyze"
ANALYZE_RANGE_JOB = "text.analyze_range"
DEFAULT_RANGE_SIZE = 10_000  # ~5-10 s of work per job: well inside RQ's 180 s job timeout


@job(ANALYZE_JOB)
def analyze(brand: str | None = None, since: str | None = None) -> int:
    """`since` is an ISO date (JSON payloads carry no dates); returns rows (re)written."""
    runtime = get_runtime()
    config = load_text_config(runtime.settings, brand=brand)
    analyzer = build_analyzer(runtime.settings, config)
    return run_analysis(
        runtime.session_factory,
        analyzer,
        brand=brand,
        since=date.fromisoformat(since) if since else None,
        batch_size=config.batch_size,
    )


@job(ANALYZE_RANGE_JOB)
def analyze_range(
    start_id: int, end_id: int, brand: str | None = None, since: str | None = None
) -> int:
    """The pipeline over pending feedback with start_id <= id <= end_id; rows (re)written."""
    runtime = get_runtime()
    config = load_text_config(runtime.settings, brand=brand)
    analyzer = build_analyzer(runtime.settings, config)
    return run_analysis(
        runtime.session_factory,
        analyzer,
        brand=brand,
        since=date.fromisoformat(since) if since else None,
        batch_size=config.batch_size,
        start_id=start_id,
        end_id=end_id,
    )


def enqueue_analysis(
    *,
    brand: str | None = None,
    since: date | None = None,
    range_size: int = DEFAULT_RANGE_SIZE,
) -> list[tuple[int, int]]:
    """Enqueue one `text.analyze_range` job per `range_size` pending feedback; returns the
    ranges. Jobs that run twice, or ranges that overlap a running `text analyze`, only cost time:
    each job re-checks what is still pending in its range."""
    runtime = get_runtime()
    analyzer = build_analyzer(runtime.settings, load_text_config(runtime.settings, brand=brand))
    with session_scope(runtime.session_factory) as session:
        brand_id = brand_id_of(session, brand) if brand else None
        ranges = pending_ranges(
            session,
            analyzer.version,
            size=range_size,
            brand_id=brand_id,
            since=since_instant(since),
        )
    for start_id, end_id in ranges:
        enqueue(
            ANALYZE_RANGE_JOB,
            start_id=start_id,
            end_id=end_id,
            brand=brand,
            since=since.isoformat() if since else None,
        )
    logger.info("enqueued %s text analysis jobs for %s", len(ranges), analyzer.version)
    return ranges

"""The `text.analyze` job: the text pipeline over all pending feedback (the scheduler runs it).

Idempotent: a second run finds nothing pending and writes nothing.
"""

from __future__ import annotations

import logging
from datetime import date

from trustpulse.jobs.registry import job
from trustpulse.runtime import get_runtime
from trustpulse.text.config import load_text_config
from trustpulse.text.service import build_analyzer, run_analysis

logger = logging.getLogger(__name__)

ANALYZE_JOB = "text.analyze"


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

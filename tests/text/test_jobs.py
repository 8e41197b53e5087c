from __future__ import annotations

from trustpulse.jobs.registry import get_job
from trustpulse.text import jobs


def test_analyze_job_is_registered() -> None:
    assert get_job("text.analyze") is jobs.analyze

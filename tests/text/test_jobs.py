from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker
from sqlalchemy import delete, select
from typer.testing import CliRunner

from tests.text.test_service import TEXTS, add_feedback
from trustpulse.clock import ManualClock, use_clock
from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.jobs.models import ScheduledJob
from trustpulse.jobs.queue import InProcessBackend, RQBackend, use_backend
from trustpulse.jobs.registry import get_job, run_registered
from trustpulse.jobs.scheduler import install_periodic_jobs, run_due
from trustpulse.runtime import Runtime, set_runtime
from trustpulse.text import jobs as text_jobs
from trustpulse.text.cli import app
from trustpulse.text.config import load_text_config
from trustpulse.text.models import FeedbackAnalysis
from trustpulse.text.pending import PendingScope, pending_ranges
from trustpulse.text.service import Analyzer, build_analyzer, run_analysis

REDIS_URL = os.environ.get("TRUSTPULSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WITH_TEXT = len(TEXTS)  # the empty text too: it has text, just none to say


def _analysed(runtime: Runtime) -> dict[int, tuple[object, ...]]:
    with session_scope(runtime.session_factory) as session:
        return {
            a.feedback_id: (a.language, a.sentiment_label, a.redacted_text, a.aspects)
            for a in session.scalars(select(FeedbackAnalysis))
        }


def _analyzer(runtime: Runtime) -> Analyzer:
    """The analyzer the jobs build: the shipped configuration (aspects, watch lists)."""
    return build_analyzer(runtime.settings, load_text_config(runtime.settings))


def _version(runtime: Runtime) -> str:
    return _analyzer(runtime).version


@pytest.fixture
def rq_backend() -> Iterator[RQBackend]:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except RedisConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI and not reachable: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    backend = RQBackend(REDIS_URL, queue_name=f"trustpulse-test-{uuid.uuid4().hex[:10]}")
    with use_backend(backend):
        yield backend
    backend.queue.delete(delete_jobs=True)
    backend.close()


def test_analyze_jobs_are_registered() -> None:
    assert get_job("text.analyze") is text_jobs.analyze
    assert get_job("text.analyze_range") is text_jobs.analyze_range


def test_pending_ranges_cover_pending_feedback_in_chunks(
    runtime: Runtime, home_with_default_model: Path
) -> None:
    with session_scope(runtime.session_factory) as session:
        ids = add_feedback(session, TEXTS)
        ranges = pending_ranges(session, [PendingScope(_version(runtime))], size=2)
    assert ranges == [(ids[0], ids[1]), (ids[2], ids[3]), (ids[4], ids[4])]


def test_range_job_analyses_only_its_range_and_a_rerun_writes_nothing(
    runtime: Runtime, home_with_default_model: Path
) -> None:
    with session_scope(runtime.session_factory) as session:
        ids = add_feedback(session, TEXTS)
    assert text_jobs.analyze_range(ids[1], ids[2]) == 2
    assert set(_analysed(runtime)) == {ids[1], ids[2]}
    assert text_jobs.analyze_range(ids[1], ids[2]) == 0
    with session_scope(runtime.session_factory) as session:
        assert pending_ranges(session, [PendingScope(_version(runtime))], size=10) == [
            (ids[0], ids[4])
        ]


def test_enqueued_range_jobs_give_the_same_results_as_one_run(
    runtime: Runtime, jobs: InProcessBackend, home_with_default_model: Path
) -> None:
    with session_scope(runtime.session_factory) as session:
        add_feedback(session, TEXTS)
    ranges = text_jobs.enqueue_analysis(range_size=2)
    jobs.drain()
    assert len(ranges) == 3
    via_jobs = _analysed(runtime)
    with session_scope(runtime.session_factory) as session:
        session.execute(delete(FeedbackAnalysis))
    run_analysis(runtime.session_factory, _analyzer(runtime))
    assert _analysed(runtime) == via_jobs
    assert len(via_jobs) == WITH_TEXT


def test_analyze_enqueue_command_runs_range_jobs_in_embedded_mode(
    runtime: Runtime, home_with_default_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(runtime.session_factory) as session:
        add_feedback(session, TEXTS)
    monkeypatch.setenv("TRUSTPULSE_HOME", str(runtime.settings.home))
    monkeypatch.setenv("TRUSTPULSE_DATABASE_URL", runtime.settings.effective_database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["analyze", "--enqueue", "--batch-size", "2"])
    finally:
        get_settings.cache_clear()
        set_runtime(runtime)
    assert result.exit_code == 0, result.output
    assert len(_analysed(runtime)) == WITH_TEXT


def test_rq_worker_runs_enqueued_range_jobs(
    runtime: Runtime, home_with_default_model: Path, rq_backend: RQBackend
) -> None:
    with session_scope(runtime.session_factory) as session:
        add_feedback(session, TEXTS)
    ranges = text_jobs.enqueue_analysis(range_size=2)
    assert rq_backend.queue.count == len(ranges) == 3

    worker = SimpleWorker([rq_backend.queue], connection=rq_backend.connection)
    assert worker.work(burst=True)

    assert len(_analysed(runtime)) == WITH_TEXT
    run_registered("text.analyze_range", {"start_id": ranges[0][0], "end_id": ranges[-1][1]})
    with session_scope(runtime.session_factory) as session:
        assert pending_ranges(session, [PendingScope(_version(runtime))], size=2) == []


def test_the_scheduler_analyses_pending_texts_every_interval(
    runtime: Runtime, jobs: InProcessBackend, home_with_default_model: Path
) -> None:
    with use_clock(ManualClock(datetime(2026, 11, 9, 8, 0, tzinfo=UTC))) as clock:
        assert isinstance(clock, ManualClock)
        install_periodic_jobs(runtime.session_factory, runtime.settings)
        install_periodic_jobs(runtime.session_factory, runtime.settings)
        with session_scope(runtime.session_factory) as session:
            rows = session.scalars(
                select(ScheduledJob).where(ScheduledJob.name == text_jobs.ANALYZE_JOB)
            ).all()
            assert [(r.key, r.every_seconds) for r in rows] == [(text_jobs.ANALYZE_KEY, 300)]
            add_feedback(session, TEXTS)
        run_due(runtime.session_factory)
        jobs.drain()
        assert _analysed(runtime) == {}  # the first run waits one interval

        clock.advance(timedelta(seconds=300))
        assert run_due(runtime.session_factory) >= 1
        jobs.drain()
        assert len(_analysed(runtime)) == WITH_TEXT
        with session_scope(runtime.session_factory) as session:
            assert pending_ranges(session, [PendingScope(_version(runtime))], size=10) == []

"""The RQ backend against a real Redis at 127.0.0.1:6379 (skipped locally if down, fails in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker

from tests.jobs.sample_jobs import CREATE_BRAND, brand_codes
from trustpulse.db import session_scope
from trustpulse.jobs.queue import JobEnqueueError, RQBackend, enqueue_after_commit, use_backend
from trustpulse.runtime import Runtime
from trustpulse.text.jobs import ANALYZE_JOB, ANALYZE_TIMEOUT_SECONDS

REDIS_URL = os.environ.get("TRUSTPULSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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


def test_rq_worker_runs_a_job_enqueued_after_commit(
    runtime: Runtime, rq_backend: RQBackend
) -> None:
    with session_scope(runtime.session_factory) as session:
        enqueue_after_commit(session, CREATE_BRAND, code="via-redis")
        assert rq_backend.queue.count == 0
    assert rq_backend.queue.count == 1

    worker = SimpleWorker([rq_backend.queue], connection=rq_backend.connection)
    assert worker.work(burst=True)

    with session_scope(runtime.session_factory) as session:
        assert brand_codes(session) == ["via-redis"]


def test_rq_backend_reports_redis_down_as_enqueue_error() -> None:
    backend = RQBackend("redis://127.0.0.1:1/0")
    with pytest.raises(JobEnqueueError, match="could not enqueue"):
        backend.enqueue_json(CREATE_BRAND, '{"code": "x"}')


def test_a_job_that_may_run_long_carries_its_own_time_limit_to_rq(
    rq_backend: RQBackend,
) -> None:
    """RQ kills a job after 180 s unless told otherwise; the text pipeline may adapt its
    sentiment model for minutes first (text/adapt.py), so its jobs say how long they may take."""
    rq_backend.enqueue_json(ANALYZE_JOB, "{}")
    rq_backend.enqueue_json(CREATE_BRAND, '{"code": "x"}')
    analyze, brand = rq_backend.queue.get_jobs()
    assert analyze.timeout == ANALYZE_TIMEOUT_SECONDS > 180
    assert brand.timeout == rq_backend.queue.DEFAULT_TIMEOUT

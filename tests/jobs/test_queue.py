from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.jobs.sample_jobs import CREATE_BRAND, ECHO, FAIL, HOLD, brand_codes, echoed, released
from trustpulse.db import session_scope
from trustpulse.jobs.queue import (
    InProcessBackend,
    JobPayloadError,
    enqueue,
    enqueue_after_commit,
    use_backend,
)
from trustpulse.jobs.registry import UnknownJobError
from trustpulse.runtime import Runtime


def _codes(runtime: Runtime) -> list[str]:
    with session_scope(runtime.session_factory) as session:
        return brand_codes(session)


def test_enqueue_after_commit_runs_the_job_once_committed(
    runtime: Runtime, jobs: InProcessBackend
) -> None:
    with session_scope(runtime.session_factory) as session:
        enqueue_after_commit(session, CREATE_BRAND, code="after-commit")
        jobs.drain()
        assert _codes(runtime) == []  # nothing ran before the commit
    jobs.drain()
    assert _codes(runtime) == ["after-commit"]


def test_enqueue_after_commit_drops_the_job_on_rollback(
    runtime: Runtime, jobs: InProcessBackend
) -> None:
    with runtime.session_factory() as session:
        enqueue_after_commit(session, CREATE_BRAND, code="rolled-back")
        session.rollback()
    with session_scope(runtime.session_factory) as session:
        session.commit()  # a later commit on another session must not resurrect it
    jobs.drain()
    assert _codes(runtime) == []


def test_job_enqueued_in_a_rolled_back_savepoint_is_dropped(
    runtime: Runtime, jobs: InProcessBackend
) -> None:
    with session_scope(runtime.session_factory) as session:
        enqueue_after_commit(session, CREATE_BRAND, code="outer")
        savepoint = session.begin_nested()
        enqueue_after_commit(session, CREATE_BRAND, code="inner")
        savepoint.rollback()
        with session.begin_nested():
            enqueue_after_commit(session, CREATE_BRAND, code="kept")
    jobs.drain()
    assert _codes(runtime) == ["kept", "outer"]


def test_session_reused_after_rollback_enqueues_only_new_jobs(
    runtime: Runtime, jobs: InProcessBackend
) -> None:
    with runtime.session_factory() as session:
        enqueue_after_commit(session, CREATE_BRAND, code="first")
        session.rollback()
        enqueue_after_commit(session, CREATE_BRAND, code="second")
        session.commit()
    jobs.drain()
    assert _codes(runtime) == ["second"]


def test_unserialisable_payload_fails_at_enqueue(runtime: Runtime, jobs: InProcessBackend) -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(JobPayloadError, match="not JSON-serialisable"):
        enqueue(ECHO, when=when)
    with pytest.raises(JobPayloadError), session_scope(runtime.session_factory) as session:
        enqueue_after_commit(session, ECHO, when=when)
    with pytest.raises(JobPayloadError):
        enqueue(ECHO, ratio=float("nan"))


def test_payload_is_json_round_tripped_like_redis_would(
    runtime: Runtime, jobs: InProcessBackend
) -> None:
    echoed.clear()
    enqueue(ECHO, ids=(1, 2), nested={"a": 1})
    jobs.drain()
    assert echoed == [{"ids": [1, 2], "nested": {"a": 1}}]


def test_unknown_job_name_fails_at_enqueue(runtime: Runtime, jobs: InProcessBackend) -> None:
    with pytest.raises(UnknownJobError):
        enqueue("testjobs.no_such_job")


def test_drain_reraises_a_failed_job(runtime: Runtime, jobs: InProcessBackend) -> None:
    enqueue(FAIL)
    with pytest.raises(RuntimeError, match="always fails"):
        jobs.drain()


def test_a_job_waiting_to_start_absorbs_the_same_job_enqueued_again(runtime: Runtime) -> None:
    """The waiting run has read nothing yet, so one run serves both enqueues; a job already
    running, or with another payload, is queued as usual."""
    echoed.clear()
    released.clear()
    backend = InProcessBackend(max_workers=1)
    with use_backend(backend):
        enqueue(HOLD)  # occupies the only worker
        for _ in range(3):
            enqueue(ECHO, n=1)
        enqueue(ECHO, n=2)
        released.set()
        backend.drain()
        assert echoed == [{"n": 1}, {"n": 2}]
        enqueue(ECHO, n=1)  # the first one has run: this one runs too
        backend.drain()
    backend.close()
    assert echoed == [{"n": 1}, {"n": 2}, {"n": 1}]

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.jobs.sample_jobs import CREATE_BRAND, brand_codes
from trustpulse.clock import ManualClock, use_clock
from trustpulse.db import session_scope
from trustpulse.jobs.models import ScheduledJob, ScheduledJobStatus
from trustpulse.jobs.queue import InProcessBackend, JobEnqueueError, use_backend
from trustpulse.jobs.scheduler import Scheduler, run_due, schedule_at, schedule_every
from trustpulse.runtime import Runtime

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    with use_clock(ManualClock(T0)) as manual:
        assert isinstance(manual, ManualClock)
        yield manual


def _codes(runtime: Runtime) -> list[str]:
    with session_scope(runtime.session_factory) as session:
        return brand_codes(session)


def _scheduled(runtime: Runtime, key: str) -> ScheduledJob:
    with session_scope(runtime.session_factory) as session:
        return session.scalars(select(ScheduledJob).where(ScheduledJob.key == key)).one()


def test_delayed_job_runs_once_when_the_clock_passes_run_at(
    runtime: Runtime, jobs: InProcessBackend, clock: ManualClock
) -> None:
    with session_scope(runtime.session_factory) as session:
        schedule_at(session, CREATE_BRAND, T0 + timedelta(minutes=10), key="d1", code="later")

    assert run_due(runtime.session_factory) == 0
    clock.advance(timedelta(minutes=9, seconds=59))
    assert run_due(runtime.session_factory) == 0
    jobs.drain()
    assert _codes(runtime) == []

    clock.advance(timedelta(seconds=1))
    assert run_due(runtime.session_factory) == 1
    assert run_due(runtime.session_factory) == 0
    jobs.drain()
    assert _codes(runtime) == ["later"]
    assert _scheduled(runtime, "d1").status == ScheduledJobStatus.enqueued


def test_schedule_at_with_the_same_key_schedules_once(runtime: Runtime, clock: ManualClock) -> None:
    with session_scope(runtime.session_factory) as session:
        first = schedule_at(session, CREATE_BRAND, T0, key="once", code="a")
        second = schedule_at(session, CREATE_BRAND, T0 + timedelta(hours=1), key="once", code="b")
        assert second.id == first.id
        assert second.payload == {"code": "a"}


def test_periodic_job_re_arms_at_its_next_slot(
    runtime: Runtime, jobs: InProcessBackend, clock: ManualClock
) -> None:
    with session_scope(runtime.session_factory) as session:
        schedule_every(session, CREATE_BRAND, 60, "every-minute", code="tick")
        schedule_every(session, CREATE_BRAND, 60, "every-minute", code="tick")  # idempotent
        assert len(session.scalars(select(ScheduledJob)).all()) == 1

    assert _run_due_and_drain(runtime, jobs) == 1
    assert _run_due_and_drain(runtime, jobs) == 0
    assert _scheduled(runtime, "every-minute").run_at == T0 + timedelta(seconds=60)

    clock.advance(timedelta(seconds=60))
    assert _run_due_and_drain(runtime, jobs) == 1

    # after downtime it runs once, then resumes on the grid instead of catching up every slot
    clock.advance(timedelta(minutes=10, seconds=30))
    assert _run_due_and_drain(runtime, jobs) == 1
    assert _run_due_and_drain(runtime, jobs) == 0
    row = _scheduled(runtime, "every-minute")
    assert row.status == ScheduledJobStatus.waiting
    assert row.run_at == T0 + timedelta(minutes=12)
    assert _codes(runtime) == ["tick"]


def _run_due_and_drain(runtime: Runtime, jobs: InProcessBackend) -> int:
    # drained first: on SQLite a job writing while run_due upgrades its read to a write fails
    # with "database is locked" (deferred BEGIN), so the test keeps the two apart
    enqueued = run_due(runtime.session_factory)
    jobs.drain()
    return enqueued


class _RefusingBackend:
    def enqueue_json(self, name: str, payload_json: str) -> None:
        raise JobEnqueueError(f"redis is down ({name}, {len(payload_json)} bytes)")

    def close(self) -> None:
        pass


def test_a_claim_the_queue_refused_is_retried_next_pass(
    runtime: Runtime, jobs: InProcessBackend, clock: ManualClock
) -> None:
    with session_scope(runtime.session_factory) as session:
        schedule_at(session, CREATE_BRAND, T0, key="retry-me", code="eventually")

    with use_backend(_RefusingBackend()):
        assert run_due(runtime.session_factory) == 0
    row = _scheduled(runtime, "retry-me")
    assert (row.status, row.last_error) == (
        ScheduledJobStatus.waiting,
        "redis is down (testjobs.create_brand, 22 bytes)",
    )

    assert run_due(runtime.session_factory) == 1
    jobs.drain()
    assert _codes(runtime) == ["eventually"]


def test_scheduler_thread_runs_due_jobs(runtime: Runtime, jobs: InProcessBackend) -> None:
    with session_scope(runtime.session_factory) as session:
        schedule_at(session, CREATE_BRAND, datetime.now(UTC), key="now", code="threaded")

    scheduler = Scheduler(runtime.session_factory, interval_seconds=0.02)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while _scheduled(runtime, "now").status == ScheduledJobStatus.waiting:
            assert time.monotonic() < deadline, "scheduler never claimed the job"
            time.sleep(0.02)
    finally:
        scheduler.stop()
    jobs.drain()
    assert _codes(runtime) == ["threaded"]

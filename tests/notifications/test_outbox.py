from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.clock import ManualClock, use_clock
from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand
from trustpulse.db import session_scope
from trustpulse.errors import InvalidInputError
from trustpulse.jobs.models import ScheduledJob
from trustpulse.jobs.queue import InProcessBackend, use_backend
from trustpulse.jobs.scheduler import install_periodic_jobs
from trustpulse.notifications.channels import Notification, register_channel, unregister_channel
from trustpulse.notifications.jobs import SWEEP_KEY, backoff, deliver, deliver_due
from trustpulse.notifications.models import OutboxMessage, OutboxStatus
from trustpulse.notifications.schemas import NotificationsConfig
from trustpulse.notifications.service import queue_notification
from trustpulse.runtime import Runtime

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FlakyChannel:
    """Fails the first `failures` sends, then records every notification it is given."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[Notification] = []

    def __call__(self, notification: Notification) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("chat tool unreachable")
        self.sent.append(notification)


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    with use_clock(ManualClock(T0)) as manual:
        assert isinstance(manual, ManualClock)
        yield manual


def _channel(failures: int) -> Iterator[FlakyChannel]:
    channel = FlakyChannel(failures)
    register_channel("test", channel, replace=True)
    yield channel
    unregister_channel("test")


@pytest.fixture
def reliable() -> Iterator[FlakyChannel]:
    yield from _channel(0)


@pytest.fixture
def flaky() -> Iterator[FlakyChannel]:
    yield from _channel(2)


@pytest.fixture
def broken() -> Iterator[FlakyChannel]:
    yield from _channel(1000)


def _queue(
    session: Session,
    *,
    recipient: str | None = None,
    payload: dict[str, object] | None = None,
    dedupe_key: str | None = None,
) -> int:
    return queue_notification(
        session,
        channel="test",
        subject="Complaint escalated",
        body="C-1 breached its SLA",
        recipient=recipient,
        payload=payload,
        dedupe_key=dedupe_key,
    )


def _message(runtime: Runtime) -> OutboxMessage:
    with session_scope(runtime.session_factory) as session:
        return session.scalars(select(OutboxMessage)).one()


def test_message_is_rolled_back_with_the_event(
    runtime: Runtime, jobs: InProcessBackend, reliable: FlakyChannel
) -> None:
    with runtime.session_factory() as session:
        customers.ensure_brand(session, "acme")
        _queue(session)
        session.rollback()  # the event's transaction fails
    jobs.drain()
    with session_scope(runtime.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Brand)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert reliable.sent == []


def test_message_is_delivered_once_after_commit(
    runtime: Runtime, jobs: InProcessBackend, reliable: FlakyChannel, clock: ManualClock
) -> None:
    with session_scope(runtime.session_factory) as session:
        message_id = _queue(session, recipient="ops", payload={"complaint_id": 1})
    jobs.drain()
    assert [(n.id, n.recipient, n.payload) for n in reliable.sent] == [
        (message_id, "ops", {"complaint_id": 1})
    ]
    assert deliver() == 0
    clock.advance(timedelta(days=1))
    assert deliver() == 0
    message = _message(runtime)
    assert (message.status, message.attempts, message.delivered_at) == (
        OutboxStatus.delivered,
        1,
        T0,
    )
    assert len(reliable.sent) == 1


class _Unqueued:
    """Takes the delivery job enqueued after commit and never runs it: the test runs its own."""

    def enqueue_json(self, name: str, payload_json: str) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_run_claims_its_batch_at_once_and_records_only_what_was_sent(
    runtime: Runtime, reliable: FlakyChannel, clock: ManualClock
) -> None:
    """One run: up to batch_size due messages, oldest first; a send that fails is a failed
    attempt of that message alone; the rest are delivered and never claimed again."""
    with use_backend(_Unqueued()), session_scope(runtime.session_factory) as session:
        ids = [_queue(session, recipient=f"r{i}") for i in range(5)]
    config = NotificationsConfig(batch_size=3)

    def fail_r1(notification: Notification) -> None:
        if notification.recipient == "r1":
            raise ConnectionError("r1 unreachable")
        reliable(notification)

    register_channel("test", fail_r1, replace=True)
    assert deliver_due(runtime.session_factory, config) == 2  # r0, r2; r1 failed
    assert [n.recipient for n in reliable.sent] == ["r0", "r2"]
    assert deliver_due(runtime.session_factory, config) == 2  # r3, r4: r1 waits for its retry
    clock.advance(timedelta(hours=1))
    register_channel("test", reliable, replace=True)
    assert deliver_due(runtime.session_factory, config) == 1  # r1, second attempt
    assert deliver_due(runtime.session_factory, config) == 0
    with session_scope(runtime.session_factory) as session:
        messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.id, m.status, m.attempts) for m in messages] == [
            (ids[0], OutboxStatus.delivered, 1),
            (ids[1], OutboxStatus.delivered, 2),
            *((i, OutboxStatus.delivered, 1) for i in ids[2:]),
        ]
    assert sorted(str(n.recipient) for n in reliable.sent) == ["r0", "r1", "r2", "r3", "r4"]


def test_a_run_for_one_message_sends_that_message_only(
    runtime: Runtime, reliable: FlakyChannel, clock: ManualClock
) -> None:
    with use_backend(_Unqueued()), session_scope(runtime.session_factory) as session:
        first, second = (_queue(session, recipient=r) for r in ("a", "b"))
    config = NotificationsConfig()
    assert deliver_due(runtime.session_factory, config, message_id=second) == 1
    assert deliver_due(runtime.session_factory, config, message_id=second) == 0  # delivered
    assert [n.recipient for n in reliable.sent] == ["b"]
    assert deliver_due(runtime.session_factory, config) == 1
    assert [n.id for n in reliable.sent] == [second, first]


def test_dedupe_key_writes_the_message_once(session: Session, reliable: FlakyChannel) -> None:
    first = _queue(session, dedupe_key="complaint:1:escalated")
    second = _queue(session, dedupe_key="complaint:1:escalated")
    assert second == first
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_dedupe_key_of_a_committed_message_is_not_sent_twice(
    runtime: Runtime, jobs: InProcessBackend, reliable: FlakyChannel
) -> None:
    with session_scope(runtime.session_factory) as session:
        first = _queue(session, dedupe_key="complaint:1:resolved")
    with session_scope(runtime.session_factory) as session:
        second = _queue(session, dedupe_key="complaint:1:resolved")
    jobs.drain()
    assert second == first
    assert [n.id for n in reliable.sent] == [first]


def test_failing_channel_is_retried_with_exponential_backoff(
    runtime: Runtime, jobs: InProcessBackend, flaky: FlakyChannel, clock: ManualClock
) -> None:
    with session_scope(runtime.session_factory) as session:
        _queue(session)
    jobs.drain()  # attempt 1 fails
    message = _message(runtime)
    assert (message.status, message.attempts) == (OutboxStatus.pending, 1)
    assert message.next_attempt_at == T0 + timedelta(seconds=30)
    assert message.last_error == "ConnectionError: chat tool unreachable"

    clock.advance(timedelta(seconds=29))
    assert deliver() == 0  # not due yet
    clock.advance(timedelta(seconds=1))
    assert deliver() == 0  # attempt 2 fails
    assert _message(runtime).next_attempt_at == T0 + timedelta(seconds=30 + 60)

    clock.advance(timedelta(seconds=60))
    assert deliver() == 1  # attempt 3 succeeds
    message = _message(runtime)
    assert (message.status, message.attempts, message.last_error) == (
        OutboxStatus.delivered,
        3,
        None,
    )
    assert len(flaky.sent) == 1


def test_delivery_gives_up_after_max_attempts(
    runtime: Runtime, jobs: InProcessBackend, broken: FlakyChannel, clock: ManualClock
) -> None:
    config = NotificationsConfig(max_attempts=3, backoff_seconds=10)
    with session_scope(runtime.session_factory) as session:
        queue_notification(session, channel="test", subject="s", body="b")
    jobs.drain()  # attempt 1, by the job enqueued after commit
    for _ in range(5):
        deliver_due(runtime.session_factory, config)
        clock.advance(timedelta(hours=1))
    message = _message(runtime)
    assert (message.status, message.attempts) == (OutboxStatus.failed, 3)
    assert message.delivered_at is None


def test_backoff_doubles_and_is_capped() -> None:
    config = NotificationsConfig(backoff_seconds=30, max_backoff_seconds=100)
    assert [backoff(config, n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_unknown_channel_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInputError, match="unknown notification channel"):
        queue_notification(session, channel="pager", subject="s", body="b")


def test_log_channel_writes_a_structured_record(
    runtime: Runtime, jobs: InProcessBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trustpulse.notifications.channels")
    with session_scope(runtime.session_factory) as session:
        message_id = queue_notification(session, channel="log", subject="Hi", body="b")
    jobs.drain()
    record = next(r for r in caplog.records if r.name == "trustpulse.notifications.channels")
    assert record.__dict__["notification_id"] == message_id
    assert record.__dict__["notification_subject"] == "Hi"


def test_periodic_sweep_is_installed_once(runtime: Runtime) -> None:
    install_periodic_jobs(runtime.session_factory, runtime.settings)
    install_periodic_jobs(runtime.session_factory, runtime.settings)
    with session_scope(runtime.session_factory) as session:
        # other domains (complaints.sla_tick) install their own schedules too
        rows = session.scalars(
            select(ScheduledJob).where(ScheduledJob.name == "notifications.deliver")
        ).all()
    assert [(r.key, r.name, r.every_seconds) for r in rows] == [
        (SWEEP_KEY, "notifications.deliver", 60)
    ]

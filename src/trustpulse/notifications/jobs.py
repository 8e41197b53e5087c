"""The `notifications.deliver` job: send due outbox messages, retry with backoff, then give up.

Each message is claimed before it is sent (attempts + 1 and `next_attempt_at` pushed a lease
ahead, in a committed conditional UPDATE), so two deliver jobs running at once never send the
same message, and a delivered message is never claimed again. A worker that dies mid-send
leaves the claim to expire after CLAIM_LEASE; the message is then retried (at least once).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Connection, Engine, Table, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from trustpulse.clock import utcnow
from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.db import session_scope
from trustpulse.jobs.registry import job
from trustpulse.jobs.scheduler import periodic, schedule_every
from trustpulse.notifications.channels import Notification, get_channel
from trustpulse.notifications.models import OutboxMessage, OutboxStatus
from trustpulse.notifications.schemas import NotificationsConfig
from trustpulse.notifications.service import DELIVER_JOB
from trustpulse.runtime import get_runtime

logger = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)
SWEEP_KEY = "notifications.deliver.sweep"


def notifications_config(settings: Settings) -> NotificationsConfig:
    return load_config("notifications", NotificationsConfig, settings=settings)


@job(DELIVER_JOB)
def deliver(message_id: int | None = None) -> int:
    """Deliver due messages (only `message_id` when given); returns how many were delivered."""
    runtime = get_runtime()
    config = notifications_config(runtime.settings)
    return deliver_due(runtime.session_factory, config, message_id=message_id)


@periodic
def schedule_sweep(session: Session, settings: Settings) -> None:
    """Sweep the outbox periodically: retries, and messages whose after-commit job was lost."""
    every = notifications_config(settings).poll_every_seconds
    schedule_every(session, DELIVER_JOB, every, SWEEP_KEY)


def deliver_due(
    session_factory: sessionmaker[Session],
    config: NotificationsConfig,
    *,
    message_id: int | None = None,
) -> int:
    now = utcnow()
    if message_id is not None:
        # the claim below checks that it is pending and due: no need to ask first
        due = [message_id]
    else:
        with session_scope(session_factory) as session:
            due = list(
                session.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.status == OutboxStatus.pending)
                    .where(OutboxMessage.next_attempt_at <= now)
                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                    .limit(config.batch_size)
                )
            )
    delivered = 0
    for due_id in due:
        notification = _claim(session_factory, due_id, now)
        if notification is None:
            continue  # another job claimed it first
        try:
            get_channel(notification.channel)(notification)
        except Exception as exc:  # any sender failure is a failed attempt
            _record_failure(session_factory, notification, exc, config)
            continue
        _record_delivery(session_factory, notification.id)
        delivered += 1
    return delivered


_OUTBOX = cast("Table", OutboxMessage.__table__)
# built once: a claim and a delivery are one UPDATE each, run for every message
_CLAIM = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("message_id"),
        _OUTBOX.c.status == OutboxStatus.pending,
        _OUTBOX.c.next_attempt_at <= bindparam("now"),
    )
    .values(attempts=_OUTBOX.c.attempts + 1, next_attempt_at=bindparam("lease_until"))
    .returning(
        _OUTBOX.c.id,
        _OUTBOX.c.channel,
        _OUTBOX.c.subject,
        _OUTBOX.c.body,
        _OUTBOX.c.recipient,
        _OUTBOX.c.payload,
        _OUTBOX.c.attempts,
    )
)
_DELIVERED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"))
    .values(status=OutboxStatus.delivered, delivered_at=bindparam("at"), last_error=None)
)


def _transaction(session_factory: sessionmaker[Session]) -> AbstractContextManager[Connection]:
    """A transaction on the factory's engine, without a Session: a claim or a delivery is one
    UPDATE, and a Session's setup and teardown cost about as much as the statement."""
    engine: Engine = session_factory.kw["bind"]
    return engine.begin()


def _claim(
    session_factory: sessionmaker[Session], message_id: int, now: datetime
) -> Notification | None:
    with _transaction(session_factory) as conn:
        row = conn.execute(
            _CLAIM,
            {"message_id": message_id, "now": now, "lease_until": utcnow() + CLAIM_LEASE},
        ).one_or_none()
    if row is None:
        return None
    return Notification(
        id=row.id,
        channel=row.channel,
        subject=row.subject,
        body=row.body,
        recipient=row.recipient,
        payload=row.payload or {},
        attempt=row.attempts,
    )


def _record_delivery(session_factory: sessionmaker[Session], message_id: int) -> None:
    with _transaction(session_factory) as conn:
        conn.execute(_DELIVERED, {"message_id": message_id, "at": utcnow()})


def backoff(config: NotificationsConfig, attempt: int) -> timedelta:
    """Wait after failed attempt number `attempt` (1-based): base * 2^(attempt-1), capped."""
    seconds = min(config.backoff_seconds * 2 ** (attempt - 1), config.max_backoff_seconds)
    return timedelta(seconds=seconds)


def _record_failure(
    session_factory: sessionmaker[Session],
    notification: Notification,
    exc: Exception,
    config: NotificationsConfig,
) -> None:
    error = f"{type(exc).__name__}: {exc}"
    gave_up = notification.attempt >= config.max_attempts
    values: dict[str, object] = {"last_error": error[:2000]}
    if gave_up:
        values["status"] = OutboxStatus.failed
        logger.error(
            "notification %s failed after %s attempts: %s",
            notification.id,
            notification.attempt,
            error,
        )
    else:
        values["next_attempt_at"] = utcnow() + backoff(config, notification.attempt)
        logger.warning(
            "notification %s attempt %s failed: %s", notification.id, notification.attempt, error
        )
    with session_scope(session_factory) as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == notification.id).values(**values),
            execution_options={"synchronize_session": False},
        )

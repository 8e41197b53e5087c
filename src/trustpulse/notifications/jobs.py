"""The `notifications.deliver` job: send due outbox messages, retry with backoff, then give up.

Each message is claimed before it is sent (attempts + 1 and `next_attempt_at` pushed a lease
ahead, in a committed conditional UPDATE; a run claims its whole batch in one), so two deliver
jobs running at once never send the same message, and a delivered message is never claimed
again. A worker that dies mid-send
leaves the claim to expire after CLAIM_LEASE; the message is then retried (at least once).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import timedelta
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
    """Claim up to `batch_size` due messages (only `message_id` when given) in one statement,
    send them, then mark those sent as delivered in one statement; returns how many were.

    Two transactions per run, whatever the number of messages: claiming and recording each
    message in transactions of its own cost two commits per message, a tenth of the server's
    CPU on the complaint desk's write path (docs/benchmarks.md). A run that dies after sending
    leaves its claims to expire, and those messages are sent again (at least once).
    """
    now = utcnow()
    parameters = {
        "now": now,
        "lease_until": now + CLAIM_LEASE,
        "limit": 1 if message_id is not None else config.batch_size,
    }
    statement = _CLAIM_ONE if message_id is not None else _CLAIM_DUE
    with _transaction(session_factory) as conn:
        rows = conn.execute(statement, {**parameters, "message_id": message_id}).all()
    delivered: list[int] = []
    for row in sorted(rows, key=lambda r: r.id):
        notification = Notification(
            id=row.id,
            channel=row.channel,
            subject=row.subject,
            body=row.body,
            recipient=row.recipient,
            payload=row.payload or {},
            attempt=row.attempts,
        )
        try:
            get_channel(notification.channel)(notification)
        except Exception as exc:  # any sender failure is a failed attempt
            _record_failure(session_factory, notification, exc, config)
            continue
        delivered.append(notification.id)
    if delivered:
        with _transaction(session_factory) as conn:
            conn.execute(_DELIVERED, {"message_ids": delivered, "at": utcnow()})
    return len(delivered)


_OUTBOX = cast("Table", OutboxMessage.__table__)
_DUE = (
    _OUTBOX.c.status == OutboxStatus.pending,
    _OUTBOX.c.next_attempt_at <= bindparam("now"),
)
# a claim takes attempts + 1 and pushes next_attempt_at a lease ahead; the conditions are
# checked again on the locked row, so a message another run claimed meanwhile is left out
_CLAIMED = (
    _OUTBOX.c.id,
    _OUTBOX.c.channel,
    _OUTBOX.c.subject,
    _OUTBOX.c.body,
    _OUTBOX.c.recipient,
    _OUTBOX.c.payload,
    _OUTBOX.c.attempts,
)
_CLAIM_VALUES = {
    "attempts": _OUTBOX.c.attempts + 1,
    "next_attempt_at": bindparam("lease_until"),
}
# built once: run for every delivery
_CLAIM_ONE = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"), *_DUE)
    .values(_CLAIM_VALUES)
    .returning(*_CLAIMED)
)
# the batch is picked once, in a materialised CTE: as `IN (SELECT … LIMIT)` PostgreSQL may
# run the subquery again during the update and claim more than the limit (seen in tests)
_BATCH = (
    select(_OUTBOX.c.id)
    .where(*_DUE)
    .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id)
    .limit(bindparam("limit"))
    # PostgreSQL: a run skips the rows another run is claiming instead of waiting
    .with_for_update(skip_locked=True)
    .cte("batch")
    .prefix_with("MATERIALIZED")
)
_CLAIM_DUE = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(select(_BATCH.c.id)), *_DUE)
    .values(_CLAIM_VALUES)
    .returning(*_CLAIMED)
)
_DELIVERED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("message_ids", expanding=True)))
    .values(status=OutboxStatus.delivered, delivered_at=bindparam("at"), last_error=None)
)


def _transaction(session_factory: sessionmaker[Session]) -> AbstractContextManager[Connection]:
    """A transaction on the factory's engine, without a Session: a claim or a delivery is one
    UPDATE, and a Session's setup and teardown cost about as much as the statement."""
    engine: Engine = session_factory.kw["bind"]
    return engine.begin()


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

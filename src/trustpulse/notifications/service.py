"""Queue notifications in the outbox, inside the caller's transaction (never commits).

The message row is written with the event that causes it, so both commit or neither does; the
delivery job is enqueued only after that commit, and a periodic sweep picks up anything the
queue lost.
"""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from trustpulse.clock import utcnow
from trustpulse.errors import InvalidInputError, NotFoundError
from trustpulse.jobs.queue import enqueue_after_commit
from trustpulse.notifications.channels import get_channel
from trustpulse.notifications.models import OutboxMessage, OutboxStatus

DELIVER_JOB = "notifications.deliver"
_SUBJECT_MAX = 300


def queue_notification(
    session: Session,
    *,
    channel: str,
    subject: str,
    body: str,
    recipient: str | None = None,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Write a message to the outbox and return its id; with a dedupe_key, a second call
    (or a concurrent transaction's) writes nothing and returns the first message's id.

    One statement, `INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`, run on the
    session's connection: it touches no ORM object, so the session has nothing to flush or
    forget for it. Raises InvalidInputError for an unknown channel or a payload that is not JSON.
    """
    get_channel(channel)
    payload = payload or {}
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"notification payload is not JSON: {exc}", field="payload"
        ) from exc
    if len(subject) > _SUBJECT_MAX:
        subject = subject[: _SUBJECT_MAX - 1] + "…"
    now = utcnow()
    values = {
        "channel": channel,
        "recipient": recipient,
        "subject": subject,
        "body": body,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "status": OutboxStatus.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    connection = session.connection()
    written = connection.execute(_insert_once(connection.dialect.name), values).scalar()
    if written is None:  # only a taken dedupe key skips the row: that message stands
        return int(
            connection.execute(
                select(_TABLE.c.id).where(_TABLE.c.dedupe_key == dedupe_key)
            ).scalar_one()
        )
    # one run delivers whatever is due, so every commit asks for the same job and the queue
    # can run it once for many (jobs/queue.py: identical jobs waiting to start are one)
    enqueue_after_commit(session, DELIVER_JOB)
    return int(written)


_TABLE = cast("Table", OutboxMessage.__table__)
_COLUMNS = (
    "channel", "recipient", "subject", "body", "payload", "dedupe_key", "status", "attempts",
    "next_attempt_at", "created_at",
)  # fmt: skip
_INSERTS: dict[str, Insert] = {}


def _insert_once(dialect: str) -> Insert:
    """The outbox INSERT that skips a taken dedupe key (PostgreSQL and SQLite both say
    ON CONFLICT … DO NOTHING); returns the new id, or no row when skipped. Built once per
    dialect: its construction cost as much as running it."""
    statement = _INSERTS.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _INSERTS[dialect] = (
            insert(_TABLE)
            .values({name: bindparam(name, type_=_TABLE.c[name].type) for name in _COLUMNS})
            .on_conflict_do_nothing(index_elements=[_TABLE.c.dedupe_key])
            .returning(_TABLE.c.id)
        )
    return statement


def find_message(session: Session, dedupe_key: str) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))


def get_message(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFoundError(f"notification {message_id} not found", id=message_id)
    return message


def list_messages(
    session: Session, *, status: OutboxStatus | None = None, limit: int = 100
) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt))

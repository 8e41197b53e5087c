"""Queue notifications in the outbox, inside the caller's transaction (never commits).

The message row is written with the event that causes it, so both commit or neither does; the
delivery job is enqueued only after that commit, and a periodic sweep picks up anything the
queue lost.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
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
) -> OutboxMessage:
    """Write a message to the outbox; with a dedupe_key, a second call returns the first message.

    Raises InvalidInputError for an unknown channel or a payload that is not JSON.
    """
    get_channel(channel)
    payload = payload or {}
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"notification payload is not JSON: {exc}", field="payload"
        ) from exc
    if dedupe_key is not None and (existing := find_message(session, dedupe_key)) is not None:
        return existing
    if len(subject) > _SUBJECT_MAX:
        subject = subject[: _SUBJECT_MAX - 1] + "…"
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        payload=payload,
        dedupe_key=dedupe_key,
        status=OutboxStatus.pending,
        attempts=0,
        next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # a concurrent transaction queued the same dedupe key first
        existing = find_message(session, dedupe_key) if dedupe_key is not None else None
        if existing is None:
            raise
        return existing
    enqueue_after_commit(session, DELIVER_JOB, message_id=message.id)
    return message


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

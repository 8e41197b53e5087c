"""Notification channels: name -> sender. `log` now; webhook, email and chat tools later.

A sender gets a `Notification` (plain values, never an ORM object) and either returns, which
counts as delivered, or raises, which counts as a failed attempt to be retried with backoff.
Senders may be called more than once for the same message (a worker can die after sending but
before recording it), so a receiver that cares deduplicates on `Notification.id`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trustpulse.errors import InvalidInputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    id: int
    channel: str
    subject: str
    body: str
    recipient: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1  # 1 for the first attempt


Sender = Callable[[Notification], None]

_senders: dict[str, Sender] = {}


class UnknownChannelError(InvalidInputError):
    code = "unknown_channel"


def register_channel(name: str, sender: Sender, *, replace: bool = False) -> None:
    if name in _senders and not replace:
        raise ValueError(f"notification channel {name!r} is already registered")
    _senders[name] = sender


def unregister_channel(name: str) -> None:
    _senders.pop(name, None)


def channel(name: str) -> Callable[[Sender], Sender]:
    """Decorator form of register_channel."""

    def register(sender: Sender) -> Sender:
        register_channel(name, sender)
        return sender

    return register


def get_channel(name: str) -> Sender:
    try:
        return _senders[name]
    except KeyError:
        raise UnknownChannelError(
            f"unknown notification channel {name!r}", field="channel"
        ) from None


def channel_names() -> list[str]:
    return sorted(_senders)


@channel("log")
def send_to_log(notification: Notification) -> None:
    """Write the notification as a structured log record (the default, offline channel)."""
    logger.info(
        "notification %s to %s: %s",
        notification.id,
        notification.recipient or "-",
        notification.subject,
        extra={
            "notification_id": notification.id,
            "notification_recipient": notification.recipient,
            "notification_subject": notification.subject,
            "notification_body": notification.body,
            "notification_payload": notification.payload,
        },
    )

"""The injectable clock: nothing calls datetime.now() directly, so tests can move time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a time-zone aware start")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(UTC)


_current: Clock = SystemClock()


def get_clock() -> Clock:
    return _current


def utcnow() -> datetime:
    """The current time in UTC from the active clock."""
    return _current.now()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Install a clock for the duration of a block (tests, demo generation)."""
    global _current  # noqa: PLW0603 -- the clock is process-wide on purpose: one seam for time
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous

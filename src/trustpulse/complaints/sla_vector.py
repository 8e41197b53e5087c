"""Vectorised clock math for bulk SLA recomputation (see sla_bulk.py).

A work clock's cumulative working time W(t) is piecewise linear: slope 1 inside opening
intervals, 0 outside. With the intervals of every day in a range laid out as breakpoints
(open, close, open, close …) and W at each, `elapsed(a, b) = W(b) - W(a)` and
`add(s, d) = W⁻¹(W(s) + d)` (the earliest such instant) become two `searchsorted` calls over
whole arrays. Times are int64 microseconds since the epoch, so results equal the scalar
`BusinessCalendar` / `AroundTheClock` exactly (a test checks it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from trustpulse.complaints.calendar import AroundTheClock, BusinessCalendar, WorkClock

Micros = npt.NDArray[np.int64]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = timedelta(days=1)


def to_micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(value))


class VectorClock:
    """W and W⁻¹ of one work clock over [start, end] (beyond it: nothing is open)."""

    def __init__(self, clock: WorkClock, start: datetime, end: datetime) -> None:
        self.name = clock.name
        self.identity = isinstance(clock, AroundTheClock)
        if self.identity:
            self.points = np.zeros(0, dtype=np.int64)
            self.cum = np.zeros(0, dtype=np.int64)
            return
        if not isinstance(clock, BusinessCalendar):
            raise TypeError(f"no vector form for clock {clock.name!r}")
        edges: list[int] = []
        zone_start = start.astimezone(clock.zone).date() - _DAY
        zone_end = end.astimezone(clock.zone).date() + _DAY
        day = zone_start
        while day <= zone_end:
            for opens, closes in clock.intervals(day):
                edges += [to_micros(opens), to_micros(closes)]
            day += _DAY
        points = np.asarray(edges, dtype=np.int64)
        lengths = points[1::2] - points[0::2]
        cum = np.zeros(len(points), dtype=np.int64)
        cum[1::2] = np.cumsum(lengths)
        cum[2::2] = cum[1:-1:2]
        self.points, self.cum = points, cum
        self.end = to_micros(end)

    def work(self, t: Micros) -> Micros:
        """W(t): working microseconds from the range's start up to t."""
        if self.identity:
            return t
        if len(self.points) == 0:
            return np.zeros_like(t)
        i = np.searchsorted(self.points, t, side="right") - 1
        inside = (i >= 0) & (i % 2 == 0)  # t in [open, close)
        base = self.cum[np.clip(i, 0, None)]
        base = np.where(i < 0, 0, base)
        return np.where(inside, base + (t - self.points[np.clip(i, 0, None)]), base)

    def elapsed(self, a: Micros, b: Micros) -> Micros:
        """Working time between a and b (0 where b is not after a)."""
        return np.where(b > a, self.work(b) - self.work(a), 0)

    def add(self, start: Micros, duration: Micros) -> Micros:
        """The earliest instant with `duration` of working time after `start` (d ≤ 0: start)."""
        if self.identity:
            return start + np.maximum(duration, 0)
        target = self.work(start) + duration
        i = np.searchsorted(self.cum, target, side="left")
        if np.any((i >= len(self.cum)) & (duration > 0)):
            raise ValueError(f"calendar {self.name!r}: a deadline lies beyond the prepared range")
        i = np.clip(i, 0, len(self.cum) - 1)
        exact = self.cum[i] == target
        previous = np.clip(i - 1, 0, None)
        inside = self.points[previous] + (target - self.cum[previous])
        result = np.where(exact, self.points[i], inside)
        return np.where(duration > 0, result, start)

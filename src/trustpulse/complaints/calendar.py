"""Business calendars and the clock math of SLA targets: add working time, measure it.

A `WorkClock` answers two questions: which instant lies N seconds of working time after a
start (`add`), and how much working time lies between two instants (`elapsed`). Both work in
`timedelta`, which is exact to the microsecond, so `elapsed(s, add(s, d)) == d` holds exactly.

`AroundTheClock` counts every second (24×7 and "calendar" policies). `BusinessCalendar` counts
only opening hours in its time zone: weekly hours per weekday, public holidays off, and make-up
working days (调休) on. Holidays come from the `holidays` package: `country_holidays("CN")` lists
the days off (including the substituted "Day off" weekdays), and its `weekend_workdays` set
holds the Saturdays and Sundays that are worked instead, e.g. 2025-09-28 and 2025-10-11 around
National Day 2025. The package only knows the State Council's announced years, so a config may
add `extra_holidays` / `extra_workdays` for dates it does not know yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

AROUND_THE_CLOCK = "24x7"
_MAX_DAYS = 3700  # about ten years of days: a target that far away is a configuration error
_ONE_DAY = timedelta(days=1)

HourRange = tuple[time, time]


class WorkClock(Protocol):
    name: str

    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...

    @property
    def business_day(self) -> timedelta: ...


class AroundTheClock:
    """Every second counts: 24×7 and calendar-time policies."""

    name = AROUND_THE_CLOCK

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return start + max(duration, timedelta(0))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta(0))

    @property
    def business_day(self) -> timedelta:
        return _ONE_DAY


class BusinessCalendar:
    """Opening hours in one time zone, with public holidays off and make-up days on.

    `hours` maps a weekday (0 = Monday) to its opening ranges in local time; make-up working
    days use `makeup_hours`. A range may not cross midnight (split it in two).
    """

    def __init__(
        self,
        name: str,
        *,
        timezone: str,
        hours: Mapping[int, Sequence[HourRange]],
        makeup_hours: Sequence[HourRange],
        country: str | None = None,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        self.name = name
        self.zone = ZoneInfo(timezone)
        self.hours = {day: sorted(ranges) for day, ranges in hours.items()}
        self.makeup_hours = sorted(makeup_hours)
        self.public = holidays.country_holidays(country) if country else None
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        self._intervals: dict[date, list[tuple[datetime, datetime]]] = {}

    @property
    def business_day(self) -> timedelta:
        """The length of a standard working day (Monday's hours): "3 business days" uses it."""
        return sum((_length(r) for r in self.hours.get(0, [])), timedelta(0))

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return True
        return self.public is not None and day in self.public  # `in` loads the year's data

    def is_makeup_workday(self, day: date) -> bool:
        """A weekend day worked in exchange for a holiday (调休)."""
        if day in self.extra_workdays:
            return True
        if self.public is None:
            return False
        _ = day in self.public  # loads the year, which fills weekend_workdays for it
        return day in getattr(self.public, "weekend_workdays", set())

    def ranges(self, day: date) -> list[HourRange]:
        """The local opening ranges of a day (empty on days off)."""
        if self.is_makeup_workday(day):
            return self.makeup_hours
        if self.is_holiday(day):
            return []
        return self.hours.get(day.weekday(), [])

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening ranges as UTC instants, in order."""
        cached = self._intervals.get(day)
        if cached is None:
            cached = [
                (self._instant(day, opens), self._instant(day, closes))
                for opens, closes in self.ranges(day)
            ]
            self._intervals[day] = cached
        return cached

    def _instant(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.zone).astimezone(UTC)

    def _local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of working time after `start` (at a closing time if it ends
        exactly there). A non-positive duration returns `start`."""
        remaining = duration
        if remaining <= timedelta(0):
            return start
        day = self._local_day(start)
        for _ in range(_MAX_DAYS):
            for opens, closes in self.intervals(day):
                if closes <= start:
                    continue
                begin = max(opens, start)
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += _ONE_DAY
        raise ValueError(f"calendar {self.name!r} has no working time for {duration} after {start}")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (zero if end is not after start)."""
        total = timedelta(0)
        if end <= start:
            return total
        day, last = self._local_day(start), self._local_day(end)
        while day <= last:
            for opens, closes in self.intervals(day):
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta(0):
                    total += overlap
            day += _ONE_DAY
        return total


def _length(hour_range: HourRange) -> timedelta:
    opens, closes = hour_range
    return datetime.combine(date.min, closes) - datetime.combine(date.min, opens)

"""Periods cut in a brand's time zone: labels (2026-03-05, 2026-W10, 2026-03, 2026Q1) and bounds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from trustpulse.errors import InvalidInputError

PERIOD_DIMENSIONS = ("day", "week", "month", "quarter")

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def period_label(day: date, period: str) -> str:
    """The label of the period (day, week = ISO week, month, quarter) that contains `day`."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    raise ValueError(f"unknown period {period!r}")


def period_bounds(label: str) -> tuple[date, date]:
    """(first day, day after the last) of a labelled period; raises InvalidInputError."""
    if m := _DAY.match(label):
        start = date(int(m[1]), int(m[2]), int(m[3]))
        return start, start + timedelta(days=1)
    if m := _WEEK.match(label):
        start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        return start, start + timedelta(days=7)
    if m := _MONTH.match(label):
        start = date(int(m[1]), int(m[2]), 1)
        return start, _add_months(start, 1)
    if m := _QUARTER.match(label):
        start = date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1)
        return start, _add_months(start, 3)
    if re.fullmatch(r"\d{4}", label):
        return date(int(label), 1, 1), date(int(label) + 1, 1, 1)
    raise InvalidInputError(f"not a period label: {label!r}", field="period")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_midnight_utc(day: date, zone: str) -> datetime:
    """The UTC instant at which `day` begins in `zone`."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc_range(since: date | None, until: date | None, zone: str) -> tuple[datetime | None, ...]:
    """[start, end) in UTC for inclusive local dates since..until (None: unbounded)."""
    start = local_midnight_utc(since, zone) if since else None
    end = local_midnight_utc(until + timedelta(days=1), zone) if until else None
    return start, end


@lru_cache(maxsize=64)
def fixed_offset_minutes(zone: str) -> int | None:
    """The zone's UTC offset in minutes if it has not changed since 2000 (and is not planned to
    by 2040), else None. Asia/Shanghai: 480 (no DST since 1991)."""
    tz = ZoneInfo(zone)
    offsets = set()
    for year in range(2000, 2041):
        for month in (1, 4, 7, 10):
            offset = datetime(year, month, 1, 12, tzinfo=tz).utcoffset()
            offsets.add(offset)
    if len(offsets) != 1:
        return None
    (only,) = offsets
    return None if only is None else int(only.total_seconds() // 60)


def local_date_of_bucket(bucket: str, zone: str) -> date:
    """A UTC quarter-hour bucket 'YYYY-MM-DD HH:MM' -> the local date in `zone` (exact for every
    zone whose offsets are whole quarter hours, i.e. all of them)."""
    moment = datetime.strptime(bucket, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).date()

"""Clock math of SLA targets: business hours, weekends, Chinese holidays and make-up days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustpulse.complaints.calendar import AroundTheClock, BusinessCalendar
from trustpulse.complaints.config import CalendarConfig

SH = ZoneInfo("Asia/Shanghai")
CAL = CalendarConfig().build("cn_business")

instants = st.datetimes(  # hypothesis takes naive bounds; `timezones` attaches UTC
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2026, 12, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200))


def sh(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SH)


def test_holidays_package_knows_national_day_2025_and_its_makeup_days() -> None:
    cn = holidays.country_holidays("CN", years=2025)
    assert all(date(2025, 10, d) in cn or date(2025, 10, d).weekday() >= 5 for d in range(1, 9))
    assert {date(2025, 9, 28), date(2025, 10, 11)} <= cn.weekend_workdays


def test_national_day_2025_is_off_and_makeup_weekend_days_are_worked() -> None:
    for day in range(1, 9):
        assert CAL.ranges(date(2025, 10, day)) == []
    assert CAL.is_makeup_workday(date(2025, 9, 28))  # a Sunday
    assert CAL.is_makeup_workday(date(2025, 10, 11))  # a Saturday
    assert CAL.elapsed(sh(2025, 9, 28, 0), sh(2025, 9, 29, 0)) == timedelta(hours=9)
    assert CAL.elapsed(sh(2025, 10, 11, 0), sh(2025, 10, 12, 0)) == timedelta(hours=9)
    assert CAL.elapsed(sh(2025, 10, 12, 0), sh(2025, 10, 13, 0)) == timedelta(0)  # plain Sunday


def test_an_hour_before_national_day_closes_carries_over_the_whole_holiday() -> None:
    # Tue 2025-09-30 17:00: one hour left that day, then Oct 1-8 off, back on Thu Oct 9
    assert CAL.add(sh(2025, 9, 30, 17), timedelta(hours=3)) == sh(2025, 10, 9, 11)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (sh(2025, 6, 10, 10), 4, sh(2025, 6, 10, 14)),  # inside one day
        (sh(2025, 6, 10, 16), 4, sh(2025, 6, 11, 11)),  # overnight
        (sh(2025, 6, 10, 20), 1, sh(2025, 6, 11, 10)),  # opened after hours
        (sh(2025, 6, 13, 17), 2, sh(2025, 6, 16, 10)),  # Friday → Monday
        (sh(2025, 6, 14, 12), 9, sh(2025, 6, 16, 18)),  # opened on Saturday: ends at close
        (sh(2025, 6, 9, 14), 27, sh(2025, 6, 12, 14)),  # 3 business days
    ],
)
def test_business_hours_add(start: datetime, hours: int, due: datetime) -> None:
    assert CAL.add(start, timedelta(hours=hours)) == due


@settings(max_examples=150, deadline=None)
@given(start=instants, duration=durations)
def test_elapsed_inverts_add(start: datetime, duration: timedelta) -> None:
    assert CAL.elapsed(start, CAL.add(start, duration)) == duration


@settings(max_examples=150, deadline=None)
@given(a=instants, b=instants, c=instants)
def test_elapsed_is_additive_and_bounded(a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert CAL.elapsed(a, c) == CAL.elapsed(a, b) + CAL.elapsed(b, c)
    assert timedelta(0) <= CAL.elapsed(a, c) <= c - a


@settings(max_examples=100, deadline=None)
@given(
    start=instants,
    duration=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=100)),
)
def test_a_deadline_falls_inside_opening_hours_on_a_working_day(
    start: datetime, duration: timedelta
) -> None:
    due = CAL.add(start, duration).astimezone(SH)
    assert any(opens < due.astimezone(UTC) <= closes for opens, closes in CAL.intervals(due.date()))


@settings(max_examples=100, deadline=None)
@given(start=instants, first=durations, second=durations)
def test_add_composes(start: datetime, first: timedelta, second: timedelta) -> None:
    assert CAL.add(CAL.add(start, first), second) == CAL.add(start, first + second) or (
        # adding zero from outside opening hours stays put; the sum then starts at opening
        first == timedelta(0) or second == timedelta(0)
    )


@given(start=instants, duration=durations)
def test_around_the_clock_counts_every_second(start: datetime, duration: timedelta) -> None:
    clock = AroundTheClock()
    assert clock.add(start, duration) == start + duration
    assert clock.elapsed(start, start + duration) == duration


def test_extra_holidays_and_workdays_from_config_override_the_package() -> None:
    cal = BusinessCalendar(
        "custom",
        timezone="Asia/Shanghai",
        hours={0: CAL.hours[0]},
        makeup_hours=CAL.makeup_hours,
        country=None,
        extra_holidays=[date(2025, 6, 9)],  # a Monday
        extra_workdays=[date(2025, 6, 14)],  # a Saturday
    )
    assert cal.ranges(date(2025, 6, 9)) == []
    assert cal.elapsed(sh(2025, 6, 14, 0), sh(2025, 6, 15, 0)) == timedelta(hours=9)

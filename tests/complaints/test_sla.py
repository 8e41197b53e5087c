"""SLA clocks derived from the event log: pauses, reopen, policy change mid-flight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from trustpulse.complaints.calendar import AroundTheClock, WorkClock
from trustpulse.complaints.config import CalendarConfig
from trustpulse.complaints.models import ComplaintState, SlaStatus, SlaTarget
from trustpulse.complaints.sla import AGENT, CUSTOMER, ClockEvent, derive_clocks

CAL = CalendarConfig().build("cn_business")
S = ComplaintState
PAUSE = [S.waiting_on_customer]
T0 = datetime(2025, 9, 26, 1, tzinfo=UTC)  # Friday 09:00 Shanghai, before National Day

gaps = st.lists(
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4)), min_size=4, max_size=4
)


def _log(opened: datetime, gap: list[timedelta]) -> list[ClockEvent]:
    """opened → agent reply → waiting → customer reply (resumes) → resolved → reopened."""
    at = [opened]
    for g in gap:
        at.append(at[-1] + g)
    return [
        ClockEvent("opened", at[0], S.new),
        ClockEvent("replied", at[1], S.acknowledged, AGENT),
        ClockEvent("state_changed", at[1], S.waiting_on_customer),
        ClockEvent("replied", at[2], S.in_progress, CUSTOMER),
        ClockEvent("resolved", at[3], S.resolved),
        ClockEvent("reopened", at[4], S.in_progress),
    ]


@settings(max_examples=120, deadline=None)
@given(gap=gaps, business=st.booleans())
def test_paused_and_resolved_time_never_counts(gap: list[timedelta], business: bool) -> None:
    work: WorkClock = CAL if business else AroundTheClock()
    events = _log(T0, gap)
    clocks = derive_clocks(events, clock=work, pause_states=PAUSE)
    resolution = clocks[SlaTarget.resolution]
    waiting = work.elapsed(events[2].at, events[3].at)
    resolved = work.elapsed(events[4].at, events[5].at)
    assert resolution.status == SlaStatus.active
    assert resolution.paused == waiting + resolved
    later = events[-1].at + timedelta(hours=30)
    counted = work.elapsed(events[0].at, events[2].at) + work.elapsed(events[3].at, events[4].at)
    assert resolution.elapsed(later, work) == counted + work.elapsed(events[5].at, later)
    # the deadline is exactly where the active time reaches the target
    target = timedelta(hours=24)
    due = resolution.due_at(target, work)
    assert due is not None
    assert resolution.elapsed(due, work) == target
    assert clocks[SlaTarget.first_response].fulfilled_at == events[1].at
    assert clocks[SlaTarget.next_reply].cycle == 2  # the customer's message, then the reopen


def test_waiting_pauses_across_the_national_day_holiday() -> None:
    # asked the customer Tue 30 Sep 17:00 Shanghai, answered Thu 9 Oct 10:00: only the
    # working time in between (1 h on 30 Sep, 1 h on 9 Oct) is paused business time
    opened = datetime(2025, 9, 30, 8, tzinfo=UTC)  # 16:00 Shanghai
    events = [
        ClockEvent("opened", opened, S.new),
        ClockEvent("acknowledged", opened + timedelta(hours=1), S.acknowledged),
        ClockEvent("state_changed", opened + timedelta(hours=1), S.waiting_on_customer),
        ClockEvent("replied", datetime(2025, 10, 9, 2, tzinfo=UTC), S.in_progress, CUSTOMER),
    ]
    clocks = derive_clocks(events, clock=CAL, pause_states=PAUSE)
    resolution = clocks[SlaTarget.resolution]
    assert resolution.paused == timedelta(hours=2)
    # 3 business days = 27 h; 1 h ran before the pause, so 26 h remain from 9 Oct 10:00:
    # 8 h on Thu 9, 9 h on Fri 10 and 9 h on Sat 11 Oct, a make-up working day (调休)
    due = resolution.due_at(3 * CAL.business_day, CAL)
    assert due == datetime(2025, 10, 11, 18, tzinfo=CAL.zone)
    # no pause when waiting is not configured as a pause state
    unpaused = derive_clocks(events, clock=CAL, pause_states=[])[SlaTarget.resolution]
    assert unpaused.paused == timedelta(0)


@settings(max_examples=80, deadline=None)
@given(
    gap=gaps,
    before=st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(hours=100)),
    after=st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(hours=100)),
)
def test_a_policy_change_mid_flight_keeps_what_elapsed_and_moves_the_deadline(
    gap: list[timedelta], before: timedelta, after: timedelta
) -> None:
    clocks = derive_clocks(_log(T0, gap), clock=CAL, pause_states=PAUSE)
    resolution = clocks[SlaTarget.resolution]
    old, new = resolution.due_at(before, CAL), resolution.due_at(after, CAL)
    assert old is not None
    assert new is not None
    assert CAL.elapsed(min(old, new), max(old, new)) == abs(after - before)


def test_a_customer_message_before_the_first_response_starts_no_next_reply_clock() -> None:
    events = [
        ClockEvent("opened", T0, S.new),
        ClockEvent("replied", T0 + timedelta(minutes=5), None, CUSTOMER),
    ]
    clocks = derive_clocks(events, clock=CAL, pause_states=PAUSE)
    assert set(clocks) == {SlaTarget.first_response, SlaTarget.resolution}


def test_closing_a_case_that_was_never_resolved_stops_every_clock() -> None:
    # exports often close a case without a resolved step; it must not breach forever after
    closed_at = T0 + timedelta(hours=2)
    events = [
        ClockEvent("opened", T0, S.new),
        ClockEvent("closed", closed_at, S.closed),
    ]
    clocks = derive_clocks(events, clock=CAL, pause_states=PAUSE)
    assert {t: c.fulfilled_at for t, c in clocks.items()} == {
        SlaTarget.first_response: closed_at,
        SlaTarget.resolution: closed_at,
    }
    reopened = derive_clocks(
        [*events, ClockEvent("reopened", closed_at + timedelta(hours=1), S.in_progress)],
        clock=CAL,
        pause_states=PAUSE,
    )
    assert reopened[SlaTarget.resolution].status == SlaStatus.active

"""SLA policies and clocks, as pure functions of configuration and the event log.

A complaint has up to three target clocks: first response, next reply (a new cycle after each
customer message that waits for an answer) and resolution. `derive_clocks` replays the
lifecycle events into those clocks:

- opened starts first response and resolution;
- an agent's acknowledgement or reply fulfils first response and the running next reply;
- a customer message, once first response is met and no next reply is running, starts a
  next-reply cycle;
- entering a pause state (default: waiting_on_customer) pauses every running clock; leaving it
  resumes them; paused time is measured on the clock's own calendar and added to the deadline;
- an agent's reply on a public channel fulfils the public-reply clock of a public case;
- resolved (or closed without being resolved first, as imported exports often are) fulfils
  every clock; reopened resumes the resolution clock (the time it was resolved does not count)
  and starts a next-reply cycle.

The policy is applied to the whole history, so a changed policy or severity moves the
deadlines of running clocks ("policy change mid-flight") while keeping what elapsed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from trustpulse.complaints.calendar import AROUND_THE_CLOCK, WorkClock
from trustpulse.complaints.config import PolicyConfig, SlaConfig
from trustpulse.complaints.models import ComplaintState, Severity, SlaStatus, SlaTarget

_ZERO = timedelta(0)
AGENT, CUSTOMER = "agent", "customer"
# a closed case is finished whether or not it passed through resolved: its clocks stop
TERMINAL_STATES = frozenset({ComplaintState.resolved, ComplaintState.closed})


@dataclass(frozen=True)
class ClockEvent:
    """What the clocks need from one log entry."""

    kind: str
    at: datetime
    to_state: ComplaintState | None = None
    author: str | None = None  # replies: "agent" or "customer"
    channel: str | None = None  # opened: the case's channel; replies: the reply's channel


@dataclass
class TargetClock:
    target: SlaTarget
    cycle: int
    started_at: datetime
    paused_at: datetime | None = None
    paused: timedelta = field(default=_ZERO)  # closed pauses, in the clock's working time
    fulfilled_at: datetime | None = None

    @property
    def status(self) -> SlaStatus:
        if self.fulfilled_at is not None:
            return SlaStatus.fulfilled
        return SlaStatus.paused if self.paused_at is not None else SlaStatus.active

    def pause(self, at: datetime) -> None:
        if self.fulfilled_at is None and self.paused_at is None:
            self.paused_at = at

    def resume(self, at: datetime, clock: WorkClock) -> None:
        if self.paused_at is not None:
            self.paused += clock.elapsed(self.paused_at, at)
            self.paused_at = None

    def fulfil(self, at: datetime, clock: WorkClock) -> None:
        if self.fulfilled_at is None:
            self.resume(at, clock)
            self.fulfilled_at = at

    def reactivate(self, at: datetime, clock: WorkClock) -> None:
        """Reopen: the time since fulfilment counts as a pause."""
        if self.fulfilled_at is not None:
            self.paused += clock.elapsed(self.fulfilled_at, at)
            self.fulfilled_at = None

    def threshold(self, share: float, duration: timedelta, clock: WorkClock) -> datetime:
        """When `share` of the target will have elapsed (as if no further pause happens)."""
        return clock.add(self.started_at, duration * share + self.paused)

    def due_at(self, duration: timedelta, clock: WorkClock) -> datetime | None:
        return None if self.paused_at is not None else self.threshold(1.0, duration, clock)

    def elapsed(self, now: datetime, clock: WorkClock) -> timedelta:
        """Working time the clock has run (pauses excluded), up to fulfilment, pause or now."""
        end = self.fulfilled_at or self.paused_at or now
        return clock.elapsed(self.started_at, end) - self.paused


def derive_clocks(
    events: Iterable[ClockEvent],
    *,
    clock: WorkClock,
    pause_states: Sequence[ComplaintState],
    public_channels: Collection[str] = (),
) -> dict[SlaTarget, TargetClock]:
    """Replay lifecycle events (in log order) into target clocks; see the module docstring.

    A case opened on a public channel (reviews, posts) also runs `public_reply`, fulfilled by
    the first agent reply on a public channel.
    """
    clocks: dict[SlaTarget, TargetClock] = {}
    state: ComplaintState | None = None
    for event in events:
        if event.kind == "opened":
            state = event.to_state or ComplaintState.new
            for target in (SlaTarget.first_response, SlaTarget.resolution):
                clocks[target] = TargetClock(target, 1, event.at)
            if event.channel is not None and event.channel in public_channels:
                clocks[SlaTarget.public_reply] = TargetClock(SlaTarget.public_reply, 1, event.at)
            continue
        if not clocks:
            continue  # a log that does not begin with `opened` has no clocks
        new_state = event.to_state or state
        was_paused, now_paused = state in pause_states, new_state in pause_states
        if was_paused and not now_paused:
            for running in clocks.values():
                running.resume(event.at, clock)
        _apply(event, clocks, clock)
        public = clocks.get(SlaTarget.public_reply)
        if public is not None and _is_public_answer(event, public_channels):
            public.fulfil(event.at, clock)
        if new_state in TERMINAL_STATES and state not in TERMINAL_STATES:
            for running in clocks.values():
                running.fulfil(event.at, clock)
        if now_paused:
            for running in clocks.values():
                running.pause(event.at)
        state = new_state
    return clocks


def _apply(event: ClockEvent, clocks: dict[SlaTarget, TargetClock], clock: WorkClock) -> None:
    """Replies, acknowledgements and reopening (state-driven pauses are handled by the caller)."""
    if event.kind == "reopened":
        clocks[SlaTarget.resolution].reactivate(event.at, clock)
        _start_next_reply(clocks, event.at)
    elif event.kind == "acknowledged" or (event.kind == "replied" and event.author == AGENT):
        for target in (SlaTarget.first_response, SlaTarget.next_reply):
            if target in clocks:
                clocks[target].fulfil(event.at, clock)
    elif event.kind == "replied" and event.author == CUSTOMER:
        first = clocks[SlaTarget.first_response]
        current = clocks.get(SlaTarget.next_reply)
        if first.fulfilled_at is not None and (current is None or current.fulfilled_at):
            _start_next_reply(clocks, event.at)


def _is_public_answer(event: ClockEvent, public_channels: Collection[str]) -> bool:
    return (
        event.kind == "replied"
        and event.author == AGENT
        and event.channel is not None
        and event.channel in public_channels
    )


def _start_next_reply(clocks: dict[SlaTarget, TargetClock], at: datetime) -> None:
    previous = clocks.get(SlaTarget.next_reply)
    cycle = previous.cycle + 1 if previous is not None else 1
    clocks[SlaTarget.next_reply] = TargetClock(SlaTarget.next_reply, cycle, at)


@dataclass(frozen=True)
class Subject:
    """The complaint attributes policies match on."""

    category: str | None
    severity: Severity
    channel: str
    tier: str | None


def match_policy(config: SlaConfig, subject: Subject) -> PolicyConfig:
    """The first policy whose every given list contains the complaint's value."""
    for policy in config.policies:
        m = policy.match
        if (
            (m.category is None or subject.category in m.category)
            and (m.severity is None or subject.severity in m.severity)
            and (m.channel is None or subject.channel in m.channel)
            and (m.tier is None or subject.tier in m.tier)
        ):
            return policy
    return config.policies[-1]  # unreachable: validation makes the last policy a catch-all


class _PolicyNamed(Protocol):
    @property
    def policy(self) -> str: ...


def policy_of_clocks(clocks: Sequence[_PolicyNamed]) -> str | None:
    """The policy a case runs on, read from its clocks (None: no clock yet). `sync_sla` and the
    bulk recompute write the case's policy into every clock it has, so the case keeps no copy
    of its own: a recompute that moved a million cases to new policies would otherwise rewrite
    a million case rows as well."""
    return clocks[0].policy if clocks else None


def clock_name(config: SlaConfig, policy: PolicyConfig, team_calendar: str | None) -> str:
    """24×7 for calendar-time policies; else the policy's, the team's, or the default calendar."""
    if policy.hours == "calendar":
        return AROUND_THE_CLOCK
    if policy.calendar is not None:
        return policy.calendar
    if team_calendar is not None and team_calendar in config.calendars:
        return team_calendar
    return config.default_calendar


def alert_shares(config: SlaConfig) -> list[float]:
    """Shares of a target at which something fires: the warning, then each escalation level."""
    return [config.warn_at, *(level.at for level in config.escalations)]


def next_check(
    running: TargetClock,
    *,
    duration: timedelta,
    clock: WorkClock,
    config: SlaConfig,
    warned: bool,
    escalation_level: int,
) -> datetime | None:
    """When the escalation runner must next look at this clock (None: nothing left to fire)."""
    if running.status != SlaStatus.active:
        return None
    pending = [] if warned else [config.warn_at]
    pending += [level.at for level in config.escalations[escalation_level:]]
    if not pending:
        return None
    return running.threshold(min(pending), duration, clock)

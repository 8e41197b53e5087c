"""Stored SLA clocks: derive them from policy + event log and write `complaint_sla_targets`.

`sync_sla` runs after every lifecycle change, and for every complaint on `sla recompute`. It
records what changed as SLA events (activated, paused, resumed, fulfilled, breached when met
late, rescheduled when the policy moved a deadline), so the log tells the clock's story.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.accounts.models import Team
from trustpulse.complaints.calendar import AROUND_THE_CLOCK, WorkClock
from trustpulse.complaints.config import PolicyConfig, SlaConfig, duration_of
from trustpulse.complaints.contracts import earn_credit
from trustpulse.complaints.events import (
    SLA_PREFIX,
    append_event,
    known_log,
    list_events,
    remember_last_seq,
    transaction_memo,
)
from trustpulse.complaints.models import (
    TARGET_ORDER,
    Complaint,
    ComplaintContract,
    ComplaintEvent,
    ComplaintSlaTarget,
    ComplaintState,
    SlaStatus,
    SlaTarget,
)
from trustpulse.complaints.sla import (
    ClockEvent,
    Subject,
    TargetClock,
    clock_name,
    derive_clocks,
    match_policy,
    next_check,
)
from trustpulse.customers.models import Customer


def clock_events(events: list[ComplaintEvent]) -> list[ClockEvent]:
    return [
        ClockEvent(
            kind=e.kind,
            at=e.at,
            to_state=ComplaintState(e.to_state) if e.to_state else None,
            author=e.data.get("author"),
            channel=e.channel,
        )
        for e in events
        if not e.kind.startswith(SLA_PREFIX)
    ]


def subject_of(session: Session, complaint: Complaint) -> Subject:
    tier = None
    if complaint.customer_id is not None:
        tier = session.scalar(select(Customer.tier).where(Customer.id == complaint.customer_id))
    return Subject(complaint.category, complaint.severity, complaint.channel, tier)


def contract_policy(
    session: Session, complaint: Complaint, config: SlaConfig
) -> PolicyConfig | None:
    """The customer's contract policy, if the customer has a contract that sla.yaml knows."""
    if complaint.customer_id is None or not config.contracts:
        return None
    name = session.scalar(
        select(ComplaintContract.contract).where(
            ComplaintContract.customer_id == complaint.customer_id
        )
    )
    contract = config.contracts.get(name) if name is not None else None
    return contract.policy if contract is not None else None


def targets_of(session: Session, complaint_id: int) -> dict[SlaTarget, ComplaintSlaTarget]:
    rows = session.scalars(
        select(ComplaintSlaTarget).where(ComplaintSlaTarget.complaint_id == complaint_id)
    )
    return {row.target: row for row in rows}


def remember_targets(
    session: Session, complaint_id: int, rows: Iterable[ComplaintSlaTarget]
) -> dict[SlaTarget, ComplaintSlaTarget]:
    """Hold the case's clock rows, just read under its row lock (none for a case opened in
    this transaction), until the transaction ends: `sync_sla` then reads and extends these."""
    targets = {row.target: row for row in rows}
    transaction_memo(session, "sla_targets")[complaint_id] = targets
    return targets


def known_targets(session: Session, complaint_id: int) -> list[ComplaintSlaTarget] | None:
    """The clock rows `remember_targets` holds (with any `sync_sla` added), in target order."""
    targets: dict[SlaTarget, ComplaintSlaTarget] | None = transaction_memo(
        session, "sla_targets"
    ).get(complaint_id)
    if targets is None:
        return None
    return sorted(targets.values(), key=lambda row: TARGET_ORDER[row.target])


@dataclass
class CaseFacts:
    """What `sync_sla` reads about one case, read for many cases at once by `read_case_facts`."""

    events: list[ClockEvent]  # the log's non-SLA entries, in order
    targets: dict[SlaTarget, ComplaintSlaTarget]
    tier: str | None
    contract: str | None
    team_calendar: str | None


def read_case_facts(session: Session, complaints: Sequence[Complaint]) -> dict[int, CaseFacts]:
    """The logs, clock rows, tiers, contracts and team calendars of these cases, in 5 queries
    (instead of 5 per case): the bulk recompute's per-case replays run on them."""
    ids = [c.id for c in complaints]
    facts = {c.id: CaseFacts([], {}, None, None, None) for c in complaints}
    e = ComplaintEvent
    last_seq: dict[int, int] = {}
    # plain rows, not ORM objects: a replay reads five fields of each entry and writes none
    for complaint_id, seq, kind, at, to_state, data, channel in session.execute(
        select(e.complaint_id, e.seq, e.kind, e.at, e.to_state, e.data, e.channel)
        .where(e.complaint_id.in_(ids))
        .order_by(e.complaint_id, e.seq)
    ):
        last_seq[complaint_id] = seq
        if not kind.startswith(SLA_PREFIX):
            facts[complaint_id].events.append(
                ClockEvent(
                    kind=kind,
                    at=at,
                    to_state=ComplaintState(to_state) if to_state else None,
                    author=(data or {}).get("author"),
                    channel=channel,
                )
            )
    for row in session.scalars(
        select(ComplaintSlaTarget).where(ComplaintSlaTarget.complaint_id.in_(ids))
    ):
        facts[row.complaint_id].targets[row.target] = row
    customer_ids = {c.customer_id for c in complaints if c.customer_id is not None}
    tiers = dict(
        session.execute(
            select(Customer.id, Customer.tier).where(Customer.id.in_(customer_ids))
        ).all()
    )
    contracts = dict(
        session.execute(
            select(ComplaintContract.customer_id, ComplaintContract.contract).where(
                ComplaintContract.customer_id.in_(customer_ids)
            )
        ).all()
    )
    team_ids = {c.team_id for c in complaints if c.team_id is not None}
    calendars = dict(
        session.execute(select(Team.id, Team.calendar).where(Team.id.in_(team_ids))).all()
    )
    for c in complaints:
        fact = facts[c.id]
        if c.customer_id is not None:
            fact.tier, fact.contract = tiers.get(c.customer_id), contracts.get(c.customer_id)
        if c.team_id is not None:
            fact.team_calendar = calendars.get(c.team_id)
        if c.id in last_seq:
            remember_last_seq(session, c.id, last_seq[c.id])
    return facts


def policy_of(session: Session, complaint: Complaint, config: SlaConfig) -> PolicyConfig:
    """The policy `sync_sla` will apply to the case (a contract's first)."""
    return contract_policy(session, complaint, config) or match_policy(
        config, subject_of(session, complaint)
    )


def _policy(
    session: Session, complaint: Complaint, config: SlaConfig, facts: CaseFacts | None
) -> tuple[PolicyConfig, str | None]:
    """The case's policy (a contract's first) and its team's calendar."""
    if facts is None:
        policy = policy_of(session, complaint, config)
        team_calendar = None
        if complaint.team_id is not None:
            team_calendar = session.scalar(
                select(Team.calendar).where(Team.id == complaint.team_id)
            )
        return policy, team_calendar
    contract = config.contracts.get(facts.contract) if facts.contract is not None else None
    subject = Subject(complaint.category, complaint.severity, complaint.channel, facts.tier)
    policy = contract.policy if contract is not None else match_policy(config, subject)
    return policy, facts.team_calendar


def _derive_all(
    events: list[ClockEvent], channel: str, config: SlaConfig, policy: PolicyConfig, name: str
) -> tuple[dict[SlaTarget, TargetClock], dict[SlaTarget, tuple[str, WorkClock, timedelta]]]:
    """The case's clocks, and each one's calendar name, calendar and target duration."""
    clock = config.clock(name)
    derived = derive_clocks(events, clock=clock, pause_states=config.pause_states)
    clocks: dict[SlaTarget, tuple[str, WorkClock, timedelta]] = {
        t: (name, clock, policy.duration(t, clock)) for t in derived
    }
    public = config.public_reply
    if channel in public.channels:
        public_name = AROUND_THE_CLOCK if public.hours == "calendar" else name
        public_clock = config.clock(public_name)
        public_derived = derive_clocks(
            events,
            clock=public_clock,
            pause_states=config.pause_states,
            public_channels=public.channels,
        )
        if SlaTarget.public_reply in public_derived:
            derived[SlaTarget.public_reply] = public_derived[SlaTarget.public_reply]
            clocks[SlaTarget.public_reply] = (
                public_name,
                public_clock,
                duration_of(public.within, public_clock),
            )
    return derived, clocks


def sync_sla(
    session: Session,
    complaint: Complaint,
    *,
    config: SlaConfig,
    now: datetime,
    facts: CaseFacts | None = None,
) -> list[ComplaintSlaTarget]:
    """Recompute the complaint's clocks from its policy and log; write rows and SLA events.

    A customer with a contract (complaint_contracts) runs on the contract's policy. `facts`:
    what `read_case_facts` read (else it is read here). A clock row is written only when
    something in it changed.
    """
    # customers, contracts and teams are flushed by their services; holding the complaint's
    # pending change back makes one UPDATE of the whole write (one version step)
    with session.no_autoflush:
        policy, team_calendar = _policy(session, complaint, config, facts)
    name = clock_name(config, policy, team_calendar)
    derived, clocks = _derive_all(
        _events(session, complaint, facts), complaint.channel, config, policy, name
    )
    if facts is not None:
        rows = dict(facts.targets)
    else:
        held = transaction_memo(session, "sla_targets").get(complaint.id)
        rows = held if held is not None else targets_of(session, complaint.id)
    for target, running in derived.items():
        name, clock, duration = clocks[target]
        row = rows.get(target)
        before = _state_of(row) if row is not None else None
        changes: list[tuple[str, dict[str, Any]]] = []
        late_breach = False
        if row is None or row.cycle != running.cycle:
            row = _fresh_row(session, complaint, running, rows.get(target))
            rows[target] = row
            changes.append(("sla_activated", {"cycle": running.cycle}))
        else:
            changes += _transitions(row, running)
        due_at = running.due_at(duration, clock)
        if row.due_at is not None and due_at is not None and row.due_at != due_at:
            changes.append(("sla_rescheduled", {"previous_due_at": row.due_at.isoformat()}))
        row.policy, row.calendar = policy.name, name
        row.target_seconds = int(duration.total_seconds())
        row.started_at, row.paused_at = running.started_at, running.paused_at
        row.paused_seconds = int(running.paused.total_seconds())
        row.fulfilled_at, row.status = running.fulfilled_at, running.status
        row.due_at = due_at
        late = running.fulfilled_at is not None and running.fulfilled_at > _due(
            running, duration, clock
        )
        if late and row.breached_at is None:
            row.breached_at = _due(running, duration, clock)
            changes.append(("sla_breached", {"late": True}))
            late_breach = True
        row.next_check_at = next_check(
            running,
            duration=duration,
            clock=clock,
            config=config,
            warned=row.warned_at is not None,
            escalation_level=row.escalation_level,
        )
        if changes or _state_of(row) != before:
            row.updated_at = now
        for kind, data in changes:
            append_event(
                session,
                complaint,
                kind,
                at=now,
                data={"target": target.value, "policy": policy.name, "due_at": _iso(due_at)} | data,
            )
        if late_breach:
            earn_credit(session, complaint, row, config=config)
    if facts is None:
        session.flush()  # the bulk caller flushes once per chunk
    return [rows[t] for t in SlaTarget if t in rows]


def _events(session: Session, complaint: Complaint, facts: CaseFacts | None) -> list[ClockEvent]:
    if facts is not None:
        return facts.events
    log = known_log(session, complaint.id)
    return clock_events(log if log is not None else list_events(session, complaint.id))


def _state_of(row: ComplaintSlaTarget) -> tuple[object, ...]:
    return tuple(getattr(row, name) for name in _ROW_FIELDS)


_ROW_FIELDS = (
    "cycle", "policy", "calendar", "target_seconds", "started_at", "paused_at", "paused_seconds",
    "fulfilled_at", "status", "due_at", "breached_at", "next_check_at",
)  # fmt: skip


def _due(running: TargetClock, duration: timedelta, clock: WorkClock) -> datetime:
    return running.threshold(1.0, duration, clock)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _fresh_row(
    session: Session,
    complaint: Complaint,
    running: TargetClock,
    previous: ComplaintSlaTarget | None,
) -> ComplaintSlaTarget:
    """A new cycle starts with nothing fired (the previous cycle's facts stay in the log)."""
    row = previous or ComplaintSlaTarget(complaint_id=complaint.id, target=running.target)
    row.cycle = running.cycle
    row.warned_at = row.breached_at = None
    row.escalation_level = 0
    if previous is None:
        session.add(row)
    return row


def _transitions(row: ComplaintSlaTarget, running: TargetClock) -> list[tuple[str, dict[str, Any]]]:
    before, after = row.status, running.status
    if before == after:
        return []
    if after == SlaStatus.fulfilled:
        return [("sla_fulfilled", {})]
    if after == SlaStatus.paused:
        return [("sla_paused", {})]
    return [("sla_resumed", {"reopened": before == SlaStatus.fulfilled})]


def recompute_all(
    session: Session, *, brand_id: int, config: SlaConfig, now: datetime, batch: int = 500
) -> int:
    """`sla recompute`: sync every complaint of a brand (after a policy change); returns count."""
    count, last_id = 0, 0
    while True:
        complaints = list(
            session.scalars(
                select(Complaint)
                .where(Complaint.brand_id == brand_id, Complaint.id > last_id)
                .order_by(Complaint.id)
                .limit(batch)
            )
        )
        if not complaints:
            return count
        for complaint in complaints:
            sync_sla(session, complaint, config=config, now=now)
        count += len(complaints)
        last_id = complaints[-1].id

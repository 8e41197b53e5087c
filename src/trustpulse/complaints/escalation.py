"""The escalation runner: warnings and breaches of SLA clocks, each fired once, restart-safe.

Every running clock stores `next_check_at`, the next instant at which something fires (the
warning at `warn_at` of the target, then each escalation level: 1.0 is the breach). A tick
takes every clock whose `next_check_at` has passed and fires, in order, every level that fell
due, however long the runner was down; what fired is recorded on the clock row (warned_at,
breached_at, escalation_level) in the same transaction as its event and its outbox message,
and the message carries a dedupe key, so each level fires exactly once even if ticks overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import literal_column, select
from sqlalchemy.orm import Session

from trustpulse.accounts.models import Team, User
from trustpulse.complaints.config import SlaConfig, sla_config
from trustpulse.complaints.contracts import earn_credit
from trustpulse.complaints.events import append_event
from trustpulse.complaints.models import Complaint, ComplaintSlaTarget, SlaStatus
from trustpulse.complaints.sla import TargetClock, next_check
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.notifications.service import queue_notification


@dataclass
class TickResult:
    checked: int = 0
    fired: list[str] = field(default_factory=list)  # dedupe keys of what fired


def run_sla_tick(
    session: Session, *, settings: Settings, now: datetime, limit: int = 500
) -> TickResult:
    """Fire every warning and escalation due by `now`; the caller commits."""
    stmt = (
        select(ComplaintSlaTarget.complaint_id, ComplaintSlaTarget.target)
        .where(
            # literally, so that a prepared (generic) plan can use the partial index
            ComplaintSlaTarget.status == literal_column(f"'{SlaStatus.active.value}'"),
            ComplaintSlaTarget.next_check_at <= now,
        )
        .order_by(
            ComplaintSlaTarget.next_check_at,
            ComplaintSlaTarget.complaint_id,
            ComplaintSlaTarget.target,
        )
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    result = TickResult()
    configs: dict[int, SlaConfig] = {}
    for key in list(session.execute(stmt)):
        row = session.get(ComplaintSlaTarget, tuple(key))
        if row is None:
            continue
        # the complaint's row lock orders our log entries with an agent's concurrent change
        complaint = session.scalars(
            select(Complaint).where(Complaint.id == row.complaint_id).with_for_update()
        ).one()
        config = configs.get(complaint.brand_id)
        if config is None:
            code = session.scalar(select(Brand.code).where(Brand.id == complaint.brand_id))
            config = configs[complaint.brand_id] = sla_config(settings, code)
        result.checked += 1
        result.fired += _fire_due(session, complaint, row, config=config, now=now)
    session.flush()
    return result


def _fire_due(
    session: Session,
    complaint: Complaint,
    row: ComplaintSlaTarget,
    *,
    config: SlaConfig,
    now: datetime,
) -> list[str]:
    clock = config.clock(row.calendar)
    running = TargetClock(
        row.target, row.cycle, row.started_at, paused=timedelta(seconds=row.paused_seconds)
    )
    duration = timedelta(seconds=row.target_seconds)
    fired: list[str] = []
    if row.warned_at is None:
        at = running.threshold(config.warn_at, duration, clock)
        if at <= now:
            row.warned_at = now
            fired.append(
                _fire(
                    session,
                    complaint,
                    row,
                    kind="warned",
                    notify="owner",
                    due=at,
                    config=config,
                    now=now,
                )
            )
    for level, escalation in enumerate(config.escalations):
        if level < row.escalation_level:
            continue
        at = running.threshold(escalation.at, duration, clock)
        if at > now:
            break
        row.escalation_level = level + 1
        if escalation.at == 1.0:
            row.breached_at = at
            kind = "breached"
            earn_credit(session, complaint, row, config=config)
        else:
            kind = f"escalated_{level}"
        fired.append(
            _fire(
                session,
                complaint,
                row,
                kind=kind,
                notify=escalation.notify,
                due=at,
                config=config,
                now=now,
            )
        )
    row.next_check_at = next_check(
        running,
        duration=duration,
        clock=clock,
        config=config,
        warned=row.warned_at is not None,
        escalation_level=row.escalation_level,
    )
    row.updated_at = now
    return fired


def _fire(
    session: Session,
    complaint: Complaint,
    row: ComplaintSlaTarget,
    *,
    kind: str,
    notify: str,
    due: datetime,
    config: SlaConfig,
    now: datetime,
) -> str:
    to = recipients(session, complaint, notify, config)
    key = f"complaint-sla:{complaint.id}:{row.target.value}:{row.cycle}:{kind}"
    event_kind = (
        "sla_warned"
        if kind == "warned"
        else "sla_breached"
        if kind == "breached"
        else "sla_escalated"
    )
    append_event(
        session,
        complaint,
        event_kind,
        at=now,
        data={
            "target": row.target.value,
            "cycle": row.cycle,
            "level": kind,
            "fell_due_at": due.isoformat(),
            "due_at": row.due_at.isoformat() if row.due_at else None,
            "notify": notify,
            "recipients": to,
        },
    )
    subject = f"[SLA {kind}] complaint #{complaint.id}: {row.target.value} (policy {row.policy})"
    body = (
        f"Complaint #{complaint.id} ({complaint.severity.value}, {complaint.state.value}): "
        f"{row.target.value} due {row.due_at.isoformat() if row.due_at else 'n/a'}; "
        f"{kind} at {due.isoformat()}."
    )
    queue_notification(
        session,
        channel=config.notify_channel,
        subject=subject,
        body=body,
        recipient=", ".join(to)[:254] or None,
        payload={"complaint_id": complaint.id, "target": row.target.value, "level": kind},
        dedupe_key=key,
    )
    return key


def recipients(session: Session, complaint: Complaint, notify: str, config: SlaConfig) -> list[str]:
    """Owner, team lead or managers; a missing owner or lead falls back up the chain."""
    chain = ["owner", "team_lead", "managers"]
    for level in chain[chain.index(notify) :]:
        if level == "owner" and complaint.owner_id is not None:
            return [_address(session.get(User, complaint.owner_id))]
        if level == "team_lead" and complaint.team_id is not None:
            team = session.get(Team, complaint.team_id)
            if team is not None and team.lead_id is not None:
                return [_address(session.get(User, team.lead_id))]
        if level == "managers" and config.managers:
            return list(config.managers)
    return []


def _address(user: User | None) -> str:
    if user is None:
        return ""
    return user.email or user.username

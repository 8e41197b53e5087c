"""Background work of the complaint desk: the SLA tick, case rules, promises, follow-ups."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from trustpulse.clock import utcnow
from trustpulse.complaints.config import complaints_config, sla_config
from trustpulse.complaints.escalation import run_sla_tick
from trustpulse.complaints.followup import create_invitation
from trustpulse.complaints.loop import FOLLOWUP_JOB
from trustpulse.complaints.promises import break_overdue_promises
from trustpulse.complaints.rules import apply_rules
from trustpulse.config import Settings
from trustpulse.db import session_scope
from trustpulse.jobs.registry import job
from trustpulse.jobs.scheduler import periodic, schedule_every
from trustpulse.runtime import get_runtime

logger = logging.getLogger(__name__)

SLA_TICK = "complaints.sla_tick"
SLA_TICK_KEY = "complaints.sla_tick.every"
APPLY_RULES = "complaints.apply_rules"
APPLY_RULES_KEY = "complaints.apply_rules.every"
_BATCH = 500


@job(SLA_TICK)
def sla_tick() -> int:
    """Fire due SLA warnings and escalations in batches; returns how many fired.

    Idempotent: what fired is recorded with it, so a second run fires nothing new.
    """
    runtime = get_runtime()
    fired = 0
    while True:
        with session_scope(runtime.session_factory) as session:
            result = run_sla_tick(session, settings=runtime.settings, now=utcnow(), limit=_BATCH)
        fired += len(result.fired)
        if result.checked < _BATCH:
            break
    with session_scope(runtime.session_factory) as session:
        fired += len(break_overdue_promises(session, settings=runtime.settings, now=utcnow()))
    if fired:
        logger.info("SLA tick fired %s warnings/escalations/broken promises", fired)
    return fired


@periodic
def schedule_sla_tick(session: Session, settings: Settings) -> None:
    schedule_every(session, SLA_TICK, sla_config(settings).tick_every_seconds, SLA_TICK_KEY)


@job(APPLY_RULES)
def apply_rules_job() -> dict[str, int]:
    """Run the case rules over feedback not evaluated yet, in batches; idempotent."""
    runtime = get_runtime()
    totals: dict[str, int] = {}
    while True:
        with session_scope(runtime.session_factory) as session:
            run = apply_rules(session, settings=runtime.settings, now=utcnow(), limit=_BATCH)
        for outcome, count in run.outcomes.items():
            totals[outcome] = totals.get(outcome, 0) + count
        if run.evaluated < _BATCH:
            break
    if totals:
        logger.info("case rules evaluated feedback: %s", totals)
    return totals


@periodic
def schedule_apply_rules(session: Session, settings: Settings) -> None:
    every = complaints_config(settings).rules_every_seconds
    schedule_every(session, APPLY_RULES, every, APPLY_RULES_KEY)


@job(FOLLOWUP_JOB)
def send_followup_survey(complaint_id: int, cycle: int) -> bool:
    """Create the follow-up invitation for this resolution and send its link; idempotent."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        invitation = create_invitation(session, complaint_id, cycle, settings=runtime.settings)
    return invitation is not None

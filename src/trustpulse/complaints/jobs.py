"""Background work of the complaint desk: the periodic SLA tick (`complaints.sla_tick`)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from trustpulse.clock import utcnow
from trustpulse.complaints.config import sla_config
from trustpulse.complaints.escalation import run_sla_tick
from trustpulse.config import Settings
from trustpulse.db import session_scope
from trustpulse.jobs.registry import job
from trustpulse.jobs.scheduler import periodic, schedule_every
from trustpulse.runtime import get_runtime

logger = logging.getLogger(__name__)

SLA_TICK = "complaints.sla_tick"
SLA_TICK_KEY = "complaints.sla_tick.every"
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
    if fired:
        logger.info("SLA tick fired %s warnings/escalations", fired)
    return fired


@periodic
def schedule_sla_tick(session: Session, settings: Settings) -> None:
    schedule_every(session, SLA_TICK, sla_config(settings).tick_every_seconds, SLA_TICK_KEY)

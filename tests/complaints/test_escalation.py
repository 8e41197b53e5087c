"""Escalations fire once each, also after downtime; concurrent writers never lose an update."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tests.complaints.conftest import make_desk
from trustpulse.clock import ManualClock
from trustpulse.complaints import intake, lifecycle, ownership
from trustpulse.complaints.events import list_events
from trustpulse.complaints.jobs import sla_tick
from trustpulse.complaints.models import Complaint, ComplaintSlaTarget, ComplaintState
from trustpulse.complaints.schemas import ActorWrite, ComplaintCreate, TransferRequest
from trustpulse.db import session_scope
from trustpulse.jobs.queue import InProcessBackend
from trustpulse.jobs.scheduler import install_periodic_jobs, run_due
from trustpulse.notifications.models import OutboxMessage
from trustpulse.runtime import Runtime


def _open_outage(runtime: Runtime) -> tuple[int, int]:
    with session_scope(runtime.session_factory) as session:
        desk = make_desk(session)
        complaint = intake.open_complaint(
            session,
            ComplaintCreate(title="outage", severity="P1", team_id=desk.team_id),
            brand="acme",
            settings=runtime.settings,
        )
        ownership.transfer_complaint(
            session,
            complaint.id,
            TransferRequest(version=complaint.version, to_user_id=desk.wang, reason="on call"),
            brand="acme",
            settings=runtime.settings,
        )
        return complaint.id, desk.lead


def _fired(session: Session, complaint_id: int) -> list[tuple[str, str, str]]:
    return sorted(
        (e.kind, e.data["target"], e.data["level"])
        for e in list_events(session, complaint_id)
        if e.kind in {"sla_warned", "sla_breached", "sla_escalated"}
    )


def test_after_downtime_one_catch_up_fires_every_due_warning_and_breach_once(
    runtime: Runtime, jobs: InProcessBackend, clock: ManualClock
) -> None:
    complaint_id, _lead = _open_outage(runtime)
    install_periodic_jobs(runtime.session_factory, runtime.settings)
    assert run_due(runtime.session_factory) >= 1  # the tick runs: nothing is due yet
    jobs.drain()
    with session_scope(runtime.session_factory) as session:
        assert _fired(session, complaint_id) == []
    # the scheduler is down for 5 hours: past 2× of the 15 min first response and 2 h resolution
    clock.advance(timedelta(hours=5))
    # restart: the periodic jobs are installed again and the scheduler's own passes catch up
    install_periodic_jobs(runtime.session_factory, runtime.settings)
    assert run_due(runtime.session_factory) >= 1
    jobs.drain()
    run_due(runtime.session_factory)  # a second pass right after: nothing is due again
    jobs.drain()
    assert sla_tick() == 0  # everything that fell due has fired
    with session_scope(runtime.session_factory) as session:
        assert _fired(session, complaint_id) == [
            ("sla_breached", "first_response", "breached"),
            ("sla_breached", "resolution", "breached"),
            ("sla_escalated", "first_response", "escalated_1"),
            ("sla_escalated", "resolution", "escalated_1"),
            ("sla_warned", "first_response", "warned"),
            ("sla_warned", "resolution", "warned"),
        ]
        messages = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert len(messages) == 6 == len({m.dedupe_key for m in messages})
        assert {m.recipient for m in messages} == {"wang-acme", "li-acme", "complaint-managers"}
        target = session.scalars(
            select(ComplaintSlaTarget).where(
                ComplaintSlaTarget.complaint_id == complaint_id,
                ComplaintSlaTarget.target == "first_response",
            )
        ).one()
        # the breach is dated when it happened (opened + 15 min), not when it was noticed
        opened = session.get(Complaint, complaint_id)
        assert opened is not None
        assert target.breached_at == opened.opened_at + timedelta(minutes=15)
        assert target.next_check_at is None
        assert target.escalation_level == 2


def test_warnings_fire_as_time_passes_each_once(
    runtime: Runtime, jobs: InProcessBackend, clock: ManualClock
) -> None:
    complaint_id, _ = _open_outage(runtime)
    clock.advance(timedelta(minutes=13))  # 80 % of 15 min is 12 min
    assert sla_tick() == 1
    assert sla_tick() == 0
    clock.advance(timedelta(minutes=3))
    assert sla_tick() == 1  # the first-response breach
    jobs.drain()
    with session_scope(runtime.session_factory) as session:
        count = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert count == 2
        assert [k for k, *_ in _fired(session, complaint_id)] == ["sla_breached", "sla_warned"]


def test_two_agents_editing_at_once_never_lose_an_update(
    runtime: Runtime, jobs: InProcessBackend, clock: ManualClock
) -> None:
    complaint_id, lead = _open_outage(runtime)
    factory = runtime.session_factory
    with factory() as first, factory() as second, factory() as third:
        # all load the same version (SQLite allows one open writer: end each read)
        mine = first.get(Complaint, complaint_id)
        first.commit()
        second.get(Complaint, complaint_id)
        second.commit()
        theirs = third.get(Complaint, complaint_id)
        third.commit()
        assert mine is not None
        assert theirs is not None
        seen = mine.version
        lifecycle.acknowledge_complaint(
            first, complaint_id, ActorWrite(version=seen, actor_id=lead), brand="acme",
            settings=runtime.settings,
        )  # fmt: skip
        first.commit()
        with pytest.raises(lifecycle.StaleVersionError) as refused:
            lifecycle.set_state(
                second, complaint_id, ActorWrite(version=seen, actor_id=lead),
                ComplaintState.in_progress, brand="acme", settings=runtime.settings,
            )  # fmt: skip
        second.rollback()
        assert refused.value.details["current_version"] == mine.version
        # below the service, the version column still refuses a write from a stale object
        theirs.title = "overwritten"
        with pytest.raises(StaleDataError):
            third.commit()
        third.rollback()
    with session_scope(factory) as session:
        stored = session.get(Complaint, complaint_id)
        assert stored is not None
        assert stored.title == "outage"
        assert stored.state == "acknowledged"

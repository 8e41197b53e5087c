"""Bulk SLA recomputation equals the per-case replay, and the vector clock the scalar one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tests.complaints.conftest import Desk
from trustpulse.clock import ManualClock, utcnow
from trustpulse.complaints import intake, lifecycle
from trustpulse.complaints.calendar import AroundTheClock
from trustpulse.complaints.config import CalendarConfig, sla_config
from trustpulse.complaints.escalation import run_sla_tick
from trustpulse.complaints.models import ComplaintSlaTarget
from trustpulse.complaints.schemas import (
    ActorWrite,
    ComplaintCreate,
    ReplyCreate,
    ResolveRequest,
)
from trustpulse.complaints.sla_bulk import recompute_bulk
from trustpulse.complaints.sla_vector import VectorClock, from_micros, to_micros
from trustpulse.config import Settings

CAL = CalendarConfig().build("cn_business")
instants = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 -- hypothesis takes naive bounds
    max_value=datetime(2026, 6, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=300))
VECTOR = VectorClock(CAL, datetime(2024, 12, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC))
FIELDS = (
    "target", "cycle", "policy", "calendar", "target_seconds", "started_at", "due_at",
    "paused_at", "paused_seconds", "fulfilled_at", "status", "breached_at", "next_check_at",
    "warned_at", "escalation_level",
)  # fmt: skip
DERIVED = FIELDS.index("breached_at")  # the rest are facts fired by the escalation runner


@settings(max_examples=300, deadline=None)
@given(start=instants, duration=durations, end=instants)
def test_the_vector_clock_equals_the_business_calendar(
    start: datetime, duration: timedelta, end: datetime
) -> None:
    s, d = np.array([to_micros(start)]), np.array([duration // timedelta(microseconds=1)])
    assert from_micros(VECTOR.add(s, d)[0]) == CAL.add(start, duration)
    elapsed = VECTOR.elapsed(s, np.array([to_micros(end)]))[0]
    assert timedelta(microseconds=int(elapsed)) == CAL.elapsed(start, end)
    around = VectorClock(AroundTheClock(), start, end)
    assert from_micros(around.add(s, d)[0]) == AroundTheClock().add(start, duration)


def _work_cases(session: Session, settings: Settings, desk: Desk, clock: ManualClock) -> None:
    """Thirty cases through random lifecycles: waits, customer messages, resolutions."""
    rng = random.Random(7)
    for i in range(30):
        case = intake.open_complaint(
            session,
            ComplaintCreate(title=f"c{i}", severity=rng.choice(["P1", "P2", "P3", "P4"])),
            brand="acme",
            settings=settings,
        )
        for step in rng.sample(range(6), rng.randint(0, 6)):
            clock.advance(timedelta(minutes=rng.randint(1, 600)))
            write = ActorWrite(version=case.version, actor_id=desk.wang)
            try:
                if step == 0:
                    lifecycle.acknowledge_complaint(
                        session, case.id, write, brand="acme", settings=settings
                    )
                elif step in (1, 2):
                    lifecycle.set_state(
                        session,
                        case.id,
                        write,
                        lifecycle.S.waiting_on_customer if step == 1 else lifecycle.S.in_progress,
                        brand="acme",
                        settings=settings,
                    )
                elif step == 3:
                    lifecycle.reply_to_complaint(
                        session,
                        case.id,
                        ReplyCreate(version=case.version, author="customer", message="hi"),
                        brand="acme",
                        settings=settings,
                    )
                elif step == 4:
                    lifecycle.resolve_complaint(
                        session,
                        case.id,
                        ResolveRequest(
                            version=case.version,
                            actor_id=desk.wang,
                            root_cause="service.process",
                            responsibility="ours",
                            summary="done",
                        ),
                        brand="acme",
                        settings=settings,
                    )
            except lifecycle.IllegalTransitionError:
                continue
    clock.advance(timedelta(hours=30))
    run_sla_tick(session, settings=settings, now=utcnow())


def _snapshot(session: Session) -> dict[tuple[int, str], tuple[object, ...]]:
    session.expire_all()
    rows = session.scalars(select(ComplaintSlaTarget))
    return {(r.complaint_id, r.target.value): tuple(getattr(r, f) for f in FIELDS) for r in rows}


def test_bulk_recompute_gives_the_rows_of_the_per_case_replay(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    _work_cases(session, settings, desk, clock)
    replayed = _snapshot(session)
    config = sla_config(settings, "acme")
    result = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert result.vectorised > 10
    assert _snapshot(session) == replayed  # nothing moves, fired facts stay
    session.execute(delete(ComplaintSlaTarget))
    recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    fresh = _snapshot(session)
    differences = [
        (key, field, fresh[key][i], replayed[key][i])
        for key in sorted(set(fresh) & set(replayed))
        for i, field in enumerate(FIELDS[:DERIVED])
        if fresh[key][i] != replayed[key][i]
    ]
    assert differences == []
    late = {k: v[DERIVED] for k, v in replayed.items() if v[DERIVED - 1] == "fulfilled"}
    assert {k: fresh[k][DERIVED] for k in late if k in fresh} == {
        k: v for k, v in late.items() if k in fresh
    }
    assert {k for k in replayed if k[1] != "next_reply"} <= set(fresh)


def test_a_warm_bulk_recompute_writes_only_changed_cases(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    _work_cases(session, settings, desk, clock)
    config = sla_config(settings, "acme")
    session.execute(delete(ComplaintSlaTarget))
    cold = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert cold.rows == 2 * cold.vectorised
    assert cold.per_case > 0  # the cases with next-reply cycles are replayed one by one
    written = dict(
        session.execute(select(ComplaintSlaTarget.id, ComplaintSlaTarget.updated_at)).all()
    )
    clock.advance(timedelta(minutes=1))
    warm = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert warm.rows == 0
    session.expire_all()
    rewritten = dict(
        session.execute(select(ComplaintSlaTarget.id, ComplaintSlaTarget.updated_at)).all()
    )
    assert rewritten == written  # the replayed cases are not rewritten either
    moved = session.scalars(
        select(ComplaintSlaTarget).where(ComplaintSlaTarget.target == "resolution").limit(1)
    ).one()
    moved.due_at = moved.due_at + timedelta(minutes=1) if moved.due_at else utcnow()
    session.flush()
    again = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert again.rows == 2  # the one case, both its clocks

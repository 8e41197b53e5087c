"""Bulk SLA recomputation equals the per-case replay, and the vector clock the scalar one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.complaints.conftest import Desk, HeldJobs, make_desk
from trustpulse.clock import ManualClock, utcnow
from trustpulse.complaints import intake, lifecycle, sla_bulk_copy
from trustpulse.complaints.calendar import AROUND_THE_CLOCK, AroundTheClock
from trustpulse.complaints.config import CalendarConfig, PolicyConfig, SlaConfig, sla_config
from trustpulse.complaints.escalation import run_sla_tick
from trustpulse.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintSlaTarget,
    ComplaintState,
    SlaTarget,
)
from trustpulse.complaints.schemas import (
    ActorWrite,
    ComplaintCreate,
    ReopenRequest,
    ReplyCreate,
    ResolveRequest,
)
from trustpulse.complaints.sla import (
    AGENT,
    CUSTOMER,
    TERMINAL_STATES,
    ClockEvent,
    derive_clocks,
)
from trustpulse.complaints.sla_bulk import recompute_bulk
from trustpulse.complaints.sla_bulk_clocks import (
    AUTHORS,
    KINDS,
    NONE,
    STATES,
    TARGETS,
    derive_bulk,
)
from trustpulse.complaints.sla_bulk_io import Stored
from trustpulse.complaints.sla_store import sync_sla
from trustpulse.complaints.sla_vector import VectorClock, from_micros, to_micros
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.jobs.queue import use_backend

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


_LOG_KINDS = [
    *("acknowledged", "replied", "replied", "replied", "reopened", "state_changed"),
    *("resolved", "closed", "owner_assigned"),
] * 4 + ["opened"]  # a second `opened` is irregular: rare
_S = ComplaintState
_TO_STATES = [None] * 6 + [_S.waiting_on_customer] * 3 + [_S.in_progress] * 2 + list(_S)
PUBLIC = "weibo"  # in the default public_reply channels
log_entries = st.tuples(
    st.sampled_from(_LOG_KINDS),
    st.integers(min_value=-60, max_value=4000),  # minutes after the previous entry
    st.sampled_from(_TO_STATES),
    st.sampled_from([AGENT, CUSTOMER]),
    st.sampled_from([PUBLIC, "phone"]),
)
case_logs = st.tuples(
    st.booleans(),  # business hours, else 24×7
    st.booleans(),  # a public case (one more clock if opened on a public channel)
    st.sampled_from(["opened"] * 8 + ["replied"]),
    st.sampled_from([None, _S.new, _S.new, _S.acknowledged, _S.waiting_on_customer]),
    st.lists(log_entries, max_size=14),
)
CLOCKS = ["cn_business", AROUND_THE_CLOCK]
ONE_POLICY = SlaConfig(
    policies=[PolicyConfig(name="any", first_response="1h", next_reply="4h", resolution="24h")]
)
Entry = tuple[str, int, ComplaintState | None, str, str]


def _replay(log: list[ClockEvent], name: str, *, public: bool) -> dict[str, tuple[int, ...]]:
    """What sync_sla derives: the case's clocks, and public_reply on 24×7 for a public case."""
    pause = [_S.waiting_on_customer]
    clocks = {
        t: (CLOCKS.index(name), c)
        for t, c in derive_clocks(log, clock=ONE_POLICY.clock(name), pause_states=pause).items()
    }
    if public:
        around = derive_clocks(
            log,
            clock=ONE_POLICY.clock(AROUND_THE_CLOCK),
            pause_states=pause,
            public_channels=ONE_POLICY.public_reply.channels,
        )
        if SlaTarget.public_reply in around:
            clocks[SlaTarget.public_reply] = (1, around[SlaTarget.public_reply])
    return {
        target.value: (
            clock.cycle,
            number,
            to_micros(clock.started_at),
            to_micros(clock.fulfilled_at) if clock.fulfilled_at else NONE,
            clock.paused // timedelta(microseconds=1),
            to_micros(clock.paused_at) if clock.paused_at else NONE,
        )
        for target, (number, clock) in clocks.items()
    }


@settings(max_examples=300, deadline=None)
@given(cases=st.lists(case_logs, min_size=1, max_size=8))
def test_the_numpy_clocks_equal_the_replay_of_any_log(
    cases: list[tuple[bool, bool, str, ComplaintState | None, list[Entry]]],
) -> None:
    at = datetime(2025, 6, 9, 1, tzinfo=UTC)
    rows, meta, regular = [], [], set()
    replayed: dict[tuple[int, str], tuple[int, ...]] = {}
    for number, (business, public, first, opened_as, entries) in enumerate(cases, start=1):
        name = "cn_business" if business else AROUND_THE_CLOCK
        meta.append((number, 0, CLOCKS.index(name), 1 if public else -1, False))
        log = []
        for seq, (kind, minutes, to_state, author, channel) in enumerate(
            [(first, 0, opened_as, AGENT, PUBLIC), *entries], start=1
        ):
            at += timedelta(minutes=minutes)
            log.append(
                ClockEvent(kind, at, to_state, author if kind == "replied" else None, channel)
            )
            if to_state is not None or kind in KINDS:
                rows.append(
                    (
                        number, seq, to_micros(at), KINDS.get(kind, 0),
                        STATES[to_state.value] if to_state else 0,
                        AUTHORS[author] if kind == "replied" else 0,
                        kind in ("opened", "replied") and channel == PUBLIC,
                    )
                )  # fmt: skip
        kinds = [e.kind for e in log]
        if (
            kinds[0] == "opened"
            and kinds.count("opened") == 1
            and opened_as in (None, _S.new, _S.acknowledged)
            and not any(e.kind == "reopened" and e.to_state in TERMINAL_STATES for e in log)
        ):
            regular.add(number)
        replayed |= {(number, t): v for t, v in _replay(log, name, public=public).items()}
    columns = ["complaint_id", "seq", "t", "kind", "to", "author", "public"]
    events = pd.DataFrame(rows, columns=columns)
    frame = pd.DataFrame(
        meta, columns=["complaint_id", "policy", "clock", "public_clock", "special"]
    )
    derived = derive_bulk(events, frame, ONE_POLICY, clocks=CLOCKS)
    fallback = set(derived.fallback.tolist())
    assert not regular & fallback
    columns = ["complaint_id", "target", "cycle", "clock", "start", "fulfilled", "paused"]
    got = {
        (int(number), TARGETS[target].value): tuple(int(v) for v in values)
        for number, target, *values in zip(
            *(derived.frame[c].to_numpy() for c in [*columns, "paused_at"]), strict=True
        )
    }
    assert got == {k: v for k, v in replayed.items() if k[0] not in fallback}


def _act(session: Session, settings: Settings, desk: Desk, case: Complaint, action: str) -> None:
    """One agent's or customer's action on the case (it may be illegal in the case's state)."""
    brand = session.get_one(Brand, desk.brand_id).code
    write = ActorWrite(version=case.version, actor_id=desk.wang)
    if action == "acknowledge":
        lifecycle.acknowledge_complaint(session, case.id, write, brand=brand, settings=settings)
    elif action in ("wait", "work", "close"):
        states = {"wait": _S.waiting_on_customer, "work": _S.in_progress, "close": _S.closed}
        lifecycle.set_state(session, case.id, write, states[action], brand=brand, settings=settings)
    elif action in ("customer", "agent", "agent_by_phone"):
        reply = ReplyCreate(
            version=case.version,
            author="customer" if action == "customer" else "agent",
            actor_id=None if action == "customer" else desk.wang,
            message="hi",
            channel="phone" if action == "agent_by_phone" else None,  # None: the case's
        )
        lifecycle.reply_to_complaint(session, case.id, reply, brand=brand, settings=settings)
    elif action == "resolve":
        done = ResolveRequest(
            version=case.version,
            actor_id=desk.wang,
            root_cause="service.process",
            responsibility="ours",
            summary="done",
        )
        lifecycle.resolve_complaint(session, case.id, done, brand=brand, settings=settings)
    else:
        again = ReopenRequest(version=case.version, reason="not solved")
        lifecycle.reopen_complaint(session, case.id, again, brand=brand, settings=settings)


_ACTIONS = [
    "acknowledge", "wait", "work", "customer", "customer", "customer", "agent", "agent",
    "agent_by_phone", "resolve", "close", "reopen", "reopen",
]  # fmt: skip


def _work_cases(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock, *, cases: int = 40
) -> None:
    """Cases through random lifecycles: acknowledgements, waits, customer messages and the
    agent's answers (some on another channel than a public case's), resolutions, closings and
    reopenings; the escalation runner fires warnings and breaches now and then, so new cycles
    must clear them."""
    rng = random.Random(7)
    brand = session.get_one(Brand, desk.brand_id).code
    for i in range(cases):
        case = intake.open_complaint(
            session,
            ComplaintCreate(
                title=f"c{i}",
                severity=rng.choice(["P1", "P2", "P3", "P4"]),
                channel=rng.choice(["api", "api", "weibo"]),
            ),
            brand=brand,
            settings=settings,
        )
        for _ in range(rng.randint(0, 16)):
            clock.advance(timedelta(minutes=rng.randint(1, 600)))
            try:
                _act(session, settings, desk, case, rng.choice(_ACTIONS))
            except (lifecycle.IllegalTransitionError, lifecycle.ReopenWindowClosedError):
                continue
            if rng.random() < 0.15:
                run_sla_tick(session, settings=settings, now=utcnow())
    clock.advance(timedelta(hours=30))
    run_sla_tick(session, settings=settings, now=utcnow())


def _snapshot(session: Session) -> dict[tuple[int, str], tuple[object, ...]]:
    session.expire_all()
    rows = session.scalars(select(ComplaintSlaTarget))
    return {(r.complaint_id, r.target.value): tuple(getattr(r, f) for f in FIELDS) for r in rows}


def _sla_entries(session: Session) -> int:
    return session.scalar(select(func.count()).where(ComplaintEvent.kind.startswith("sla_"))) or 0


def test_bulk_recompute_gives_the_rows_of_the_per_case_replay(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    _work_cases(session, settings, desk, clock)
    replayed = _snapshot(session)
    assert {k[1] for k in replayed} == {t.value for t in SlaTarget}
    assert {1, 2, 3} <= {v[FIELDS.index("cycle")] for v in replayed.values()}
    config = sla_config(settings, "acme")
    entries = _sla_entries(session)
    result = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert (result.vectorised, result.per_case, result.rows) == (40, 0, 0)
    assert _snapshot(session) == replayed  # nothing moves, fired facts stay
    session.execute(delete(ComplaintSlaTarget))
    recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    fresh = _snapshot(session)
    assert set(fresh) == set(replayed)
    differences = [
        (key, field, fresh[key][i], replayed[key][i])
        for key in sorted(replayed)
        for i, field in enumerate(FIELDS[:DERIVED])
        if fresh[key][i] != replayed[key][i]
    ]
    assert differences == []
    assert _sla_entries(session) == entries  # the bulk path narrates nothing
    # the replay finds nothing to change or narrate in what the bulk path wrote
    complaints = list(session.scalars(select(Complaint)))
    for complaint in complaints:
        sync_sla(session, complaint, config=config, now=utcnow())
    assert (_snapshot(session), _sla_entries(session)) == (fresh, entries)
    # and from scratch it writes what the bulk path wrote, breaches met late included
    session.execute(delete(ComplaintSlaTarget))
    for complaint in complaints:
        sync_sla(session, complaint, config=config, now=utcnow())
    assert _snapshot(session) == fresh


def test_clocks_written_after_the_stored_ones_were_read_are_upserted(
    session: Session,
    settings: Settings,
    desk: Desk,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A case worked while the recompute runs gets clock rows the read did not see: the plain
    INSERT of the clocks thought new then meets them, and they are upserted instead."""
    _work_cases(session, settings, desk, clock, cases=10)
    replayed = _snapshot(session)
    # as if nothing had been stored when the stored clocks were read
    monkeypatch.setattr(Stored, "find", lambda _self, ids, _targets: np.full(len(ids), -1))
    config = sla_config(settings, "acme")
    result = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert result.rows == len(replayed)
    after = _snapshot(session)
    assert {k: v[:DERIVED] for k, v in after.items()} == {
        k: v[:DERIVED] for k, v in replayed.items()
    }


def test_a_warm_bulk_recompute_writes_only_changed_cases(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    _work_cases(session, settings, desk, clock)
    config = sla_config(settings, "acme")
    session.execute(delete(ComplaintSlaTarget))
    cold = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert cold.rows == session.scalar(select(func.count()).select_from(ComplaintSlaTarget))
    assert cold.per_case == 0  # next-reply cycles and reopenings included
    written = _written_at(session)
    clock.advance(timedelta(minutes=1))
    warm = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert warm.rows == 0
    session.expire_all()
    rewritten = _written_at(session)
    assert rewritten == written  # the replayed cases are not rewritten either
    moved = session.scalars(
        select(ComplaintSlaTarget).where(ComplaintSlaTarget.target == "resolution").limit(1)
    ).one()
    moved.due_at = moved.due_at + timedelta(minutes=1) if moved.due_at else utcnow()
    session.flush()
    again = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert again.rows == 1  # the one clock, not its case's others
    session.expire_all()
    updated = _written_at(session)
    key = (moved.complaint_id, moved.target)
    assert {k for k in written if updated[k] != written[k]} == {key}
    # a clock on a policy the case no longer matches is rewritten with its case's policy
    policy, moved.policy = moved.policy, "outdated"
    session.flush()
    assert recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow()).rows == 1
    session.expire_all()
    assert session.get_one(ComplaintSlaTarget, key).policy == policy


def _written_at(session: Session) -> dict[tuple[int, str], datetime]:
    t = ComplaintSlaTarget
    return {
        (complaint_id, target): at
        for complaint_id, target, at in session.execute(
            select(t.complaint_id, t.target, t.updated_at)
        )
    }


def test_a_bulk_recompute_of_one_brand_leaves_the_others_alone(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    other = make_desk(session, brand="beta")
    _work_cases(session, settings, desk, clock, cases=15)
    _work_cases(session, settings, other, clock, cases=15)
    replayed = _snapshot(session)
    ours = set(session.scalars(select(Complaint.id).where(Complaint.brand_id == desk.brand_id)))
    session.execute(delete(ComplaintSlaTarget).where(ComplaintSlaTarget.complaint_id.in_(ours)))
    config = sla_config(settings, "acme")
    result = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow())
    assert (result.vectorised, result.per_case) == (15, 0)
    fresh = _snapshot(session)
    assert {k: v for k, v in fresh.items() if k[0] not in ours} == {
        k: v for k, v in replayed.items() if k[0] not in ours
    }
    assert {k: v[:DERIVED] for k, v in fresh.items() if k[0] in ours} == {
        k: v[:DERIVED] for k, v in replayed.items() if k[0] in ours
    }


def test_a_bulk_recompute_of_a_brand_without_cases_writes_nothing(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    _work_cases(session, settings, desk, clock, cases=3)
    other = make_desk(session, brand="beta")
    replayed = _snapshot(session)
    config = sla_config(settings, "beta")
    result = recompute_bulk(session, brand_id=other.brand_id, config=config, now=utcnow())
    assert (result.vectorised, result.per_case, result.rows) == (0, 0, 0)
    assert _snapshot(session) == replayed


def test_a_bulk_recompute_in_spans_of_cases_gives_the_same_rows(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    _work_cases(session, settings, desk, clock, cases=20)
    replayed = _snapshot(session)
    config = sla_config(settings, "acme")
    now = utcnow()
    warm = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=now, span=7)
    assert (warm.vectorised, warm.per_case, warm.rows) == (20, 0, 0)
    session.execute(delete(ComplaintSlaTarget))
    recompute_bulk(session, brand_id=desk.brand_id, config=config, now=now, span=7)
    fresh = _snapshot(session)
    assert {k: v[:DERIVED] for k, v in fresh.items()} == {
        k: v[:DERIVED] for k, v in replayed.items()
    }


def test_binary_copy_writes_every_slice_in_order(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's")
    monkeypatch.setattr(sla_bulk_copy, "_COPY_SLICE", 3)  # 10 rows: slices of 3, 3, 3 and 1
    session.execute(text("CREATE TEMPORARY TABLE tmp_copy (n int4, at timestamptz)"))
    numbers = np.arange(10, dtype=np.int64) * 7
    times = to_micros(datetime(2025, 1, 1, tzinfo=UTC)) + numbers * 1_000_000
    times[4] = NONE  # 'infinity', the bulk path's "no time"
    sla_bulk_copy.write_binary(session, "tmp_copy", {"n": ("int4", numbers), "at": ("time", times)})
    # in the order written (a fresh heap fills page by page)
    query = "SELECT n, NULLIF(at, 'infinity') FROM tmp_copy ORDER BY ctid"
    rows = session.execute(text(query)).all()
    assert [n for n, _ in rows] == numbers.tolist()
    assert [at is None for _, at in rows] == [i == 4 for i in range(10)]
    assert rows[9][1] == datetime(2025, 1, 1, 0, 1, 3, tzinfo=UTC)


def test_binary_copy_writes_nulls_and_names_in_rows_of_their_own_length(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NULLs and names make rows differ in length; each must still land in its own column."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's")
    monkeypatch.setattr(sla_bulk_copy, "_COPY_SLICE", 4)
    session.execute(
        text("CREATE TEMPORARY TABLE tmp_copy (n int4, at timestamptz, name varchar(20), m int4)")
    )
    numbers = np.arange(9, dtype=np.int64)
    times = to_micros(datetime(2025, 1, 1, tzinfo=UTC)) + numbers * 1_000_000
    times[[0, 5, 6]] = NONE  # NULL
    names = ["a", "", "长名字", "three"]
    codes = numbers % 4
    sla_bulk_copy.write_binary(
        session,
        "tmp_copy",
        {
            "n": ("int4", numbers),
            "at": ("time?", times),
            "name": ("name", codes),
            "m": ("int4", -numbers),
        },
        names={"name": names},
    )
    rows = session.execute(text("SELECT n, at, name, m FROM tmp_copy ORDER BY ctid")).all()
    assert [(n, name, m) for n, _, name, m in rows] == [(i, names[i % 4], -i) for i in range(9)]
    assert [at is None for _, at, _, _ in rows] == [i in {0, 5, 6} for i in range(9)]
    assert rows[8][1] == datetime(2025, 1, 1, 0, 0, 8, tzinfo=UTC)


def test_the_pipelined_recompute_writes_what_the_sequential_one_does(
    settings: Settings, committed_engine: Engine, clock: ManualClock
) -> None:
    """Above `stage` cases, PostgreSQL recomputes a range at a time, reading the next range on
    a second connection (which sees what is committed) while the session writes."""
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("the pipeline runs on PostgreSQL")
    with use_backend(HeldJobs()), Session(committed_engine) as session:
        desk = make_desk(session)
        _work_cases(session, settings, desk, clock, cases=30)
        session.commit()
        config = sla_config(settings, "acme")
        replayed = {k: v[:DERIVED] for k, v in _snapshot(session).items()}
        for stage in (None, 7):  # one pass; then five ranges of up to 7 cases
            session.execute(delete(ComplaintSlaTarget))
            session.commit()
            cold = recompute_bulk(
                session, brand_id=desk.brand_id, config=config, now=utcnow(), stage=stage
            )
            session.commit()
            assert (cold.vectorised, cold.per_case, cold.rows) == (30, 0, len(replayed))
            assert {k: v[:DERIVED] for k, v in _snapshot(session).items()} == replayed
            warm = recompute_bulk(
                session, brand_id=desk.brand_id, config=config, now=utcnow(), stage=stage
            )
            assert (warm.vectorised, warm.rows) == (30, 0)
        # a transaction that has written reads on its own connection, whatever the stage
        session.execute(delete(ComplaintSlaTarget))
        late = recompute_bulk(session, brand_id=desk.brand_id, config=config, now=utcnow(), stage=7)
        assert late.rows == len(replayed)
        assert {k: v[:DERIVED] for k, v in _snapshot(session).items()} == replayed

"""Bulk SLA recomputation: the clocks of many cases at once.

`sync_sla` replays one case's log at a time (a few queries each): right after an agent's
action, too slow for "recompute a million cases after a policy change". `recompute_bulk`
reads the lifecycle events of a brand in one query, derives the clocks with numpy
(sla_bulk_clocks.py: first response, next-reply cycles, resolution with its reopenings, public
reply, pauses) and writes the rows that changed (PostgreSQL: binary COPY into a temporary
table, then a plain INSERT of the new clocks and INSERT … ON CONFLICT of the rest). It gives
the same rows as `sync_sla` (tests check it); cases with a contract policy (a late breach
earns a credit) and irregular logs go through `sync_sla` as before.

Facts recorded by the escalation runner (warned_at, escalation_level, breached_at) are kept
within a cycle and cleared by a new one; a clock met late gets its breached_at. Unlike
`sync_sla`, the bulk path appends no `sla_*` events to the log: those narrate single changes,
and a recompute changes deadlines only.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import BigInteger, Select, String, case, cast, exists, select, text
from sqlalchemy.orm import Session

from trustpulse.accounts.models import Team
from trustpulse.complaints.calendar import AROUND_THE_CLOCK
from trustpulse.complaints.config import SlaConfig, duration_of
from trustpulse.complaints.models import (
    Complaint,
    ComplaintContract,
    ComplaintEvent,
    Severity,
    SlaStatus,
    SlaTarget,
)
from trustpulse.complaints.sla import Subject, clock_name, match_policy
from trustpulse.complaints.sla_bulk_clocks import (
    AUTHORS,
    KINDS,
    NONE,
    STATES,
    TARGETS,
    Clocks,
    derive_bulk,
)
from trustpulse.complaints.sla_bulk_copy import HIGH as _HIGH
from trustpulse.complaints.sla_bulk_copy import read_groups, split
from trustpulse.complaints.sla_bulk_io import STATUSES, Stored, read_targets, write_targets
from trustpulse.complaints.sla_store import read_case_facts, sync_sla
from trustpulse.customers.models import Customer

Ints = npt.NDArray[np.int64]
_REPLAY_CHUNK = 2000  # cases replayed one by one, their facts read together
PIPELINE_STAGE = 125_000  # cases per stage of `_pipelined` (62.5k-500k tried: docs/benchmarks.md)
_ACTIVE, _PAUSED, _FULFILLED = (
    STATUSES.index(s) for s in (SlaStatus.active, SlaStatus.paused, SlaStatus.fulfilled)
)


@dataclass
class BulkResult:
    vectorised: int = 0
    per_case: int = 0
    rows: int = 0  # clock rows written: new or changed (a warm run over unchanged cases: 0)


@dataclass
class _Cases:
    frame: pd.DataFrame  # complaint_id, policy, clock, public_clock (indexes into the lists;
    # public_clock -1: not a public case), special
    policies: list[str]  # config.policies' names
    clocks: list[str]  # the calendar names in use


def recompute_bulk(
    session: Session,
    *,
    brand_id: int,
    config: SlaConfig,
    now: datetime,
    span: int = 1 << 20,
    stage: int | None = PIPELINE_STAGE,
) -> BulkResult:
    """Recompute every case of a brand; the caller commits.

    Events and clocks are read for `span` cases at a time: on PostgreSQL each read is one row
    of arrays, which must stay below its 1 GB limit (a million cases with 10 events each:
    about 320 MB). On PostgreSQL, more than `stage` cases go through a pipeline of `stage`
    cases at a time (`_pipelined`; None: never), unless this transaction has written
    something: the pipeline reads the log on a second connection, which sees only what is
    committed.
    """
    cases = _cases(session, brand_id, config)
    ids = cases.frame["complaint_id"].to_numpy()
    # the reads below find the brand's rows through complaints, unless it has them all
    only = not session.scalar(
        select(
            exists().where(Complaint.brand_id < brand_id)
            | exists().where(Complaint.brand_id > brand_id)
        )
    )
    of_brand = None if only else brand_id
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and stage is not None and len(ids) > stage and _nothing_written(session):
        result = BulkResult()
        fallback = _pipelined(session, cases, of_brand, config, now, _spans(ids, stage), result)
        result.per_case = len(fallback)
        _replay(session, fallback, config, now)
        return result
    spans = _spans(ids, span)
    events = _events(session, of_brand, config.public_reply.channels, spans)
    # the stored clocks are read while the new ones are derived (the session waits)
    stored = read_targets(session, of_brand, spans, policies=cases.policies, clocks=cases.clocks)
    try:
        clocks = derive_bulk(events, cases.frame, config, clocks=cases.clocks)
        rows = _rows(clocks, cases, config)
    finally:
        wait([stored])  # the connection is free again, whatever happened here
    before = stored.result()
    fallback = [int(i) for i in clocks.fallback]
    result = BulkResult(per_case=len(fallback))
    if not clocks.frame.empty:
        changed = _changed(rows, before, clocks, config)
        ids = clocks.frame["complaint_id"].to_numpy()
        result.rows = write_targets(
            session, rows[changed], policies=cases.policies, clocks=cases.clocks, now=now
        )
        result.vectorised = len(pd.unique(ids))  # numpy's unique took 1.2 s on 2M ids
    _replay(session, fallback, config, now)
    return result


def _nothing_written(session: Session) -> bool:
    """Whether this transaction has written nothing yet (PostgreSQL gives a transaction its id
    at its first write)."""
    session.flush()
    return bool(session.scalar(text("SELECT pg_current_xact_id_if_assigned() IS NULL")))


def _replay(session: Session, fallback: list[int], config: SlaConfig, now: datetime) -> None:
    """`sync_sla` for the cases the vectors leave out, their facts read a chunk at a time."""
    for start in range(0, len(fallback), _REPLAY_CHUNK):
        chunk = list(
            session.scalars(
                select(Complaint).where(Complaint.id.in_(fallback[start : start + _REPLAY_CHUNK]))
            )
        )
        facts = read_case_facts(session, chunk)
        for complaint in chunk:
            sync_sla(session, complaint, config=config, now=now, facts=facts[complaint.id])
        session.flush()


def _pipelined(  # noqa: PLR0917 -- the recompute's own state, passed on
    session: Session,
    cases: _Cases,
    of_brand: int | None,
    config: SlaConfig,
    now: datetime,
    stages: list[tuple[int, int] | None],
    result: BulkResult,
) -> list[int]:
    """The bulk recompute as a pipeline over ranges of cases: a second connection reads the
    next range's log and stored clocks while this thread derives the current range and the
    session's connection writes the one before. One after another, the server's reads and
    writes kept one of 2 cores idle (a million cases: reading 2.7 s, writing 7.2 s, deriving
    1.6 s). Returns the cases left to the per-case replay."""
    ids = cases.frame["complaint_id"].to_numpy()
    channels = config.public_reply.channels
    fallback: list[int] = []

    def read(span: tuple[int, int] | None) -> tuple[pd.DataFrame, Stored]:
        events = _events(reader, of_brand, channels, [span])
        stored = read_targets(
            reader, of_brand, [span], policies=cases.policies, clocks=cases.clocks
        )
        return events, stored.result()

    reader = Session(bind=session.get_bind().engine)
    with reader, ThreadPoolExecutor(1) as reading, ThreadPoolExecutor(1) as writing:
        reads = reading.submit(read, stages[0])
        written: Future[int] | None = None
        for i, span in enumerate(stages):
            events, before = reads.result()
            if i + 1 < len(stages):
                reads = reading.submit(read, stages[i + 1])
            low, high = span if span is not None else (int(ids.min()), int(ids.max()))
            part = _Cases(cases.frame[(ids >= low) & (ids <= high)], cases.policies, cases.clocks)
            clocks = derive_bulk(events, part.frame, config, clocks=cases.clocks)
            fallback += [int(c) for c in clocks.fallback]
            if clocks.frame.empty:
                continue
            rows = _rows(clocks, part, config)
            changed = rows[_changed(rows, before, clocks, config)]
            result.vectorised += len(pd.unique(clocks.frame["complaint_id"].to_numpy()))
            if written is not None:
                result.rows += written.result()
            written = writing.submit(
                write_targets,
                session,
                changed,
                policies=cases.policies,
                clocks=cases.clocks,
                now=now,
            )
        if written is not None:
            result.rows += written.result()
    return fallback


def _cases(session: Session, brand_id: int, config: SlaConfig) -> _Cases:
    """Each case's policy and calendar (and public-reply calendar), and whether it is special
    (left to sync_sla: a customer with a contract).

    Read grouped by what policies match on, so each policy is matched once per group.
    """
    groups = read_groups(
        session,
        select(
            Complaint.category,
            cast(Complaint.severity, String).label("severity"),
            Complaint.channel,
            Customer.tier,
            Team.calendar,
            ComplaintContract.contract,
            Complaint.id.label("complaint_id"),
        )
        .select_from(Complaint)
        .outerjoin(Customer, Customer.id == Complaint.customer_id)
        .outerjoin(Team, Team.id == Complaint.team_id)
        .outerjoin(ComplaintContract, ComplaintContract.customer_id == Complaint.customer_id)
        .where(Complaint.brand_id == brand_id),
        keys=6,
    )
    names = [p.name for p in config.policies]
    clocks: list[str] = []

    def number(clock: str) -> int:
        if clock not in clocks:
            clocks.append(clock)
        return clocks.index(clock)

    public = config.public_reply
    per_group: list[tuple[int, int, int, bool]] = []
    for (
        category,
        severity,
        channel,
        tier,
        team_calendar,
        contract,
    ) in groups.keys.itertuples(index=False):
        policy = match_policy(config, Subject(category, _severity(severity), channel, tier))
        name = clock_name(config, policy, team_calendar)
        # sla_store._derive_all: public cases run public_reply on 24×7 or the case's calendar
        public_name = AROUND_THE_CLOCK if public.hours == "calendar" else name
        per_group.append(
            (
                names.index(policy.name),
                number(name),
                number(public_name) if channel in public.channels else -1,
                contract is not None,
            )
        )
    table = np.array(per_group, dtype=np.int64).reshape(-1, 4)
    group = groups.values["group"].to_numpy()
    frame = pd.DataFrame(
        {
            "complaint_id": groups.values["complaint_id"].to_numpy(),
            "policy": table[group, 0],
            "clock": table[group, 1],
            "public_clock": table[group, 2],
            "special": table[group, 3].astype(bool),
        }
    )
    return _Cases(frame, names, clocks)


def _severity(value: object) -> Severity:
    """The stored name ("p3") or, from an ORM row, the enum."""
    return value if isinstance(value, Severity) else Severity[str(value)]


def _code(column: Any, codes: dict[str, int]) -> Any:
    return case(codes, value=column, else_=0)


def _spans(ids: Ints, span: int) -> list[tuple[int, int] | None]:
    """Ranges of complaint ids (inclusive) of `span` cases each; [None] where one read will do."""
    if len(ids) <= span:
        return [None]
    ids = np.sort(ids)
    return [(int(ids[i]), int(ids[min(i + span, len(ids)) - 1])) for i in range(0, len(ids), span)]


def _events(
    session: Session,
    brand_id: int | None,
    channels: Sequence[str],
    spans: Sequence[tuple[int, int] | None],
) -> pd.DataFrame:
    """The lifecycle events as integers (sla_bulk_clocks' codes; `t` in µs since the epoch),
    sorted by complaint and seq; those of one brand's cases, or of all (None), a range of
    complaint ids at a time. `public`: an opening or reply on one of `channels`.

    Each event travels as three integers (complaint and seq in one, the codes in another):
    on PostgreSQL every value read costs about the same, whatever its size.
    """
    e = ComplaintEvent
    # only replies carry an author: the JSON is parsed for them alone
    author = case((e.kind == "replied", _code(e.data["author"].as_string(), AUTHORS)), else_=0)
    public = case(
        (e.kind.in_(["opened", "replied"]) & e.channel.in_(channels), 1),
        else_=0,
    )
    codes = _code(e.kind, KINDS) + 8 * _code(e.to_state, STATES) + 128 * author + 512 * public
    statement = select(
        (cast(e.complaint_id, BigInteger) * _HIGH + e.seq).label("key"),
        e.at.label("t"),
        codes.label("codes"),
    ).where(e.to_state.is_not(None) | e.kind.in_(list(KINDS)))
    if brand_id is not None:
        statement = statement.join(Complaint, Complaint.id == e.complaint_id).where(
            Complaint.brand_id == brand_id
        )
    frame = pd.concat(
        [
            read_groups(session, _within(statement, e.complaint_id, span), keys=0).values
            for span in spans
        ],
        ignore_index=True,
    )
    # sorted here rather than in the database: one numpy sort beats ORDER BY over the join
    order = np.argsort(frame["key"].to_numpy(), kind="stable")
    key, codes = frame["key"].to_numpy()[order], frame["codes"].to_numpy()[order]
    complaint_id, seq = split(key)
    return pd.DataFrame(
        {
            "complaint_id": complaint_id,
            "seq": seq,
            "t": frame["t"].to_numpy()[order],
            "kind": codes % 8,
            "to": codes // 8 % 16,
            "author": codes // 128 % 4,
            "public": codes // 512,
        }
    )


def _within(
    statement: Select[*tuple[Any, ...]], column: Any, span: tuple[int, int] | None
) -> Select[*tuple[Any, ...]]:
    return statement if span is None else statement.where(column.between(*span))


def _rows(clocks: Clocks, cases: _Cases, config: SlaConfig) -> pd.DataFrame:
    """Deadlines, status and late breaches of each clock."""
    frame = clocks.frame
    policy, clock, target = (frame[c].to_numpy() for c in ("policy", "clock", "target"))
    micros = timedelta(microseconds=1)
    lengths = np.zeros((len(cases.policies), len(cases.clocks), len(TARGETS)), dtype=np.int64)
    for p, settings in enumerate(config.policies):
        for c, name in enumerate(cases.clocks):
            work = config.clock(name)
            for t, goal in enumerate(TARGETS):
                if goal == SlaTarget.public_reply:
                    length = duration_of(config.public_reply.within, work)
                else:
                    length = settings.duration(goal, work)
                lengths[p, c, t] = length // micros
    duration = lengths[policy, clock, target]
    start, paused = frame["start"].to_numpy(), frame["paused"].to_numpy()
    due = np.zeros(len(frame), dtype=np.int64)
    for number, vector in clocks.vectors.items():
        mine = clock == number
        due[mine] = vector.add(start[mine], duration[mine] + paused[mine])
    fulfilled, paused_at = frame["fulfilled"].to_numpy(), frame["paused_at"].to_numpy()
    done = fulfilled != NONE
    waiting = ~done & (paused_at != NONE)
    return frame.assign(
        duration=duration,
        target_seconds=duration // 1_000_000,
        due_at=np.where(waiting, NONE, due),
        breached_at=np.where(done & (fulfilled > due), due, NONE),
        status=np.where(done, _FULFILLED, np.where(waiting, _PAUSED, _ACTIVE)),
        paused_at=np.where(done, NONE, paused_at),
    )


def _changed(
    rows: pd.DataFrame, stored: Stored, clocks: Clocks, config: SlaConfig
) -> npt.NDArray[np.bool_]:
    """Which rows the upsert would change (new rows included); sets their next_check_at, and
    `stored`: whether a row was stored for them.

    Mirrors sync_sla: a new cycle (or a first row) starts with nothing fired (_fresh_row);
    within a cycle the escalation runner's warned_at, escalation_level and breached_at stay,
    and the next check is the next share of the target not yet fired.
    """
    was = stored.find(rows["complaint_id"].to_numpy(), rows["target"].to_numpy())
    known = was >= 0
    rows["stored"] = known  # write_targets inserts the others without an upsert

    def before(column: str) -> Ints:
        values = stored.values[column].to_numpy()
        if len(values) == 0:
            return np.full(len(was), NONE, dtype=np.int64)
        return np.where(known, values[was], NONE)

    same_cycle = known & (before("cycle") == rows["cycle"].to_numpy())
    warned = same_cycle & (before("warned_at") != NONE)
    level = np.where(same_cycle, before("escalation_level"), 0)
    levels = np.array([e.at for e in config.escalations] + [np.inf])
    share = np.where(warned, levels[np.minimum(level, len(levels) - 1)], config.warn_at)
    status = rows["status"].to_numpy()
    active = (status == _ACTIVE) & np.isfinite(share)
    offset = np.rint(np.where(active, share, 0) * rows["duration"].to_numpy()).astype(np.int64)
    start, paused, clock = (rows[c].to_numpy() for c in ("start", "paused", "clock"))
    next_at = np.full(len(rows), NONE, dtype=np.int64)
    for number, vector in clocks.vectors.items():
        mine = active & (clock == number)
        next_at[mine] = vector.add(start[mine], offset[mine] + paused[mine])
    rows["next_check_at"] = next_at
    kept = before("breached_at")
    breached = np.where(same_cycle & (kept != NONE), kept, rows["breached_at"].to_numpy())
    differs: npt.NDArray[np.bool_] = ~same_cycle | (breached != kept)
    for column, stored_as in (
        ("policy", "policy"),
        ("clock", "calendar"),
        ("target_seconds", "target_seconds"),
        ("start", "started_at"),
        ("due_at", "due_at"),
        ("paused_at", "paused_at"),
        ("fulfilled", "fulfilled_at"),
        ("next_check_at", "next_check_at"),
        ("status", "status"),
    ):
        differs |= rows[column].to_numpy() != before(stored_as)
    differs |= paused // 1_000_000 != before("paused_seconds")
    return differs

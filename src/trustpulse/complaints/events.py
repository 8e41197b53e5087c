"""The append-only complaint event log: appending entries, and replaying them into a state.

Lifecycle events carry `from_state → to_state`; SLA events (`sla_*`) and ownership events carry
no state. Replaying the log therefore yields the complaint's state, which lifecycle.py keeps
equal to `Complaint.state` (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.event import listens_for
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from trustpulse.complaints.models import Complaint, ComplaintEvent, ComplaintState

SLA_PREFIX = "sla_"
_MEMO_KEY = "complaint_transaction_memo"


def transaction_memo(session: Session, name: str) -> dict[int, Any]:
    """Facts per complaint that this transaction read under the row lock ("seq", "log" …).

    They are dropped when the transaction ends, on any rollback (a savepoint's too) and when
    a statement other than a SELECT runs through the session outside a flush, so none outlives
    the lock that keeps it true or misses a bulk change. Statements run on the connection
    itself are not seen: code writing logs or clock rows that way (sla_bulk's COPY) ends with
    a statement through the session.
    """
    memo: dict[str, dict[int, Any]] = session.info.setdefault(_MEMO_KEY, {})
    return memo.setdefault(name, {})


@listens_for(Session, "after_transaction_end")
def _forget_memo_at_end(session: Session, transaction: SessionTransaction) -> None:
    """A new transaction re-reads from the tables (a savepoint's end keeps the memo)."""
    if transaction.parent is None:
        session.info.pop(_MEMO_KEY, None)


@listens_for(Session, "do_orm_execute")
def _forget_memo_on_direct_writes(state: ORMExecuteState) -> None:
    """A statement run past the unit of work (bulk DML, text) may change any log or clock row,
    so what the memo held is read again."""
    if not state.is_select:
        state.session.info.pop(_MEMO_KEY, None)


@listens_for(Session, "after_soft_rollback")
def _forget_memo_on_rollback(session: Session, previous: SessionTransaction) -> None:
    """Rolled-back entries (a savepoint too) no longer hold their seqs."""
    del previous  # the listener's signature; which transaction does not matter
    session.info.pop(_MEMO_KEY, None)


@listens_for(Session, "before_flush")
def _write_held_entries(session: Session, _context: object, _instances: object) -> None:
    """New entries of a held log (`remember_log`: the case a write holds under its row lock)
    go out in one Core INSERT instead of through the unit of work.

    The ORM would insert them with RETURNING to learn ids nobody reads (entries are read by
    complaint and seq) and track each as a persistent object, the largest single cost of a
    write. They still go out whenever the session flushes (before a query, a savepoint or the
    commit), so the log reads the same to everything that follows; the objects stay in the
    held log (without ids) for the SLA sync, the notice and the response."""
    logs: dict[int, Any] | None = session.info.get(_MEMO_KEY, {}).get("log")
    if not logs:
        return
    entries = [e for e in session.new if isinstance(e, ComplaintEvent) and e.complaint_id in logs]
    if not entries:
        return
    entries.sort(key=lambda e: (e.complaint_id, e.seq))
    for entry in entries:
        session.expunge(entry)
    # with RETURNING, SQLAlchemy sends the rows as one multi-row VALUES statement
    # ("insertmanyvalues"): one statement for PostgreSQL to run, where a plain executemany
    # sends one per row (pipelined by psycopg); the client's CPU is the same either way
    session.connection().execute(
        _INSERT_ENTRIES, [{name: getattr(e, name) for name in _ENTRY_FIELDS} for e in entries]
    )


_EVENTS = cast("Table", ComplaintEvent.__table__)
_ENTRY_FIELDS = tuple(c.name for c in _EVENTS.columns if c.name != "id")
_INSERT_ENTRIES = insert(_EVENTS).returning(_EVENTS.c.id)


def append_event(
    session: Session,
    complaint: Complaint,
    kind: str,
    *,
    at: datetime,
    actor_id: int | None = None,
    from_state: ComplaintState | None = None,
    to_state: ComplaintState | None = None,
    note: str | None = None,
    channel: str | None = None,
    data: dict[str, Any] | None = None,
) -> ComplaintEvent:
    """Append one entry; the caller holds the complaint's row lock (seq is max + 1).

    The entry is added, not flushed: the next query or commit writes it, so the several
    entries of one action (state change, ownership, SLA events) go out in one INSERT. The
    last seq is read once per complaint and transaction, then counted on in the transaction
    memo (valid because the row lock keeps other writers out until commit); a log held by
    `remember_log` gets the entry too.
    """
    counters: dict[int, int] = transaction_memo(session, "seq")
    last = counters.get(complaint.id)
    if last is None:
        last = (
            session.scalar(
                select(func.max(ComplaintEvent.seq)).where(
                    ComplaintEvent.complaint_id == complaint.id
                )
            )
            or 0
        )
    counters[complaint.id] = last + 1
    event = ComplaintEvent(
        complaint_id=complaint.id,
        seq=last + 1,
        kind=kind,
        at=at,
        actor_id=actor_id,
        from_state=from_state.value if from_state is not None else None,
        to_state=to_state.value if to_state is not None else None,
        note=note,
        channel=channel,
        data=data or {},
        recorded_at=at,
    )
    session.add(event)
    log = transaction_memo(session, "log").get(complaint.id)
    if log is not None:
        log.append(event)
    return event


def remember_last_seq(session: Session, complaint_id: int, seq: int) -> None:
    """Tell `append_event` the last seq of a log the caller has just read under the row lock."""
    transaction_memo(session, "seq")[complaint_id] = seq


def remember_log(
    session: Session, complaint_id: int, events: Iterable[ComplaintEvent]
) -> list[ComplaintEvent]:
    """Hold the whole log, just read under the row lock (empty for a case opened in this
    transaction), until the transaction ends: `append_event` adds to it, and the SLA sync and
    the API response read it instead of the table."""
    log = list(events)
    transaction_memo(session, "log")[complaint_id] = log
    remember_last_seq(session, complaint_id, log[-1].seq if log else 0)
    return log


def known_log(session: Session, complaint_id: int) -> list[ComplaintEvent] | None:
    """The log `remember_log` holds for this complaint in this transaction, in seq order."""
    log: list[ComplaintEvent] | None = transaction_memo(session, "log").get(complaint_id)
    return log


def list_events(session: Session, complaint_id: int) -> list[ComplaintEvent]:
    return list(session.scalars(_LOG, {"complaint_id": complaint_id}))


_LOG = (  # built once: every write reads its case's log
    select(ComplaintEvent)
    .where(ComplaintEvent.complaint_id == bindparam("complaint_id"))
    .order_by(ComplaintEvent.seq)
)


def replay_state(events: Iterable[ComplaintEvent]) -> ComplaintState | None:
    """The state the log leads to: the last `to_state` (None for an empty log)."""
    state: ComplaintState | None = None
    for event in events:
        if event.to_state is not None:
            state = ComplaintState(event.to_state)
    return state

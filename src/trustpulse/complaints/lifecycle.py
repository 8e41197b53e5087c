"""Complaint lifecycle: states, first-responder ownership, transfers, optimistic locking.

    new → acknowledged → in_progress ⇄ waiting_on_customer → resolved → closed
    (acknowledged may go straight to waiting or resolved; reopen: resolved/closed → in_progress)

Every change appends to the event log and keeps `Complaint.state` equal to the log's replay
(transfers and re-grading live in ownership.py).
The first agent to act owns the case (首问负责制) until it is resolved; only `transfer_complaint`
moves ownership, with a reason. A write names the version it was based on: the row is read
again under a row lock and a different version is refused with StaleVersionError (409), so two
agents never overwrite each other. Services never commit; the caller does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from trustpulse.accounts.models import User
from trustpulse.clock import utcnow
from trustpulse.complaints.config import complaints_config, sla_config
from trustpulse.complaints.events import (
    append_event,
    list_events,
    remember_log,
    transaction_memo,
)
from trustpulse.complaints.loop import close_loop_if_done, schedule_followup
from trustpulse.complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintSlaTarget,
    ComplaintState,
    Responsibility,
)
from trustpulse.complaints.notices import note_progress, progress_notice
from trustpulse.complaints.resolution import check_root_cause, is_complex_case
from trustpulse.complaints.schemas import (
    ActorWrite,
    ReopenRequest,
    ReplyCreate,
    ResolveRequest,
    SeverityChange,
    TransferRequest,
)
from trustpulse.complaints.sla import AGENT
from trustpulse.complaints.sla_store import remember_targets, sync_sla
from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand
from trustpulse.errors import ConflictError, InvalidInputError, NotFoundError

S = ComplaintState
TRANSITIONS: dict[ComplaintState, frozenset[ComplaintState]] = {
    S.new: frozenset({S.acknowledged}),
    S.acknowledged: frozenset({S.in_progress, S.waiting_on_customer, S.resolved}),
    S.in_progress: frozenset({S.waiting_on_customer, S.resolved}),
    S.waiting_on_customer: frozenset({S.in_progress, S.resolved}),
    S.resolved: frozenset({S.closed, S.in_progress}),  # → in_progress only by reopening
    S.closed: frozenset({S.in_progress}),  # reopening
}
OPEN_STATES = frozenset({S.new, S.acknowledged, S.in_progress, S.waiting_on_customer})


class IllegalTransitionError(ConflictError):
    code = "illegal_transition"


class StaleVersionError(ConflictError):
    code = "stale_version"


class ReopenWindowClosedError(ConflictError):
    code = "reopen_window_closed"


def load_for_write(
    session: Session,
    complaint_id: int,
    *,
    brand: str,
    version: int,
    actor_id: int | None = None,
) -> Complaint:
    """Read the brand's complaint under a row lock (fresh values), check the caller's version,
    and hold its log and clock rows for the rest of the transaction (`remember_log`).

    `actor_id`: whether that user exists is asked in the same statement, for `require_user`.
    NotFoundError names the brand when the brand is missing, else the complaint."""
    if actor_id is None:
        row = session.execute(_LOCKED, {"complaint_id": complaint_id, "brand": brand}).one_or_none()
    else:
        row = session.execute(
            _LOCKED_WITH_ACTOR,
            {"complaint_id": complaint_id, "brand": brand, "actor_id": actor_id},
        ).one_or_none()
    if row is None:
        customers.get_brand(session, brand)
        raise NotFoundError(f"complaint {complaint_id} not found", id=complaint_id)
    complaint: Complaint = row[0]
    if actor_id is not None:
        transaction_memo(session, "users")[actor_id] = bool(row[1])
    if complaint.version != version:
        raise StaleVersionError(
            f"complaint {complaint_id} was changed by someone else (version "
            f"{complaint.version}, yours {version}): reload and try again",
            id=complaint_id,
            current_version=complaint.version,
        )
    remember_log(session, complaint.id, list_events(session, complaint.id))
    remember_targets(
        session, complaint.id, session.scalars(_TARGETS, {"complaint_id": complaint.id})
    )
    return complaint


# the reads of every write, built once (a statement's construction and cache key cost about
# as much as running it through the ORM)
_LOCKED: Select[Any] = (
    select(Complaint)
    .join(Brand, Brand.id == Complaint.brand_id)
    .where(Complaint.id == bindparam("complaint_id"), Brand.code == bindparam("brand"))
    .with_for_update(of=Complaint)
    .execution_options(populate_existing=True)
)
_LOCKED_WITH_ACTOR = _LOCKED.add_columns(
    select(User.id).where(User.id == bindparam("actor_id")).exists()
)
_TARGETS = (
    select(ComplaintSlaTarget)
    .where(ComplaintSlaTarget.complaint_id == bindparam("complaint_id"))
    .execution_options(populate_existing=True)
)


def require_user(session: Session, user_id: int) -> None:
    """NotFoundError unless the user exists; asked once per user and transaction."""
    checked = transaction_memo(session, "users")
    exists = checked.get(user_id)
    if exists is None:
        exists = checked[user_id] = (
            session.scalar(select(User.id).where(User.id == user_id)) is not None
        )
    if not exists:
        raise NotFoundError(f"user {user_id} not found", id=user_id)


def save_change(
    session: Session,
    complaint: Complaint,
    *,
    settings: Settings,
    brand: str,
    notice: ComplaintEvent | None = None,
) -> None:
    """Recompute the SLA clocks and flush the whole write (one UPDATE: one version step), then
    queue the customer's progress notice for `notice`, the event of a state change."""
    now = utcnow()
    complaint.updated_at = now
    try:
        sync_sla(session, complaint, config=sla_config(settings, brand), now=now)
        session.flush()
    except StaleDataError as exc:  # a concurrent writer slipped past the row lock
        raise StaleVersionError(
            f"complaint {complaint.id} was changed by someone else", id=complaint.id
        ) from exc
    if notice is not None:
        progress_notice(session, complaint, notice, config=complaints_config(settings, brand))


def _move(
    session: Session,
    complaint: Complaint,
    to_state: ComplaintState,
    kind: str,
    *,
    actor_id: int | None,
    note: str | None = None,
    channel: str | None = None,
    data: dict[str, object] | None = None,
) -> ComplaintEvent:
    """Change the state and log it; returns the event, for `save_change(notice=...)`."""
    from_state = complaint.state
    _check(from_state, to_state)
    complaint.state = to_state
    event = append_event(
        session,
        complaint,
        kind,
        at=utcnow(),
        actor_id=actor_id,
        from_state=from_state,
        to_state=to_state,
        note=note,
        channel=channel,
        data=dict(data or {}),
    )
    note_progress(complaint, event)
    return event


def _check(from_state: ComplaintState, to_state: ComplaintState) -> None:
    if to_state != from_state and to_state not in TRANSITIONS[from_state]:
        raise IllegalTransitionError(
            f"a {from_state.value} complaint cannot become {to_state.value}",
            from_state=from_state.value,
            to_state=to_state.value,
        )


def claim_ownership(session: Session, complaint: Complaint, actor_id: int | None) -> None:
    """First-responder ownership: the first agent to act on an open case owns it."""
    if actor_id is None or complaint.owner_id is not None or complaint.state not in OPEN_STATES:
        return
    require_user(session, actor_id)
    complaint.owner_id = actor_id
    append_event(
        session,
        complaint,
        "owner_assigned",
        at=utcnow(),
        actor_id=actor_id,
        data={"owner_id": actor_id, "reason": "first_responder"},
    )


def acknowledge_complaint(
    session: Session, complaint_id: int, data: ActorWrite, *, brand: str, settings: Settings
) -> Complaint:
    complaint = load_acted_on(session, complaint_id, data, brand=brand)
    require_user(session, data.actor_id)
    event = _move(
        session,
        complaint,
        S.acknowledged,
        "acknowledged",
        actor_id=data.actor_id,
        note=data.note,
    )
    complaint.first_response_at = complaint.first_response_at or utcnow()
    claim_ownership(session, complaint, data.actor_id)
    save_change(session, complaint, settings=settings, brand=brand, notice=event)
    return complaint


def reply_to_complaint(
    session: Session, complaint_id: int, data: ReplyCreate, *, brand: str, settings: Settings
) -> Complaint:
    """An agent's reply (acknowledges a new case) or a customer's message (ends waiting)."""
    complaint = load_acted_on(session, complaint_id, data, brand=brand)
    if complaint.state in (S.resolved, S.closed):
        raise IllegalTransitionError(
            f"a {complaint.state.value} complaint takes no replies: reopen it first",
            from_state=complaint.state.value,
        )
    if data.author == AGENT:
        if data.actor_id is None:
            raise InvalidInputError("an agent reply needs actor_id", field="actor_id")
        require_user(session, data.actor_id)
        to_state: ComplaintState = S.acknowledged if complaint.state == S.new else complaint.state
        complaint.first_response_at = complaint.first_response_at or utcnow()
    else:
        to_state = S.in_progress if complaint.state == S.waiting_on_customer else complaint.state
    event = _move(
        session,
        complaint,
        to_state,
        "replied",
        actor_id=data.actor_id,
        note=data.message,
        channel=data.channel or complaint.channel,
        data={"author": data.author}
        | ({"feedback_id": data.feedback_id} if data.feedback_id is not None else {}),
    )
    if data.author == AGENT:
        claim_ownership(session, complaint, data.actor_id)
    save_change(session, complaint, settings=settings, brand=brand, notice=event)
    return complaint


def set_state(
    session: Session,
    complaint_id: int,
    data: ActorWrite,
    to_state: ComplaintState,
    *,
    brand: str,
    settings: Settings,
) -> Complaint:
    """Agent moves between acknowledged, in_progress and waiting_on_customer, or closes."""
    if to_state not in (S.in_progress, S.waiting_on_customer, S.closed):
        raise InvalidInputError(f"use the dedicated action for {to_state.value}", field="state")
    complaint = load_acted_on(session, complaint_id, data, brand=brand)
    require_user(session, data.actor_id)
    if to_state == S.in_progress and complaint.state in (S.resolved, S.closed):
        raise IllegalTransitionError(
            "use reopen for a resolved or closed complaint", from_state=complaint.state.value
        )
    _check(complaint.state, to_state)
    claim_ownership(session, complaint, data.actor_id)
    kind = "closed" if to_state == S.closed else "state_changed"
    event = _move(
        session,
        complaint,
        to_state,
        kind,
        actor_id=data.actor_id,
        note=data.note,
    )
    if to_state == S.closed:
        complaint.closed_at = utcnow()
    save_change(session, complaint, settings=settings, brand=brand, notice=event)
    return complaint


def resolve_complaint(
    session: Session, complaint_id: int, data: ResolveRequest, *, brand: str, settings: Settings
) -> Complaint:
    """Resolve with root cause, responsibility and summary; ends the owner's duty."""
    complaint = load_acted_on(session, complaint_id, data, brand=brand)
    require_user(session, data.actor_id)
    _check(complaint.state, S.resolved)
    config = complaints_config(settings, brand)
    check_root_cause(config, data.root_cause)
    claim_ownership(session, complaint, data.actor_id)
    is_complex = data.is_complex or complaint.is_complex or is_complex_case(session, complaint)
    event = _move(
        session,
        complaint,
        S.resolved,
        "resolved",
        actor_id=data.actor_id,
        note=data.summary,
        data={
            "root_cause": data.root_cause,
            "responsibility": data.responsibility,
            "is_complex": is_complex,
        },
    )
    now = utcnow()
    complaint.first_response_at = complaint.first_response_at or now
    complaint.resolved_at = complaint.attributed_at = now
    complaint.root_cause = data.root_cause
    complaint.responsibility = Responsibility(data.responsibility)
    complaint.resolution_summary = data.summary
    complaint.is_complex = is_complex
    close_loop_if_done(complaint)
    schedule_followup(session, complaint, config=config, now=now)
    save_change(session, complaint, settings=settings, brand=brand, notice=event)
    return complaint


def reopen_complaint(
    session: Session, complaint_id: int, data: ReopenRequest, *, brand: str, settings: Settings
) -> Complaint:
    """Reopen a resolved or closed case within the configured window (from its resolution)."""
    complaint = load_acted_on(session, complaint_id, data, brand=brand)
    if data.actor_id is not None:
        require_user(session, data.actor_id)
    if complaint.state not in (S.resolved, S.closed):
        raise IllegalTransitionError(
            f"a {complaint.state.value} complaint is not resolved or closed",
            from_state=complaint.state.value,
            to_state=S.in_progress.value,
        )
    window = timedelta(days=complaints_config(settings, brand).reopen_window_days)
    resolved_at = complaint.resolved_at or complaint.closed_at or complaint.opened_at
    if utcnow() > resolved_at + window:
        raise ReopenWindowClosedError(
            f"complaint {complaint_id} was resolved more than {window.days} days ago",
            resolved_at=resolved_at.isoformat(),
        )
    event = _move(
        session,
        complaint,
        S.in_progress,
        "reopened",
        actor_id=data.actor_id,
        note=data.reason,
    )
    complaint.reopen_count += 1
    complaint.resolved_at = complaint.closed_at = None
    save_change(session, complaint, settings=settings, brand=brand, notice=event)
    return complaint


Acting = (
    ActorWrite | ReplyCreate | ResolveRequest | ReopenRequest | TransferRequest | SeverityChange
)


def load_acted_on(session: Session, complaint_id: int, data: Acting, *, brand: str) -> Complaint:
    """`load_for_write` at the version `data` names (409 when stale), asking in the same read
    whether its acting agent exists."""
    return load_for_write(
        session, complaint_id, brand=brand, version=require_version(data), actor_id=data.actor_id
    )


def require_version(data: Acting) -> int:
    if data.version is None:
        raise InvalidInputError(
            "say which version you changed: `version` in the body or an If-Match header",
            field="version",
        )
    return data.version

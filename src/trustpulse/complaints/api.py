"""HTTP routes for the complaint desk: open, read, queues, lifecycle actions, transfers.

Writes to an existing complaint take the version they were based on, as `version` in the body
or an `If-Match` header (`"3"`, `W/"3"` or `3`); a stale version gets 409 with
`current_version`. Responses carry the new version in `ETag`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.orm import Session

from trustpulse.accounts.actors import CurrentActor
from trustpulse.clock import utcnow
from trustpulse.complaints import intake, kpis, lifecycle, ownership, queries
from trustpulse.complaints.events import known_log, list_events
from trustpulse.complaints.kpis import GroupBy
from trustpulse.complaints.models import Complaint, ComplaintState, Severity
from trustpulse.complaints.schemas import (
    ActorWrite,
    ComplaintCreate,
    ComplaintDetail,
    ComplaintEventOut,
    ComplaintMetrics,
    ComplaintOut,
    ComplaintPage,
    ReopenRequest,
    ReplyCreate,
    ResolveRequest,
    SeverityChange,
    SlaTargetOut,
    TransferRequest,
)
from trustpulse.complaints.sla_store import known_targets
from trustpulse.config import Settings
from trustpulse.customers.access import BrandQuery, VisibleBrand, new_or_visible_brand
from trustpulse.db import DbSession
from trustpulse.errors import InvalidInputError

router = APIRouter(prefix="/complaints", tags=["complaints"])

IfMatch = Annotated[str | None, Header()]


# The two dependencies below only read memory: as coroutines they run on the event loop, where
# a plain function would cost a hop to a worker thread and back on every request.


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _scoped_brand(actor: CurrentActor, brand: BrandQuery = "default") -> str:
    """Writes check only the actor's scope up front: the service reads the brand with the case
    (one statement) and raises the same NotFoundError naming the brand when it is missing."""
    return new_or_visible_brand(actor, brand)


AppSettings = Annotated[Settings, Depends(_settings)]
ScopedBrand = Annotated[str, Depends(_scoped_brand)]


W = TypeVar(
    "W", ActorWrite, ReplyCreate, ResolveRequest, ReopenRequest, TransferRequest, SeverityChange
)


def _with_version(body: W, if_match: str | None) -> W:
    if body.version is not None or if_match is None:
        return body
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInputError(f"If-Match {if_match!r} is not a version", field="If-Match")
    return body.model_copy(update={"version": int(text)})


def detail(
    session: Session, complaint: Complaint, response: Response | None = None
) -> ComplaintDetail:
    out = ComplaintDetail.model_validate(complaint)
    out.sla = [
        SlaTargetOut.model_validate(t)
        for t in queries.sla_targets(session, [complaint.id])[complaint.id]
    ]
    out.events = [ComplaintEventOut.model_validate(e) for e in list_events(session, complaint.id)]
    if response is not None:
        response.headers["ETag"] = f'"{complaint.version}"'
    return out


def written_detail(session: Session, complaint: Complaint) -> ComplaintDetail:
    """The response of a write, from the log and clock rows the write holds (no re-read).

    Call it before the commit, which ends what the transaction holds; a write that holds
    nothing (a savepoint rolled back on the way) is read again.
    """
    events, targets = known_log(session, complaint.id), known_targets(session, complaint.id)
    if events is None or targets is None:
        return detail(session, complaint)
    out = ComplaintDetail.model_validate(complaint)
    out.sla = [SlaTargetOut.model_validate(t) for t in targets]
    out.events = [ComplaintEventOut.model_validate(e) for e in events]
    return out


def _sent(out: ComplaintDetail, *, status_code: int = 200) -> Response:
    """The finished detail as JSON, with its version as ETag. Returned as a Response because
    FastAPI would validate the finished model again against `response_model` (in one more
    worker-thread hop, redacting the text again) before serialising it."""
    return Response(
        out.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": f'"{out.version}"'},
    )


@router.get("", response_model=ComplaintPage)
def list_complaints(  # noqa: PLR0917 -- FastAPI reads query parameters from the signature
    session: DbSession,
    brand: VisibleBrand,
    state: Annotated[list[ComplaintState] | None, Query()] = None,
    team_id: int | None = None,
    owner_id: int | None = None,
    severity: Severity | None = None,
    category: Annotated[str | None, Query(max_length=80)] = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    breaching: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ComplaintPage:
    """A queue (team, owner, state …), most urgent SLA deadline first."""
    items, total = queries.list_complaints(
        session,
        brand=brand,
        now=utcnow(),
        states=state or (),
        team_id=team_id,
        owner_id=owner_id,
        severity=severity,
        category=category,
        channel=channel,
        breaching=breaching,
        limit=limit,
        offset=offset,
    )
    targets = queries.sla_targets(session, [c.id for c in items])
    out = []
    for complaint in items:
        item = ComplaintOut.model_validate(complaint)
        item.sla = [SlaTargetOut.model_validate(t) for t in targets[complaint.id]]
        out.append(item)
    return ComplaintPage(items=out, total=total, limit=limit, offset=offset)


@router.get("/metrics", response_model=list[ComplaintMetrics])
def metrics(  # noqa: PLR0917 -- FastAPI reads query parameters from the signature
    session: DbSession,
    settings: AppSettings,
    brand: VisibleBrand,
    by: GroupBy = "month",
    since: date | None = None,
    until: date | None = None,
) -> list[ComplaintMetrics]:
    """SLA attainment, FCR, reopen rate, resolution times … per group (rates 0–1, hours).

    `since`/`until`: inclusive dates of opening, in the brand's time zone.
    """
    return kpis.complaint_metrics_between(
        session, brand=brand, now=utcnow(), by=by, settings=settings, since=since, until=until
    )


@router.post("", status_code=201, response_model=ComplaintDetail)
def open_complaint(
    body: ComplaintCreate,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
) -> Response:
    complaint, replayed = intake.open_or_replay(session, body, brand=brand, settings=settings)
    if replayed:  # the same create sent again: the case it opened, as it is now
        sent = _sent(detail(session, complaint), status_code=200)
        sent.headers["Idempotent-Replayed"] = "true"
        return sent
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out, status_code=201)


@router.get("/{complaint_id}", response_model=ComplaintDetail)
def get_complaint(
    complaint_id: int, session: DbSession, response: Response, brand: VisibleBrand
) -> ComplaintDetail:
    return detail(session, queries.get_complaint(session, complaint_id, brand=brand), response)


@router.post("/{complaint_id}/acknowledge", response_model=ComplaintDetail)
def acknowledge(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    complaint_id: int,
    body: ActorWrite,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
    if_match: IfMatch = None,
) -> Response:
    complaint = lifecycle.acknowledge_complaint(
        session, complaint_id, _with_version(body, if_match), brand=brand, settings=settings
    )
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out)


@router.post("/{complaint_id}/replies", response_model=ComplaintDetail)
def reply(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    complaint_id: int,
    body: ReplyCreate,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
    if_match: IfMatch = None,
) -> Response:
    complaint = lifecycle.reply_to_complaint(
        session, complaint_id, _with_version(body, if_match), brand=brand, settings=settings
    )
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out)


@router.post("/{complaint_id}/progress", response_model=ComplaintDetail)
def start_progress(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    complaint_id: int,
    body: ActorWrite,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
    if_match: IfMatch = None,
) -> Response:
    complaint = lifecycle.set_state(
        session,
        complaint_id,
        _with_version(body, if_match),
        ComplaintState.in_progress,
        brand=brand,
        settings=settings,
    )
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out)


@router.post("/{complaint_id}/waiting", response_model=ComplaintDetail)
def set_waiting(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    complaint_id: int,
    body: ActorWrite,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
    if_match: IfMatch = None,
) -> Response:
    complaint = lifecycle.set_state(
        session,
        complaint_id,
        _with_version(body, if_match),
        ComplaintState.waiting_on_customer,
        brand=brand,
        settings=settings,
    )
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out)


@router.post("/{complaint_id}/resolve", response_model=ComplaintDetail)
def resolve(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    complaint_id: int,
    body: ResolveRequest,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
    if_match: IfMatch = None,
) -> Response:
    complaint = lifecycle.resolve_complaint(
        session, complaint_id, _with_version(body, if_match), brand=brand, settings=settings
    )
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out)


@router.post("/{complaint_id}/close", response_model=ComplaintDetail)
def close(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    complaint_id: int,
    body: ActorWrite,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
    if_match: IfMatch = None,
) -> Response:
    complaint = lifecycle.set_state(
        session,
        complaint_id,
        _with_version(body, if_match),
        ComplaintState.closed,
        brand=brand,
        settings=settings,
    )
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out)


@router.post("/{complaint_id}/reopen", response_model=ComplaintDetail)
def reopen(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    complaint_id: int,
    body: ReopenRequest,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
    if_match: IfMatch = None,
) -> Response:
    complaint = lifecycle.reopen_complaint(
        session, complaint_id, _with_version(body, if_match), brand=brand, settings=settings
    )
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out)


@router.post("/{complaint_id}/transfer", response_model=ComplaintDetail)
def transfer(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    complaint_id: int,
    body: TransferRequest,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
    if_match: IfMatch = None,
) -> Response:
    complaint = ownership.transfer_complaint(
        session, complaint_id, _with_version(body, if_match), brand=brand, settings=settings
    )
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out)


@router.post("/{complaint_id}/severity", response_model=ComplaintDetail)
def regrade(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    complaint_id: int,
    body: SeverityChange,
    session: DbSession,
    settings: AppSettings,
    brand: ScopedBrand,
    if_match: IfMatch = None,
) -> Response:
    complaint = ownership.change_severity(
        session, complaint_id, _with_version(body, if_match), brand=brand, settings=settings
    )
    out = written_detail(session, complaint)
    session.commit()
    return _sent(out)

"""Opening a case: routing category × channel → team, the status token, the first clocks.

An agent opening the case owns it (首问负责制); otherwise the first agent to act does (see
lifecycle.claim_ownership).

A create that names the case (`source` + `external_id`) is idempotent: sent again with the
same content (a client retrying after a timeout) it returns the case it opened; with other
content, or naming a case an import brought in, it is refused (409), so a create never
changes or duplicates a case.
"""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustpulse.accounts import service as accounts
from trustpulse.accounts.models import Team
from trustpulse.clock import utcnow
from trustpulse.complaints.config import complaints_config, sla_config
from trustpulse.complaints.events import append_event, remember_log
from trustpulse.complaints.lifecycle import claim_ownership, require_user
from trustpulse.complaints.models import Complaint, ComplaintState
from trustpulse.complaints.notices import new_status_token
from trustpulse.complaints.schemas import ComplaintCreate
from trustpulse.complaints.sla_store import remember_targets, sync_sla
from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand, Customer
from trustpulse.errors import ConflictError, NotFoundError


def _route(session: Session, brand: Brand, data: ComplaintCreate, settings: Settings) -> int | None:
    if data.team_id is not None:
        team = accounts.get_team(session, data.team_id)
        if team.brand_id not in (None, brand.id):
            raise NotFoundError(f"team {data.team_id} not found", id=data.team_id)
        return team.id
    for rule in complaints_config(settings, brand.code).routing:
        if rule.category not in (None, data.category) or rule.channel not in (None, data.channel):
            continue
        return session.scalar(
            select(Team.id)
            .where(Team.name == rule.team, Team.brand_id.is_(None) | (Team.brand_id == brand.id))
            .order_by(Team.brand_id.is_(None))
        )
    return None


def open_complaint(
    session: Session, data: ComplaintCreate, *, brand: str, settings: Settings
) -> Complaint:
    """Open a case, route it to a team and start its SLA clocks; an agent opening it owns it.

    Written in three INSERTs (case; log entries; clock rows): the policy is matched before the
    case goes out, and the new log and clocks are held for the response (`known_log`).
    """
    brand_row = customers.get_brand(session, brand)
    if data.customer_id is not None:
        customer = session.get(Customer, data.customer_id)
        if customer is None or customer.brand_id != brand_row.id:
            raise NotFoundError(f"customer {data.customer_id} not found", field="customer_id")
    if data.actor_id is not None:
        require_user(session, data.actor_id)
    now = utcnow()
    text = "\n".join(t for t in (data.title, data.description) if t)
    complaint = Complaint(
        brand_id=brand_row.id,
        customer_id=data.customer_id,
        feedback_id=data.feedback_id,
        source=data.source,
        external_id=data.external_id or uuid.uuid4().hex,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        title=data.title,
        description=data.description,
        category=data.category,
        severity=data.severity,
        channel=data.channel,
        product=data.product,
        region=data.region,
        state=ComplaintState.new,
        team_id=_route(session, brand_row, data, settings),
        opened_at=now,
        status_token=new_status_token(),
        raw={"request_sha256": request_fingerprint(data)} if data.external_id else {},
        created_at=now,
        updated_at=now,
    )
    config = sla_config(settings, brand)
    session.add(complaint)
    session.flush()
    remember_log(session, complaint.id, [])
    remember_targets(session, complaint.id, [])
    append_event(
        session,
        complaint,
        "opened",
        at=now,
        actor_id=data.actor_id,
        to_state=ComplaintState.new,
        channel=data.channel,
    )
    claim_ownership(session, complaint, data.actor_id)
    sync_sla(session, complaint, config=config, now=now)
    return complaint


def open_or_replay(
    session: Session, data: ComplaintCreate, *, brand: str, settings: Settings
) -> tuple[Complaint, bool]:
    """`open_complaint`, or for a create that names its case and was sent before, the case it
    opened: (case, True). ConflictError when the name is taken by other content."""
    if data.external_id is None:
        return open_complaint(session, data, brand=brand, settings=settings), False
    opened = find_opened(session, data, brand=brand)
    if opened is not None:
        return opened, True
    try:
        with session.begin_nested():
            return open_complaint(session, data, brand=brand, settings=settings), False
    except IntegrityError:
        # the same create, sent twice at once: the other one committed first
        opened = find_opened(session, data, brand=brand)
        if opened is None:
            raise
        return opened, True


def find_opened(session: Session, data: ComplaintCreate, *, brand: str) -> Complaint | None:
    """The case a create naming (source, external_id) already opened in this brand, if any."""
    brand_row = customers.get_brand(session, brand)
    opened = session.scalar(
        select(Complaint).where(
            Complaint.brand_id == brand_row.id,
            Complaint.source == data.source,
            Complaint.external_id == data.external_id,
        )
    )
    if opened is None:
        return None
    if (opened.raw or {}).get("request_sha256") != request_fingerprint(data):
        raise ConflictError(
            f"complaint {data.source}/{data.external_id} already exists (#{opened.id}) and was "
            "not opened by this request: use another external_id, or work on that case",
            id=opened.id,
        )
    return opened


def request_fingerprint(data: ComplaintCreate) -> str:
    """What a retried create must repeat: every field of the request, as sent."""
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()

"""HTTP routes for after-care: promises, compensation, the closed loop, the customer's status
page and follow-up survey (by token, no login), contract credits and the case rules.

`router` shares the /complaints prefix with complaints/api.py's routes (trustpulse/api.py
lists it first) and, like every API route, wants a login while security is on.
`customer_router` (/complaints/status|followup/{token}) is the customer's own and stays open:
app.py includes it with the public routes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from trustpulse.clock import utcnow
from trustpulse.complaints import contracts, followup, loop, notices, promises, resolution, rules
from trustpulse.complaints.config import sla_config
from trustpulse.complaints.schemas import (
    CompensationCreate,
    CompensationOut,
    ComplaintOut,
    ContractSet,
    CreditExemption,
    LoopUpdate,
    PromiseCreate,
    PromiseOut,
    PromiseSettle,
    StatusPage,
    SurveyAnswer,
)
from trustpulse.config import Settings
from trustpulse.customers.access import VisibleBrand
from trustpulse.db import DbSession

router = APIRouter(prefix="/complaints", tags=["complaints"])
customer_router = APIRouter(prefix="/complaints", tags=["complaints", "customer"])  # no login


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


@customer_router.get("/status/{token}", response_model=StatusPage)
def status_page(token: str, session: DbSession) -> StatusPage:
    """The customer's view of a case: state, next step, promises (no internal notes)."""
    return notices.status_page(session, token)


@customer_router.get("/followup/{token}")
def followup_invitation(token: str, session: DbSession) -> dict[str, Any]:
    """Whether a follow-up link is still open (the form posts the answer to the same URL)."""
    invitation = followup.get_invitation(session, token)
    return {
        "complaint_id": invitation.complaint_id,
        "answered": invitation.used_at is not None,
        "expires_at": invitation.expires_at,
    }


@customer_router.post("/followup/{token}", status_code=201)
def answer_followup(
    token: str, body: SurveyAnswer, session: DbSession, settings: AppSettings
) -> dict[str, Any]:
    """Answer the follow-up survey once: CSAT 1–5, solved yes/no, optional NPS and comment."""
    feedback = followup.answer_survey(session, token, body, settings=settings)
    session.commit()
    return {"feedback_id": feedback.id, "solved": body.solved}


@router.post("/{complaint_id}/promises", status_code=201, response_model=PromiseOut)
def add_promise(
    complaint_id: int, body: PromiseCreate, session: DbSession, brand: VisibleBrand
) -> PromiseOut:
    promise = promises.add_promise(session, complaint_id, body, brand=brand)
    session.commit()
    return PromiseOut.model_validate(promise)


@router.post("/{complaint_id}/promises/{promise_id}/settle", response_model=PromiseOut)
def settle_promise(
    complaint_id: int,
    promise_id: int,
    body: PromiseSettle,
    session: DbSession,
    brand: VisibleBrand,
) -> PromiseOut:
    promise = promises.settle_promise(session, complaint_id, promise_id, body, brand=brand)
    session.commit()
    return PromiseOut.model_validate(promise)


@router.post("/{complaint_id}/compensations", status_code=201, response_model=CompensationOut)
def give_compensation(
    complaint_id: int,
    body: CompensationCreate,
    session: DbSession,
    settings: AppSettings,
    brand: VisibleBrand,
) -> CompensationOut:
    """Compensation by the matrix; outside its range or the agent's limit needs approved_by."""
    given = resolution.give_compensation(
        session, complaint_id, body, brand=brand, settings=settings
    )
    session.commit()
    return CompensationOut.model_validate(given)


@router.get("/reports/compensation-consistency")
def compensation_consistency(session: DbSession, brand: VisibleBrand) -> list[Any]:
    return list(resolution.consistency_report(session, brand=brand))


@router.post("/{complaint_id}/loop", response_model=ComplaintOut)
def link_action(
    complaint_id: int, body: LoopUpdate, session: DbSession, brand: VisibleBrand
) -> ComplaintOut:
    """Closed loop: link an improvement action, or say why none is needed."""
    complaint = loop.link_action(session, complaint_id, body, brand=brand)
    session.commit()
    return ComplaintOut.model_validate(complaint)


@router.put("/contracts/{customer_id}")
def set_contract(
    customer_id: int,
    body: ContractSet,
    session: DbSession,
    settings: AppSettings,
    brand: VisibleBrand,
) -> dict[str, Any]:
    row = contracts.set_contract(
        session,
        customer_id,
        brand=brand,
        contract=body.contract,
        monthly_fee=body.monthly_fee,
        currency=body.currency,
        config=sla_config(settings, brand),
    )
    session.commit()
    return {"customer_id": row.customer_id, "contract": row.contract}


@router.get("/credits")
def list_credits(
    session: DbSession,
    brand: VisibleBrand,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    since: datetime | None = None,
) -> list[Any]:
    """Service credits per customer and month (YYYY-MM in the brand's zone)."""
    return list(contracts.list_credits(session, brand=brand, period=period, since=since))


@router.post("/credits/{credit_id}/exempt")
def exempt_credit(
    credit_id: int, body: CreditExemption, session: DbSession, brand: VisibleBrand
) -> dict[str, Any]:
    """Waive a credit as force majeure (reason required, logged on the complaint)."""
    credit = contracts.exempt_credit(
        session, credit_id, brand=brand, reason=body.reason, actor_id=body.actor_id
    )
    session.commit()
    return {"id": credit.id, "force_majeure": credit.force_majeure}


@router.post("/rules/run")
def run_rules(session: DbSession, settings: AppSettings) -> dict[str, Any]:
    """Evaluate feedback not yet seen by the case rules (one batch; the job runs them all)."""
    run = rules.apply_rules(session, settings=settings, now=utcnow())
    session.commit()
    return {"evaluated": run.evaluated, "outcomes": run.outcomes, "complaints": run.complaint_ids}

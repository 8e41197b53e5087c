"""Contract SLAs: the contract's policy, credits per breach (capped per month), force majeure."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.complaints.conftest import Api, Desk, make_desk
from tests.factories import make_customer
from trustpulse.clock import ManualClock, utcnow
from trustpulse.complaints import contracts, intake
from trustpulse.complaints.cli import app
from trustpulse.complaints.config import sla_config
from trustpulse.complaints.escalation import run_sla_tick
from trustpulse.complaints.models import ComplaintSlaTarget, ServiceCredit
from trustpulse.complaints.schemas import ComplaintCreate
from trustpulse.config import Settings
from trustpulse.db import session_scope
from trustpulse.jobs.queue import InProcessBackend
from trustpulse.runtime import Runtime


def _breach_three(session: Session, settings: Settings, clock: ManualClock, brand: str) -> int:
    customer = make_customer(session, brand=brand, external_id="B2B-1")
    contracts.set_contract(
        session,
        customer.id,
        brand=brand,
        contract="enterprise_gold",
        monthly_fee=Decimal(1000),
        config=sla_config(settings, brand),
    )
    for i in range(3):
        case = intake.open_complaint(
            session,
            ComplaintCreate(title=f"down {i}", customer_id=customer.id),
            brand=brand,
            settings=settings,
        )
        clocks = session.scalars(
            select(ComplaintSlaTarget.policy).where(ComplaintSlaTarget.complaint_id == case.id)
        ).all()
        assert set(clocks) == {"contract_enterprise_gold"}
    clock.advance(timedelta(hours=9))
    run_sla_tick(session, settings=settings, now=utcnow())
    run_sla_tick(session, settings=settings, now=utcnow())
    return customer.id


def test_breaches_earn_credits_by_the_contract_rule_capped_per_month(
    session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    customer_id = _breach_three(session, settings, clock, "acme")
    amounts = session.scalars(
        select(ServiceCredit.amount)
        .where(ServiceCredit.customer_id == customer_id)
        .order_by(ServiceCredit.id)
    ).all()
    assert amounts == [Decimal("500.00"), Decimal("500.00"), Decimal("0.00")]
    (line,) = contracts.list_credits(session, brand="acme")
    assert (line.period, line.credits, line.amount) == ("2025-06", 3, Decimal(1000))


def test_force_majeure_needs_a_reason_and_is_logged(
    api: Api, session: Session, settings: Settings, desk: Desk, clock: ManualClock
) -> None:
    _breach_three(session, settings, clock, "acme")
    credit_id = session.scalars(select(ServiceCredit.id).order_by(ServiceCredit.id)).first()
    url = f"/api/complaints/credits/{credit_id}/exempt?brand=acme"
    assert api.client.post(url, json={"actor_id": desk.lead, "reason": ""}).status_code == 422
    body = {"actor_id": desk.lead, "reason": "typhoon closed the data centre"}
    assert api.client.post(url, json=body).json()["force_majeure"] is True
    assert api.client.post(url, json=body).status_code == 409
    (line,) = api.client.get("/api/complaints/credits?brand=acme").json()
    assert (line["credits"], line["exempt"], line["amount"]) == (2, 1, "500.00")
    credit = session.get(ServiceCredit, credit_id)
    assert credit is not None
    events = api.get(credit.complaint_id)["events"]
    logged = [e for e in events if e["kind"] == "credit_exempted"]
    assert [e["note"] for e in logged] == ["typhoon closed the data centre"]


def test_credits_are_listed_per_customer_and_period_on_the_cli(
    runtime: Runtime, jobs: InProcessBackend, clock: ManualClock
) -> None:
    with session_scope(runtime.session_factory) as session:
        make_desk(session, brand="default")
        _breach_three(session, runtime.settings, clock, "default")
    result = CliRunner().invoke(app, ["credits", "--json", "--period", "2025-06"])
    assert result.exit_code == 0, result.output
    (line,) = json.loads(result.stdout)
    assert (line["customer"], line["amount"], line["credits"]) == ("B2B-1", "1000.00", 3)

"""Contract SLAs: customers' contracts, service credits earned by breaches, force majeure.

A customer with a row in complaint_contracts runs on the contract's policy (sla.yaml
`contracts`, see sla_store.contract_policy). Each breach of a target the contract covers earns
one credit (unique per complaint × target × cycle, so a re-run earns nothing twice) computed by
the contract's rule and capped per customer and month (the month cut in the brand's zone). A
credit is waived only as force majeure, with a reason, and the exemption is logged as an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustpulse.accounts import service as accounts
from trustpulse.clock import utcnow
from trustpulse.complaints.config import SlaConfig
from trustpulse.complaints.events import append_event
from trustpulse.complaints.models import (
    Complaint,
    ComplaintContract,
    ComplaintSlaTarget,
    ServiceCredit,
)
from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand, Customer
from trustpulse.errors import ConflictError, InvalidInputError, NotFoundError

_CENT = Decimal("0.01")


def set_contract(
    session: Session,
    customer_id: int,
    *,
    brand: str,
    contract: str,
    monthly_fee: Decimal,
    config: SlaConfig,
    currency: str = "CNY",
) -> ComplaintContract:
    """Give a customer a contract named in sla.yaml (replaces the previous one)."""
    if contract not in config.contracts:
        raise InvalidInputError(f"sla.yaml has no contract {contract!r}", field="contract")
    brand_row = customers.get_brand(session, brand)
    customer = session.get(Customer, customer_id)
    if customer is None or customer.brand_id != brand_row.id:
        raise NotFoundError(f"customer {customer_id} not found", field="customer_id")
    row = session.scalar(
        select(ComplaintContract).where(ComplaintContract.customer_id == customer_id)
    )
    if row is None:
        row = ComplaintContract(customer_id=customer_id, created_at=utcnow())
        session.add(row)
    row.contract, row.monthly_fee, row.currency = contract, monthly_fee, currency
    session.flush()
    return row


def earn_credit(
    session: Session, complaint: Complaint, row: ComplaintSlaTarget, *, config: SlaConfig
) -> ServiceCredit | None:
    """Record the credit a breach earns under the customer's contract (None: no credit due)."""
    if complaint.customer_id is None or row.breached_at is None:
        return None
    contract = session.scalar(
        select(ComplaintContract).where(ComplaintContract.customer_id == complaint.customer_id)
    )
    terms = config.contracts.get(contract.contract) if contract is not None else None
    if contract is None or terms is None or row.target not in terms.credit.targets:
        return None
    zone = session.scalar(select(Brand.timezone).where(Brand.id == complaint.brand_id))
    period = row.breached_at.astimezone(ZoneInfo(zone or "Asia/Shanghai")).strftime("%Y-%m")
    rule = terms.credit
    amount = rule.value * contract.monthly_fee if rule.kind == "fee_share" else rule.value
    given = session.scalar(
        select(func.coalesce(func.sum(ServiceCredit.amount), 0)).where(
            ServiceCredit.customer_id == complaint.customer_id,
            ServiceCredit.period == period,
            ServiceCredit.force_majeure.is_(False),
        )
    )
    cap = rule.cap_share_per_month * contract.monthly_fee
    amount = max(Decimal(0), min(amount, cap - Decimal(given or 0))).quantize(_CENT)
    credit = ServiceCredit(
        complaint_id=complaint.id,
        customer_id=complaint.customer_id,
        contract=contract.contract,
        target=row.target.value,
        cycle=row.cycle,
        breached_at=row.breached_at,
        period=period,
        amount=amount,
        currency=contract.currency,
        force_majeure=False,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(credit)
    except IntegrityError:
        return None  # this breach already earned its credit
    append_event(
        session,
        complaint,
        "credit_earned",
        at=utcnow(),
        data={"target": row.target.value, "amount": str(amount), "period": period},
    )
    return credit


def exempt_credit(
    session: Session, credit_id: int, *, brand: str, reason: str, actor_id: int
) -> ServiceCredit:
    """Waive a credit as force majeure; the reason is required and logged on the complaint."""
    if not reason.strip():
        raise InvalidInputError("force majeure needs a reason", field="reason")
    accounts.get_user(session, actor_id)
    brand_row = customers.get_brand(session, brand)
    credit = session.get(ServiceCredit, credit_id)
    complaint = session.get(Complaint, credit.complaint_id) if credit is not None else None
    if credit is None or complaint is None or complaint.brand_id != brand_row.id:
        raise NotFoundError(f"service credit {credit_id} not found", id=credit_id)
    if credit.force_majeure:
        raise ConflictError(f"credit {credit_id} is already exempt", id=credit_id)
    credit.force_majeure, credit.exemption_reason, credit.exempted_by = True, reason, actor_id
    append_event(
        session,
        complaint,
        "credit_exempted",
        at=utcnow(),
        actor_id=actor_id,
        note=reason,
        data={"credit_id": credit.id, "amount": str(credit.amount), "force_majeure": True},
    )
    session.flush()
    return credit


@dataclass(frozen=True)
class CreditLine:
    customer_id: int
    customer: str
    period: str
    credits: int
    amount: Decimal
    exempt: int
    currency: str


def list_credits(
    session: Session,
    *,
    brand: str,
    period: str | None = None,
    since: datetime | None = None,
) -> list[CreditLine]:
    """Credits per customer and month (force-majeure exemptions counted, not summed)."""
    brand_row = customers.get_brand(session, brand)
    c = ServiceCredit
    query = (
        select(
            c.customer_id,
            Customer.external_id,
            c.period,
            c.currency,
            c.force_majeure,
            func.count(),
            func.coalesce(func.sum(c.amount), 0),
        )
        .join(Customer, Customer.id == c.customer_id)
        .where(Customer.brand_id == brand_row.id)
        .group_by(c.customer_id, Customer.external_id, c.period, c.currency, c.force_majeure)
    )
    if period is not None:
        query = query.where(c.period == period)
    if since is not None:
        query = query.where(c.breached_at >= since)
    lines: dict[tuple[int, str], CreditLine] = {}
    for customer_id, ext, month, currency, exempt, count, amount in session.execute(query):
        line = lines.get((customer_id, month)) or CreditLine(
            customer_id, ext, month, 0, Decimal(0), 0, currency
        )
        lines[(customer_id, month)] = CreditLine(
            customer_id,
            ext,
            month,
            line.credits + (0 if exempt else count),
            line.amount + (Decimal(0) if exempt else Decimal(amount)),
            line.exempt + (count if exempt else 0),
            currency,
        )
    return [lines[k] for k in sorted(lines, key=lambda k: (k[1], k[0]))]

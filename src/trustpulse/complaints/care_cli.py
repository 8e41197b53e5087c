"""`trustpulse complaints rules run`, `credits`, `contract`: case rules and contract SLAs."""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from typing import Annotated

import typer
from sqlalchemy import select

from trustpulse.accounts import service as accounts
from trustpulse.clock import utcnow
from trustpulse.complaints import contracts
from trustpulse.complaints.config import sla_config
from trustpulse.complaints.jobs import apply_rules_job
from trustpulse.customers import service as customers
from trustpulse.customers.models import Customer
from trustpulse.db import session_scope
from trustpulse.errors import NotFoundError
from trustpulse.imports.cli import BrandOpt
from trustpulse.runtime import get_runtime

rules_app = typer.Typer(no_args_is_help=True, help="Cases from feedback by rule.")
contract_app = typer.Typer(no_args_is_help=True, help="Contract SLAs of (B2B) customers.")


@rules_app.command("run")
def run_rules() -> None:
    """Run the case rules over every feedback not evaluated yet (idempotent)."""
    outcomes = apply_rules_job()
    typer.echo(json.dumps({"evaluated": sum(outcomes.values()), "outcomes": outcomes}))


def credits(
    brand: BrandOpt = None,
    period: Annotated[str | None, typer.Option(help="Month, YYYY-MM (brand's zone).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False,
) -> None:
    """Service credits earned by contract SLA breaches, per customer and month."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        lines = contracts.list_credits(session, brand=brand or "default", period=period)
    rows = [asdict(line) | {"amount": str(line.amount)} for line in lines]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        typer.echo("  ".join(f"{k}={v}" for k, v in row.items()))


@contract_app.command("set")
def set_contract(
    customer: Annotated[str, typer.Argument(help="Customer external id.")],
    contract: Annotated[str, typer.Argument(help="Contract name in sla.yaml.")],
    monthly_fee: Annotated[str, typer.Option(help="Monthly service fee.")] = "0",
    brand: BrandOpt = None,
) -> None:
    """Give a customer a contract SLA (its policy overrides the default)."""
    runtime, code = get_runtime(), brand or "default"
    with session_scope(runtime.session_factory) as session:
        brand_row = customers.get_brand(session, code)
        customer_id = session.scalar(
            select(Customer.id).where(
                Customer.brand_id == brand_row.id, Customer.external_id == customer
            )
        )
        if customer_id is None:
            raise NotFoundError(f"customer {customer!r} not found", customer=customer)
        contracts.set_contract(
            session,
            customer_id,
            brand=code,
            contract=contract,
            monthly_fee=Decimal(monthly_fee),
            config=sla_config(runtime.settings, code),
        )
    typer.echo(json.dumps({"customer": customer, "contract": contract}))


@contract_app.command("exempt")
def exempt(
    credit_id: Annotated[int, typer.Argument(help="Service credit id.")],
    actor: Annotated[str, typer.Option("--as", help="Username of the person exempting.")],
    reason: Annotated[str, typer.Option(help="The force-majeure reason (logged).")],
    brand: BrandOpt = None,
) -> None:
    """Waive a service credit as force majeure."""
    runtime = get_runtime()
    with session_scope(runtime.session_factory) as session:
        user = accounts.find_user_by_username(session, actor)
        if user is None:
            raise NotFoundError(f"user {actor!r} not found", username=actor)
        contracts.exempt_credit(
            session, credit_id, brand=brand or "default", reason=reason, actor_id=user.id
        )
    typer.echo(json.dumps({"credit_id": credit_id, "force_majeure": True, "at": str(utcnow())}))

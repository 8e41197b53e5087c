"""Typed factories for tests; they build through services where services exist."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.customers.models import Brand, Customer


def make_brand(session: Session, *, code: str = "acme", timezone: str = "Asia/Shanghai") -> Brand:
    brand = session.scalar(select(Brand).where(Brand.code == code))
    if brand is None:
        brand = Brand(code=code, name=code.title(), timezone=timezone)
        session.add(brand)
        session.flush()
    return brand


def make_customer(session: Session, *, brand: str = "acme", external_id: str = "C1") -> Customer:
    brand_row = make_brand(session, code=brand)
    customer = Customer(brand_id=brand_row.id, external_id=external_id, tier="regular")
    session.add(customer)
    session.flush()
    return customer

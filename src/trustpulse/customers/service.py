"""Brand and customer logic: the brand-scoped access functions every read goes through."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.customers.models import Brand, Customer
from trustpulse.errors import InvalidInputError, NotFoundError


def find_brand(session: Session, code: str) -> Brand | None:
    return session.scalar(select(Brand).where(Brand.code == code))


def get_brand(session: Session, code: str) -> Brand:
    """The brand with this code, or NotFoundError (also for brands the actor may not see)."""
    brand = find_brand(session, code)
    if brand is None:
        raise NotFoundError(f"brand {code!r} not found", brand=code)
    return brand


def list_brands(session: Session) -> list[Brand]:
    return list(session.scalars(select(Brand).order_by(Brand.code)))


def ensure_brand(
    session: Session, code: str, *, name: str | None = None, timezone: str = "Asia/Shanghai"
) -> Brand:
    """The brand with this code, created on first use (imports name brands that may be new)."""
    brand = find_brand(session, code)
    if brand is not None:
        return brand
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInputError(f"unknown time zone {timezone!r}", field="timezone") from exc
    brand = Brand(code=code, name=name or code, timezone=timezone)
    session.add(brand)
    session.flush()
    return brand


def customer_ids_by_external_id(
    session: Session, brand_id: int, external_ids: Iterable[str]
) -> dict[str, int]:
    """Map external customer ids to row ids, creating customers not seen before.

    Imports call this once per chunk, so the lookup is one query, not one per row.
    """
    wanted = sorted({e for e in external_ids if e})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 5000):
        batch: Sequence[str] = wanted[start : start + 5000]
        rows = session.execute(
            select(Customer.external_id, Customer.id).where(
                Customer.brand_id == brand_id, Customer.external_id.in_(batch)
            )
        )
        found.update({row[0]: row[1] for row in rows})
    missing = [e for e in wanted if e not in found]
    if missing:
        new = [Customer(brand_id=brand_id, external_id=e, attributes={}) for e in missing]
        session.add_all(new)
        session.flush()
        found.update({c.external_id: c.id for c in new})
    return found

"""Brand and customer logic: the brand-scoped access functions every read goes through."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC
from itertools import repeat
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from trustpulse.accounts.actors import SYSTEM, Actor
from trustpulse.customers.models import Brand
from trustpulse.db import utcnow
from trustpulse.errors import InvalidInputError, NotFoundError


def find_brand(session: Session, code: str) -> Brand | None:
    return session.scalar(_BRAND, {"code": code})


_BRAND = select(Brand).where(Brand.code == bindparam("code"))  # built once: read by every write


def get_brand(session: Session, code: str, *, actor: Actor = SYSTEM) -> Brand:
    """The brand with this code, or NotFoundError, also for a brand the actor may not see.

    Routes and pages pass the request's actor; internal callers (jobs, CLI, imports, and
    services handed a brand code a route has already checked) act as SYSTEM.
    """
    brand = find_brand(session, code) if actor.may_see(code) else None
    if brand is None:
        raise NotFoundError(f"brand {code!r} not found", brand=code)
    return brand


def list_brands(session: Session, *, actor: Actor = SYSTEM) -> list[Brand]:
    """The brands the actor may see, by code."""
    stmt = select(Brand).order_by(Brand.code)
    if actor.brands is not None:
        stmt = stmt.where(Brand.code.in_(sorted(actor.brands)))
    return list(session.scalars(stmt))


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

    Imports call this once per chunk: customers are inserted in bulk (`ON CONFLICT DO NOTHING`,
    so a concurrent import creating the same customer is harmless) and then looked up once.
    """
    wanted = sorted({e for e in external_ids if e})
    if not wanted:
        return {}
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        keys = json.dumps(wanted, ensure_ascii=False)  # one text: cheap to send, unlike text[]
        cursor.execute(
            "INSERT INTO customers (brand_id, external_id, is_business, attributes, created_at) "
            "SELECT %(brand)s::int, k, false, '{}'::jsonb, %(now)s::timestamptz "
            "FROM jsonb_array_elements_text(%(keys)s::jsonb) AS k "
            "ON CONFLICT (brand_id, external_id) DO NOTHING",
            {"brand": brand_id, "keys": keys, "now": now},
        )
        # One index probe per key: a join may make the planner hash all the brand's customers.
        cursor.execute(
            "SELECT c.external_id, c.id FROM jsonb_array_elements_text(%(keys)s::jsonb) AS k "
            "CROSS JOIN LATERAL (SELECT external_id, id FROM customers "
            "WHERE brand_id = %(brand)s::int AND external_id = k.value LIMIT 1) AS c",
            {"brand": brand_id, "keys": keys},
        )
        return dict(cursor.fetchall())
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    cursor.executemany(
        "INSERT INTO customers (brand_id, external_id, is_business, attributes, created_at) "
        "VALUES (?, ?, 0, '{}', ?) ON CONFLICT (brand_id, external_id) DO NOTHING",
        zip(repeat(brand_id), wanted, repeat(stamp)),
    )
    # the keys as one JSON parameter: the same statement text for every chunk
    cursor.execute(
        "SELECT c.external_id, c.id FROM json_each(?) AS k CROSS JOIN customers AS c "
        "WHERE c.brand_id = ? AND c.external_id = k.value",
        (json.dumps(wanted, ensure_ascii=False), brand_id),
    )
    return dict(cursor.fetchall())

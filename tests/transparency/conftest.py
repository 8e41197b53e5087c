"""Transparency fixtures: a brand with 2026Q3 complaints, a clock after that quarter, promises."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.accounts.service import ensure_user
from trustpulse.clock import ManualClock, use_clock
from trustpulse.complaints.models import Complaint, ComplaintPromise
from trustpulse.complaints.promises import add_promise, settle_promise
from trustpulse.complaints.schemas import PromiseCreate, PromiseSettle
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.transparency.service import publish_snapshot

# 2026-10-15 10:00 in Shanghai: 2026Q3 is over, 2026Q4 is running
NOW = datetime(2026, 10, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    manual = ManualClock(NOW)
    with use_clock(manual):
        yield manual


def add_complaint(
    session: Session, brand: Brand, n: int, opened_at: datetime, *, resolved: bool = True
) -> Complaint:
    """A complaint row with a 2-hour first response and, if resolved, 10-hour resolution."""
    complaint = Complaint(
        brand_id=brand.id,
        source="test",
        external_id=str(n),
        content_hash="x",
        channel="hotline",
        root_cause="courier_delay",
        raw={},
        opened_at=opened_at,
        first_response_at=opened_at + timedelta(hours=2),
        resolved_at=opened_at + timedelta(hours=10) if resolved else None,
    )
    session.add(complaint)
    session.flush()
    return complaint


def publish_with_correction(
    session: Session, settings: Settings, brand: Brand, clock: ManualClock, *, reason: str
) -> None:
    """Publish 2026Q3 (3 complaints), import one more for it, and 5 days later publish a
    correction (version 2, 4 complaints) with `reason`."""
    publish_snapshot(session, settings=settings, brand=brand.code, quarter="2026Q3")
    add_complaint(session, brand, 9, datetime(2026, 9, 29, 2, tzinfo=UTC))
    clock.advance(timedelta(days=5))
    publish_snapshot(
        session,
        settings=settings,
        brand=brand.code,
        quarter="2026Q3",
        correct=True,
        reason=reason,
    )


@pytest.fixture
def acme(session: Session) -> Brand:
    """Brand acme with three complaints in 2026Q3 (one unresolved) and one in 2026Q2."""
    brand = make_brand(session, code="acme")
    add_complaint(session, brand, 1, datetime(2026, 7, 2, 2, tzinfo=UTC))
    add_complaint(session, brand, 2, datetime(2026, 8, 3, 2, tzinfo=UTC))
    add_complaint(session, brand, 3, datetime(2026, 9, 20, 2, tzinfo=UTC), resolved=False)
    add_complaint(session, brand, 4, datetime(2026, 5, 20, 2, tzinfo=UTC))
    return brand


def promise(
    session: Session, complaint: Complaint, due_at: datetime, *, kept: bool | None
) -> ComplaintPromise:
    """A promise on the complaint due at `due_at`, made through the complaints service and then
    settled kept (True) or broken (False), or left open (None)."""
    agent = ensure_user(session, "Li Wei")
    made = add_promise(
        session,
        complaint.id,
        PromiseCreate(actor_id=agent.id, text="call back", due_at=due_at),
        brand="acme",
    )
    if kept is None:
        return made
    return settle_promise(
        session, complaint.id, made.id, PromiseSettle(actor_id=agent.id, kept=kept), brand="acme"
    )

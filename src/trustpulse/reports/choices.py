"""The values the dashboard's filters offer for one brand: its channels and customer segments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.customers import service as customers
from trustpulse.customers.models import Customer
from trustpulse.feedback.models import Channel


@dataclass(frozen=True)
class ChannelChoice:
    code: str
    name_en: str
    name_zh: str


def filter_choices(session: Session, *, brand: str) -> tuple[list[ChannelChoice], list[str]]:
    """(channels from the catalogue, the brand's customer segments); NotFoundError if unknown."""
    brand_row = customers.get_brand(session, brand)
    channels = [
        ChannelChoice(c.code, c.name_en, c.name_zh)
        for c in session.scalars(select(Channel).order_by(Channel.code))
    ]
    segments = sorted(
        s
        for s in session.scalars(
            select(Customer.segment)
            .where(Customer.brand_id == brand_row.id, Customer.segment.is_not(None))
            .distinct()
        )
        if s
    )
    return channels, segments

"""Generated survey data for the metrics tests: two brands (Shanghai, New York with DST)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.config import get_settings
from trustpulse.customers.models import Customer
from trustpulse.db import session_scope
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics.cli import register
from trustpulse.runtime import Runtime

ITEMS = ("tp_product_quality", "tp_hotline_wait", "tp_loyalty_program", "tp_price_transparency")
ZONES = {"acme": "Asia/Shanghai", "west": "America/New_York"}


def insert_surveys(session: Session, *, seed: int = 7, n: int = 360) -> pd.DataFrame:
    """Survey feedback with scores, written through the ORM; returns the same rows for pandas.

    Times run 2026-02-20 ... 2026-04-10 (a month end, a quarter end and New York's DST switch
    on 2026-03-08), a tenth of them within a minute of a local midnight.
    """
    rng = np.random.default_rng(seed)
    brands = {code: make_brand(session, code=code, timezone=zone) for code, zone in ZONES.items()}
    customers: dict[str, list[Customer]] = {}
    for code, brand in brands.items():
        customers[code] = [
            Customer(
                brand_id=brand.id,
                external_id=f"{code}-{i}",
                tier=str(rng.choice(["vip", "gold", "regular"])),
                region=str(rng.choice(["north", "south"])) if i % 7 else None,
                segment=str(rng.choice(["family", "business"])),
                attributes={},
            )
            for i in range(25)
        ]
        session.add_all(customers[code])
    session.flush()
    start = datetime(2026, 2, 20, tzinfo=UTC)
    records = []
    pending: list[tuple[Feedback, dict[str, float | None]]] = []
    for i in range(n):
        code = str(rng.choice(list(ZONES)))
        at = start + timedelta(seconds=int(rng.integers(0, 49 * 86400)))
        if i % 10 == 0:  # right around local midnight: 16:00 UTC (Shanghai), 04/05:00 UTC (NY)
            hour = 16 if code == "acme" else int(rng.choice([4, 5]))
            at = at.replace(hour=hour, minute=0, second=0) + timedelta(
                seconds=int(rng.choice([-30, 0, 30]))
            )
        anonymous = rng.random() < 0.05
        customer = None if anonymous else customers[code][int(rng.integers(0, 25))]
        feedback = Feedback(
            brand_id=brands[code].id,
            customer_id=None if customer is None else customer.id,
            kind=FeedbackKind.survey,
            channel=str(rng.choice(["email", "sms"])),
            touchpoint=str(rng.choice(["delivery", "service"])) if i % 3 else None,
            occurred_at=at,
            product=str(rng.choice(["P1", "P2"])) if i % 5 else None,
            region=str(rng.choice(["east", "west"])) if i % 4 == 0 else None,
            source="test",
            external_id=f"s{i}",
            content_hash="h",
            raw={},
        )
        values: dict[str, float | None] = {
            "nps": float(rng.integers(0, 11)),
            "csat": float(rng.integers(1, 6)) if rng.random() < 0.9 else None,
            "ces": float(rng.integers(1, 8)) if rng.random() < 0.8 else None,
        }
        for item in ITEMS:
            values[item] = float(rng.integers(0, 11)) if rng.random() < 0.75 else None
        session.add(feedback)
        pending.append((feedback, values))
        records.append(
            {
                "brand": code,
                "tz": ZONES[code],
                "at": pd.Timestamp(at),
                "channel": feedback.channel,
                "touchpoint": feedback.touchpoint,
                "product": feedback.product,
                "region": feedback.region or (customer.region if customer is not None else None),
                "segment": None if customer is None else customer.segment,
                "tier": None if customer is None else customer.tier,
                "cluster": None if customer is None else customer.id,
                **values,
            }
        )
    session.flush()  # assigns the feedback ids the scores point to
    session.add_all(
        Score(feedback_id=f.id, metric=m, value=v)
        for f, values in pending
        for m, v in values.items()
        if v is not None
    )
    session.flush()
    frame = pd.DataFrame.from_records(records)
    ids = pd.Series([-f.id for f, _ in pending])  # anonymous feedback: its own cluster
    frame["cluster"] = frame["cluster"].where(frame["cluster"].notna(), ids)
    return frame


def add_late_response(session: Session, *, nps: float) -> Feedback:
    """One more survey answer (2026-03-15) for a brand that has feedback: new data after a build."""
    brand_id = session.scalars(select(Feedback.brand_id).limit(1)).one()
    feedback = Feedback(
        brand_id=brand_id,
        kind=FeedbackKind.survey,
        channel="email",
        occurred_at=datetime(2026, 3, 15, 4, tzinfo=UTC),
        source="test",
        external_id="late",
        content_hash="h",
        raw={},
    )
    session.add(feedback)
    session.flush()
    session.add(Score(feedback_id=feedback.id, metric="nps", value=nps))
    session.flush()
    return feedback


@pytest.fixture
def surveys(session: Session) -> pd.DataFrame:
    from tests.metrics.reference import add_periods  # noqa: PLC0415 -- test helper module

    return add_periods(insert_surveys(session))


@contextmanager
def metrics_cli(runtime: Runtime, *, n: int) -> Iterator[tuple[typer.Typer, dict[str, str]]]:
    """A root Typer with the metrics commands, n surveys committed, and the env pointing at them."""
    with session_scope(runtime.session_factory) as session:
        insert_surveys(session, n=n)
    root = typer.Typer()

    @root.command()
    def version() -> None:
        """A second command, so the root is a group like `trustpulse`."""

    register(root)
    get_settings.cache_clear()
    try:
        yield (
            root,
            {
                "TRUSTPULSE_HOME": str(runtime.settings.home),
                "TRUSTPULSE_DATABASE_URL": runtime.settings.effective_database_url,
            },
        )
    finally:
        get_settings.cache_clear()

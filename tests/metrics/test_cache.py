"""The result cache: the same numbers as the engine, forgotten when the data changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.metrics import cache
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.models import KpiMeasure
from trustpulse.metrics.query import Slice
from trustpulse.metrics.rollups import build_rollups


def test_cached_metric_equals_the_engine_and_is_reused(
    session: Session, settings: Settings, surveys: pd.DataFrame
) -> None:
    flt = Slice(brand="acme")
    expected = compute_metric(session, "trust_index", settings=settings, by=["month"], flt=flt)
    first = cache.cached_metric(session, "trust_index", settings=settings, by=["month"], flt=flt)
    entries = cache.entries()
    again = cache.cached_metric(session, "trust_index", settings=settings, by=["month"], flt=flt)
    assert first == expected == again
    assert cache.entries() == entries


def test_new_data_is_seen_at_once(
    session: Session, settings: Settings, surveys: pd.DataFrame
) -> None:
    flt = Slice(brand="acme")
    before = cache.cached_metric(session, "trust_index", settings=settings, by=[], flt=flt)
    brand_id = session.query(Brand.id).filter(Brand.code == "acme").scalar()
    session.add(
        KpiMeasure(
            brand_id=brand_id,
            metric="defect_rate",
            scope="all",
            period="2026-03",
            period_start=datetime(2026, 2, 28, 16, tzinfo=UTC),
            value=3.0,
            content_hash="h",
            raw={},
        )
    )
    session.flush()
    after = cache.cached_metric(session, "trust_index", settings=settings, by=[], flt=flt)
    assert after == compute_metric(session, "trust_index", settings=settings, flt=flt)
    assert after != before


def test_rollups_are_used_only_while_fresh(
    session: Session, settings: Settings, surveys: pd.DataFrame
) -> None:
    assert not cache.rollups_fresh(session)  # never built
    build_rollups(session)
    assert cache.rollups_fresh(session)
    rows = cache.cached_metric(session, "nps", settings=settings, by=["month"], flt=Slice())
    assert rows == compute_metric(session, "nps", settings=settings, by=["month"])

"""Real data: Women's Clothing reviews as a proxy survey (CSAT from the 1-5 rating)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.config import Settings
from trustpulse.feedback.models import Feedback, Score
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.proportions import wilson_interval

pytestmark = pytest.mark.shared_data


def test_csat_by_department_equals_pandas_with_wilson_interval(
    session: Session, settings: Settings, shared_data: Path
) -> None:
    path = shared_data / "womens_clothing_ecommerce_reviews" / "womens_clothing_reviews.csv.gz"
    if not path.is_file():
        pytest.skip("women's clothing reviews not present")
    frame = pd.read_csv(path, usecols=["row_id", "Rating", "Department Name"])
    frame = frame[frame["Rating"].notna()].reset_index(drop=True)
    brand = make_brand(session, code="wc")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    departments = pd.Series(
        [None if pd.isna(d) else str(d) for d in frame["Department Name"]], dtype=object
    )
    ids = (
        session.execute(
            insert(Feedback).returning(Feedback.id, sort_by_parameter_order=True),
            [
                {
                    "brand_id": brand.id,
                    "kind": "review",
                    "channel": "web",
                    "occurred_at": start + timedelta(minutes=int(i)),
                    "product": dept,
                    "source": "wc",
                    "external_id": str(row_id),
                    "content_hash": "h",
                    "raw": {},
                }
                for i, (row_id, dept) in enumerate(zip(frame["row_id"], departments, strict=True))
            ],
        )
        .scalars()
        .all()
    )
    session.execute(
        insert(Score),
        [
            {"feedback_id": fid, "metric": "csat", "value": float(rating)}
            for fid, rating in zip(ids, frame["Rating"], strict=True)
        ],
    )
    rows = compute_metric(session, "csat", settings=settings, by=["product"])
    got = {r["group"]["product"]: r for r in rows}  # type: ignore[index]
    for dept, g in frame.groupby(departments.fillna("<none>")):
        key = None if dept == "<none>" else dept
        satisfied, n = int((g["Rating"] >= 4).sum()), len(g)
        low, high = wilson_interval(satisfied, n)
        assert got[key]["n"] == n
        assert got[key]["value"] == pytest.approx(100.0 * satisfied / n)
        assert got[key]["ci_low"] == pytest.approx(100.0 * low)
        assert got[key]["ci_high"] == pytest.approx(100.0 * high)
    overall = compute_metric(session, "csat", settings=settings)[0]
    assert overall["n"] == len(frame)
    assert overall["value"] == pytest.approx(100.0 * (frame["Rating"] >= 4).mean())

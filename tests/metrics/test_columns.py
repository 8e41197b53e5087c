"""The columnar copy answers exactly what the SQL slices answer (both databases), stays exact
after new and changed feedback, and survives the round trip to disk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.metrics.conftest import ITEMS, add_late_response
from trustpulse.customers.models import Brand
from trustpulse.feedback.models import Feedback, Score
from trustpulse.metrics import columns
from trustpulse.metrics.drivers import _response_matrix
from trustpulse.metrics.query import (
    ItemTotals,
    Slice,
    brands_in_scope,
    customer_item_totals,
    customer_sentiment_totals,
)
from trustpulse.metrics.rollup_models import CustomerSegment
from trustpulse.text.models import FeedbackAnalysis

METRICS = ["nps", "csat", *ITEMS]
DIMENSIONS = ["delivery_logistics", "product_reliability", "information_transparency"]
SLICES = [
    ([], Slice()),
    (["brand"], Slice()),
    (["brand", "month"], Slice()),
    (["week"], Slice(brand="west")),  # New York: the DST switch falls inside
    (["day", "channel"], Slice(brand="acme", since=date(2026, 3, 1), until=date(2026, 3, 31))),
    (["quarter", "tier"], Slice(channel="sms")),
    (["region", "segment"], Slice(brand="acme")),
    (["trust_type", "value_tier"], Slice(brand="acme")),
    (["product"], Slice(where={"touchpoint": ["delivery"], "kind": ["survey"]})),
    (["segment", "month"], Slice(brand="west", channel="email", since=date(2026, 3, 8))),
    ([], Slice(brand="acme", channel="no-such-channel")),
    (["month", "channel"], Slice(where={"segment": ["family"], "touchpoint": ["service"]})),
]


def _analyse(session: Session) -> None:
    """Aspect mentions on a third of the feedback, and trust types for some customers."""
    rng = np.random.default_rng(3)
    feedback = session.scalars(select(Feedback).order_by(Feedback.id)).all()
    for f in feedback[::3]:
        mentions = [
            {
                "aspect": "x",
                "dimension": str(rng.choice(DIMENSIONS)),
                "sentiment_label": str(rng.choice(["positive", "negative", "neutral"])),
            }
            for _ in range(int(rng.integers(0, 3)))
        ]
        session.add(
            FeedbackAnalysis(
                feedback_id=f.id,
                language="zh",
                sentiment_label="neutral",
                sentiment_score=0.0,
                redacted_text="…",
                aspects=[*mentions, {"aspect": "no dimension"}],
                model_version="test",
                text_hash="h",
            )
        )
    brand = session.scalars(select(Brand).where(Brand.code == "acme")).one()
    customers = {f.customer_id for f in feedback if f.customer_id and f.brand_id == brand.id}
    for i, customer in enumerate(sorted(customers)[::2]):
        session.add(
            CustomerSegment(
                customer_id=customer,
                brand_id=brand.id,
                trust_type=["advocate", "sceptic"][i % 2],
                value_tier=["high", "low"][i % 3 == 0],
                reasons={},
            )
        )
    session.flush()


Groups = dict[tuple[str | None, ...], ItemTotals]


def _same(got: Groups, want: Groups) -> None:
    assert got.keys() == want.keys()
    for key, totals in want.items():
        mine = got[key]
        assert mine.customers == totals.customers, key
        np.testing.assert_allclose(mine.sums, totals.sums, rtol=1e-12)
        np.testing.assert_array_equal(mine.counts, totals.counts)


@pytest.mark.parametrize(("by", "flt"), SLICES)
def test_columns_equal_the_sql_slices(
    session: Session, surveys: pd.DataFrame, by: list[str], flt: Slice
) -> None:
    _analyse(session)
    want_items = customer_item_totals(session, METRICS, by=by, flt=flt)
    want_text = customer_sentiment_totals(session, DIMENSIONS, by=by, flt=flt)
    built = columns.build(session)
    brands = brands_in_scope(session, flt)
    _same(built.item_totals(METRICS, by=by, flt=flt, brands=brands), want_items)
    _same(built.sentiment_totals(DIMENSIONS, by=by, flt=flt, brands=brands), want_text)
    assert want_items or flt.channel == "no-such-channel"  # the slices are not all empty


def test_response_matrix_equals_the_sql_pivot(session: Session, surveys: pd.DataFrame) -> None:
    flt = Slice(brand="acme", since=date(2026, 3, 1))
    brands = brands_in_scope(session, flt)
    want = _response_matrix(session, "nps", list(ITEMS), flt, brands)
    built = columns.build(session)
    got = built.response_matrix("nps", list(ITEMS), flt=flt, brands=brands)
    assert len(want) > 50
    np.testing.assert_array_equal(got, want)


def test_changes_after_a_build_are_merged(
    session: Session, surveys: pd.DataFrame, tmp_path: Path
) -> None:
    _analyse(session)
    columns.refresh(session, tmp_path)
    by, flt = ["month", "channel"], Slice(brand="acme")
    # new feedback, a changed score, a re-analysed text
    add_late_response(session, nps=0.0)
    changed = session.scalars(select(Feedback).order_by(Feedback.id).limit(1)).one()
    session.execute(
        update(Score)
        .where(Score.feedback_id == changed.id, Score.metric == "nps")
        .values(value=10.0)
    )
    session.execute(
        update(Feedback)
        .where(Feedback.id == changed.id)
        .values(updated_at=datetime.now(UTC) + timedelta(seconds=5), channel="web")
    )
    analysis = session.scalars(select(FeedbackAnalysis).limit(1)).one()
    analysis.aspects = [
        {"aspect": "y", "dimension": "new_dimension", "sentiment_label": "positive"}
    ]
    analysis.analysed_at = datetime.now(UTC) + timedelta(seconds=5)
    session.flush()

    merged = columns.current(session)
    assert merged is not None
    assert merged.stamp.same_data(columns.read_stamp(session))
    assert "web" in merged.vocab["channel"]
    brands = brands_in_scope(session, flt)
    got_items = merged.item_totals(METRICS, by=by, flt=flt, brands=brands)
    got_text = merged.sentiment_totals(
        [*DIMENSIONS, "new_dimension"], by=by, flt=flt, brands=brands
    )
    columns.forget()
    columns.use_home(columns.database_of(session), tmp_path / "elsewhere")  # no build there
    assert columns.current(session) is None
    _same(got_items, customer_item_totals(session, METRICS, by=by, flt=flt))
    _same(
        got_text,
        customer_sentiment_totals(session, [*DIMENSIONS, "new_dimension"], by=by, flt=flt),
    )


def test_the_sql_path_answers_through_the_columns_once_built(
    session: Session, surveys: pd.DataFrame, tmp_path: Path
) -> None:
    by, flt = ["segment"], Slice(brand="acme", since=date(2026, 3, 1))
    want = customer_item_totals(session, METRICS, by=by, flt=flt)
    saved = columns.refresh(session, tmp_path)
    assert isinstance(saved.values, np.memmap)  # mapped from disk, shared by processes
    in_use = columns.current(session)
    assert in_use is not None
    assert in_use.parts[0][0] is saved
    # answered by the columns: a score changed behind their back (no stamp moves) shows it
    session.execute(update(Score).where(Score.metric == "nps").values(value=-1.0))
    assert customer_item_totals(session, METRICS, by=by, flt=flt).keys() == want.keys()
    got = customer_item_totals(session, METRICS, by=by, flt=flt)
    _same(got, want)


def test_a_segment_rebuild_sends_queries_back_to_sql(
    session: Session, surveys: pd.DataFrame, tmp_path: Path
) -> None:
    columns.refresh(session, tmp_path)
    _analyse(session)  # writes customer segments: the build no longer knows who is where
    assert columns.current(session) is None


def test_too_many_changes_send_queries_back_to_sql(
    session: Session, surveys: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    columns.refresh(session, tmp_path)
    add_late_response(session, nps=5.0)
    monkeypatch.setattr(columns, "DELTA_LIMIT", 0)
    assert columns.current(session) is None
    monkeypatch.setattr(columns, "DELTA_LIMIT", 1)
    assert columns.current(session) is not None


def test_a_saved_build_loads_in_another_process(
    session: Session, surveys: pd.DataFrame, tmp_path: Path
) -> None:
    built = columns.build(session)
    where = columns.folder(tmp_path, columns.database_of(session))
    columns.save(built, where)
    columns.save(built, where)  # again: replaces, and leaves one build
    loaded = columns.load(where)
    assert loaded is not None
    assert loaded.stamp == built.stamp
    assert len([p for p in where.iterdir() if p.is_dir()]) == 1
    np.testing.assert_array_equal(loaded.values, built.values)
    assert loaded.vocab == built.vocab
    assert loaded.metrics == built.metrics
    assert columns.load(tmp_path / "nothing") is None


def test_deleted_feedback_sends_queries_back_to_sql(
    session: Session, surveys: pd.DataFrame, tmp_path: Path
) -> None:
    """As when the demo is loaded again: rows deleted, others written (SQLite reuses ids)."""
    columns.refresh(session, tmp_path)
    first = session.scalars(select(Feedback).order_by(Feedback.id).limit(1)).one()
    session.delete(first)
    session.flush()
    add_late_response(session, nps=5.0)
    assert columns.current(session) is None

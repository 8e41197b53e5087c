"""Trust-index leaves from text sentiment (aspect mentions) and complaint facts, exact values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_brand
from trustpulse.complaints.models import (
    Complaint,
    ComplaintPromise,
    ComplaintSlaTarget,
    PromiseStatus,
    SlaStatus,
    SlaTarget,
)
from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.customers.models import Customer
from trustpulse.errors import ConfigError
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.query import Slice
from trustpulse.metrics.schemas import TrustIndexConfig
from trustpulse.text.models import FeedbackAnalysis

TREE = """
missing_leaf_policy: {policy}
dimensions:
  - code: service
    name_en: Service
    name_zh: 服务
    weight: 0.5
    leaves:
      - {{name: svc, source: sentiment, metric: service_responsiveness, normalise: natural}}
      - {{name: first, source: complaints, metric: first_response_attainment, bad: 0.5, good: 1}}
  - code: integrity
    name_en: Integrity
    name_zh: 诚信
    weight: 0.5
    leaves:
      - {{name: promises, source: complaints, metric: broken_promise_rate, bad: 0.3, good: 0.0}}
      - {{name: owned, source: complaints, metric: resolution_attainment, bad: 0.5, good: 1.0}}
"""
MARCH = datetime(2026, 3, 10, 2, tzinfo=UTC)
APRIL = datetime(2026, 4, 10, 2, tzinfo=UTC)


def _settings(settings: Settings, tmp_path: Path, policy: str) -> Settings:
    (tmp_path / "trust_index.yaml").write_text(TREE.format(policy=policy), encoding="utf-8")
    return settings.model_copy(update={"config_dir": tmp_path})


def _text(
    session: Session, customer: Customer, at: datetime, aspects: list[tuple[str, str]]
) -> None:
    feedback = Feedback(
        brand_id=customer.brand_id,
        customer_id=customer.id,
        kind=FeedbackKind.review,
        channel="app",
        occurred_at=at,
        source="test",
        external_id=f"t{at.isoformat()}{customer.id}{len(aspects)}",
        content_hash="h",
        raw={},
    )
    session.add(feedback)
    session.flush()
    session.add(
        FeedbackAnalysis(
            feedback_id=feedback.id,
            language="zh",
            sentiment_label="neutral",
            sentiment_score=0.0,
            redacted_text="…",
            aspects=[
                {"aspect": "a", "dimension": d, "sentiment_label": label, "sentiment_score": 0.9}
                for d, label in aspects
            ],
            model_version="test",
            text_hash="h",
        )
    )


def _complaint(
    session: Session,
    brand_id: int,
    n: int,
    at: datetime,
    *,
    first_response_met: bool,
    resolution_met: bool | None = None,
    promises: tuple[PromiseStatus, ...] = (),
) -> None:
    complaint = Complaint(
        brand_id=brand_id,
        source="test",
        external_id=str(n),
        content_hash="x",
        channel="hotline",
        opened_at=at,
        raw={},
    )
    session.add(complaint)
    session.flush()
    targets = [(SlaTarget.first_response, first_response_met)]
    if resolution_met is not None:
        targets.append((SlaTarget.resolution, resolution_met))
    for target, met in targets:
        session.add(
            ComplaintSlaTarget(
                complaint_id=complaint.id,
                target=target,
                policy="p",
                calendar="24x7",
                target_seconds=3600,
                started_at=at,
                due_at=at + timedelta(hours=1),
                breached_at=None if met else at + timedelta(hours=1),
                status=SlaStatus.fulfilled if met else SlaStatus.active,
            )
        )
    for status in promises:
        session.add(
            ComplaintPromise(complaint_id=complaint.id, text="call back", due_at=at, status=status)
        )


@pytest.fixture
def evidence(session: Session) -> None:
    brand = make_brand(session, code="acme")
    one, two = (Customer(brand_id=brand.id, external_id=f"c{i}", attributes={}) for i in range(2))
    session.add_all([one, two])
    session.flush()
    # March: service mentions positive, negative (customer one), positive, positive (two) -> 3/4;
    # the product_reliability mention belongs to no leaf here
    _text(
        session,
        one,
        MARCH,
        [("service_responsiveness", "positive"), ("product_reliability", "negative")],
    )
    _text(session, one, MARCH + timedelta(days=1), [("service_responsiveness", "negative")])
    _text(session, two, MARCH, [("service_responsiveness", "positive")] * 2)
    _text(session, two, APRIL, [("service_responsiveness", "neutral")])
    kept, broken = PromiseStatus.kept, PromiseStatus.broken
    # March: first response met 2 of 3, resolution met 2 of 2, promises broken 1 of 4
    _complaint(
        session,
        brand.id,
        1,
        MARCH,
        first_response_met=True,
        resolution_met=True,
        promises=(kept, kept),
    )
    _complaint(
        session,
        brand.id,
        2,
        MARCH,
        first_response_met=False,
        resolution_met=True,
        promises=(kept, broken),
    )
    _complaint(session, brand.id, 3, MARCH, first_response_met=True, promises=(PromiseStatus.open,))
    # April: first response missed once, nothing else decided
    _complaint(session, brand.id, 4, APRIL, first_response_met=False)
    session.flush()


@pytest.mark.usefixtures("evidence")
def test_sentiment_and_complaint_leaves_by_month(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    local = _settings(settings, tmp_path, "reweight")
    rows = compute_metric(session, "trust_index", settings=local, by=["month"], flt=Slice())
    march, april = rows
    assert march["group"] == {"month": "2026-03"}
    # service: sentiment 75 points, first response (2/3 - 0.5) / 0.5 -> 33.33 points
    # integrity: broken 0.25 on bad 0.3 .. good 0 -> 16.67 points, resolution 1.0 -> 100 points
    service, integrity = (75 + 100 / 3) / 2, (50 / 3 + 100) / 2
    assert march["dimensions"] == pytest.approx({"service": service, "integrity": integrity})
    assert march["value"] == pytest.approx((service + integrity) / 2)
    assert march["n"] == 2  # customers with evidence that is resampled
    # only the sentiment leaf is resampled (customer one: 1 of 2 positive, two: 2 of 2):
    # resamples give 50, 75 or 100 sentiment points, complaint leaves stay fixed
    assert march["ci_low"] == pytest.approx(((50 + 100 / 3) / 2 + integrity) / 2)
    assert march["ci_high"] == pytest.approx(((100 + 100 / 3) / 2 + integrity) / 2)
    # April: sentiment 0 of 1, first response 0 of 1; no promise or resolution decided
    assert april["dimensions"] == {"service": 0.0, "integrity": None}
    assert april["value"] == 0.0
    assert april["missing_leaves"] == ["promises", "owned"]


@pytest.mark.usefixtures("evidence")
def test_incomplete_policy_with_missing_complaint_facts(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    local = _settings(settings, tmp_path, "incomplete")
    rows = compute_metric(
        session,
        "trust_index",
        settings=local,
        by=[],
        flt=Slice(brand="acme", since=APRIL.date(), until=APRIL.date()),
    )
    (row,) = rows
    assert (row["value"], row["incomplete"]) == (None, True)
    assert row["missing_leaves"] == ["promises", "owned"]


@pytest.mark.usefixtures("evidence")
def test_default_index_takes_sentiment_and_complaints_without_surveys(
    session: Session, settings: Settings
) -> None:
    rows = compute_metric(
        session, "trust_index", settings=settings, by=["month"], flt=Slice(brand="acme")
    )
    march = rows[0]
    assert march["dimensions"]["service_responsiveness"] == pytest.approx(  # type: ignore[index]
        (75 + 100 / 3) / 2  # sentiment and first-response leaves, equal leaf weights
    )
    assert "sentiment_responsibility" in march["missing_leaves"]  # type: ignore[operator]


def test_complaint_leaf_names_a_known_complaint_metric(settings: Settings, tmp_path: Path) -> None:
    bad = TREE.format(policy="reweight").replace("broken_promise_rate", "broken_promises")
    (tmp_path / "trust_index.yaml").write_text(bad, encoding="utf-8")
    local = settings.model_copy(update={"config_dir": tmp_path})
    with pytest.raises(ConfigError, match=r"trust_index.yaml line 16: .*unknown complaint metric"):
        load_config("trust_index", TrustIndexConfig, settings=local)

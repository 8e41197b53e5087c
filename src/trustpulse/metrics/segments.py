"""Customer segments: trust types (explainable rules) and value tiers (RFM), stored per customer.

Trust types come from three kinds of evidence per customer, all over their whole history:
- trust: the mean of their trust-dimension items (dim_*), rescaled to 0-100;
- voice: complaints they opened plus their texts analysed as negative (feedback_analysis);
- behaviour: their orders in the RFM window.
Rules (thresholds named in segments.yaml), the first that matches wins:
  vocal_critic  trust < at_risk_max_trust (or no trust answers) and negative voices >=
                critic_min_negative_voices
  at_risk       trust < at_risk_max_trust, or negative share of analysed texts >=
                at_risk_min_negative_share
  advocate      trust >= advocate_min_trust, orders >= advocate_min_orders, no negative voice
  passive       any other customer with trust answers or analysed texts
  unrated       no trust answers, no analysed text and no complaint
Value tiers: recency, frequency and monetary scored 1-5 by quintile of the brand's customers
(ties share the average rank, so a rebuild on the same data gives the same tiers);
high_value if R + F + M >= high_value_min_score, potential if >= potential_min_score, else general.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, case, delete, func, insert, select
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.customers import service as customers
from trustpulse.customers.models import Customer, Order
from trustpulse.db import utcnow
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.metrics.rollup_models import CustomerSegment
from trustpulse.metrics.schemas import SegmentsConfig, TrustTypeRules, ValueTierRules
from trustpulse.text.models import FeedbackAnalysis

TRUST_TYPES = ("advocate", "passive", "at_risk", "vocal_critic", "unrated")
VALUE_TIERS = ("high_value", "potential", "general")
_TABLE = cast("Table", CustomerSegment.__table__)


def load_segments_config(settings: Settings, *, brand: str | None = None) -> SegmentsConfig:
    return load_config("segments", SegmentsConfig, settings=settings, brand=brand)


def customer_evidence(
    session: Session, brand_id: int, *, rules: TrustTypeRules, window_days: int, as_of: datetime
) -> pd.DataFrame:
    """One row per customer of the brand: trust (0-100 or NaN), complaints, analysed and negative
    texts, orders / spend / days since last order in the window, orders ever."""
    ids = session.scalars(select(Customer.id).where(Customer.brand_id == brand_id)).all()
    frame = pd.DataFrame(index=pd.Index(list(ids), name="customer_id"))
    trust = session.execute(
        select(Feedback.customer_id, func.avg(Score.value))
        .join(Score, Score.feedback_id == Feedback.id)
        .where(Feedback.brand_id == brand_id, Score.metric.like(f"{rules.dimension_prefix}%"))
        .group_by(Feedback.customer_id)
    ).all()
    span = rules.scale_max - rules.scale_min
    frame["trust"] = pd.Series(
        {c: 100.0 * (float(v) - rules.scale_min) / span for c, v in trust if c is not None},
        dtype="float64",
    )
    negative = case((FeedbackAnalysis.sentiment_label == rules.negative_label, 1), else_=0)
    voice = session.execute(
        select(
            Feedback.customer_id,
            func.sum(case((Feedback.kind == FeedbackKind.complaint, 1), else_=0)),
            func.count(FeedbackAnalysis.feedback_id),
            func.sum(negative),
        )
        .outerjoin(FeedbackAnalysis, FeedbackAnalysis.feedback_id == Feedback.id)
        .where(Feedback.brand_id == brand_id, Feedback.customer_id.is_not(None))
        .group_by(Feedback.customer_id)
    ).all()
    for j, name in enumerate(("complaints", "texts", "negative_texts"), start=1):
        frame[name] = pd.Series({row[0]: int(row[j] or 0) for row in voice}, dtype="float64")
    start = as_of - timedelta(days=window_days)
    in_window = (Order.ordered_at >= start) & (Order.ordered_at <= as_of)
    orders = session.execute(
        select(
            Order.customer_id,
            func.sum(case((in_window, 1), else_=0)),
            func.sum(case((in_window, Order.amount), else_=0)),
            func.max(case((in_window, Order.ordered_at), else_=None)),
            func.count(),
        )
        .where(Order.brand_id == brand_id, Order.ordered_at <= as_of)
        .group_by(Order.customer_id)
    ).all()
    last = {c: _days_before(as_of, t) for c, _, _, t, _ in orders}
    frame["orders"] = pd.Series({r[0]: int(r[1] or 0) for r in orders}, dtype="float64")
    frame["spend"] = pd.Series({r[0]: float(r[2] or 0) for r in orders}, dtype="float64")
    frame["recency_days"] = pd.Series(last, dtype="float64")
    frame["orders_ever"] = pd.Series({r[0]: int(r[4]) for r in orders}, dtype="float64")
    counts = ["complaints", "texts", "negative_texts", "orders", "spend", "orders_ever"]
    frame[counts] = frame[counts].fillna(0.0)
    return frame


def _days_before(as_of: datetime, moment: object) -> float:
    if moment is None:
        return math.nan
    if isinstance(moment, str):  # SQLite returns MAX(CASE ...) of timestamps as text
        moment = datetime.fromisoformat(moment)
    assert isinstance(moment, datetime)  # noqa: S101 -- a timestamp column
    aware = moment if moment.tzinfo else moment.replace(tzinfo=as_of.tzinfo)
    return (as_of - aware).total_seconds() / 86400.0


def trust_type(row: pd.Series[Any], rules: TrustTypeRules) -> tuple[str, str]:
    """(type, the rule that decided it) for one customer's evidence."""
    trust = float(row["trust"])
    voices = int(row["complaints"] + row["negative_texts"])
    share = row["negative_texts"] / row["texts"] if row["texts"] else 0.0
    low = math.isnan(trust) or trust < rules.at_risk_max_trust
    if low and voices >= rules.critic_min_negative_voices:
        return "vocal_critic", "trust < at_risk_max_trust and voices >= critic_min_negative_voices"
    if not math.isnan(trust) and trust < rules.at_risk_max_trust:
        return "at_risk", "trust < at_risk_max_trust"
    if row["texts"] and share >= rules.at_risk_min_negative_share:
        return "at_risk", "negative share >= at_risk_min_negative_share"
    if (
        not math.isnan(trust)
        and trust >= rules.advocate_min_trust
        and row["orders"] >= rules.advocate_min_orders
        and voices == 0
    ):
        return "advocate", "trust >= advocate_min_trust, orders >= advocate_min_orders, no voices"
    if math.isnan(trust) and not row["texts"] and not row["complaints"]:
        return "unrated", "no trust answers, texts or complaints"
    return "passive", "no other rule matched"


def rfm_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """R, F, M scored 1-5 by quintile (average ranks); customers without orders in the window
    score 1 on all three."""
    active = frame["orders"] > 0
    out = pd.DataFrame(1, index=frame.index, columns=["r", "f", "m"])
    for column, source, ascending in (
        ("r", "recency_days", False),
        ("f", "orders", True),
        ("m", "spend", True),
    ):
        values = frame.loc[active, source]
        if values.empty:
            continue
        pct = values.rank(method="average", pct=True, ascending=ascending)
        out.loc[active, column] = (pct * 5).apply(math.ceil).clip(1, 5).astype(int)
    return out


def value_tier(score: int, rules: ValueTierRules) -> str:
    if score >= rules.high_value_min_score:
        return "high_value"
    if score >= rules.potential_min_score:
        return "potential"
    return "general"


def build_segments(
    session: Session, *, settings: Settings, brand: str | None = None, as_of: datetime | None = None
) -> list[dict[str, object]]:
    """Recompute every customer's trust type and value tier (per brand, replacing the previous
    build); returns counts per brand, type and tier. Never commits."""
    as_of = as_of or utcnow()
    brands = [customers.get_brand(session, brand)] if brand else customers.list_brands(session)
    summary: list[dict[str, object]] = []
    for b in brands:
        config = load_segments_config(settings, brand=b.code)
        evidence = customer_evidence(
            session,
            b.id,
            rules=config.trust_types,
            window_days=config.value_tiers.window_days,
            as_of=as_of,
        )
        rfm = rfm_scores(evidence)
        records = []
        counts: Counter[tuple[str, str]] = Counter()
        r, f, m = (rfm[c].to_numpy(dtype=int).tolist() for c in ("r", "f", "m"))
        ids = [int(i) for i in evidence.index]
        for i, (_, row) in enumerate(evidence.iterrows()):
            kind, rule = trust_type(row, config.trust_types)
            score = r[i] + f[i] + m[i]
            tier = value_tier(score, config.value_tiers)
            counts[kind, tier] += 1
            reasons: dict[str, object] = {str(k): _json_number(v) for k, v in row.items()}
            reasons |= {"rule": rule, "r": r[i], "f": f[i], "m": m[i], "rfm_score": score}
            records.append(
                {
                    "customer_id": ids[i],
                    "brand_id": b.id,
                    "trust_type": kind,
                    "value_tier": tier,
                    "reasons": reasons,
                    "built_at": as_of,
                }
            )
        session.execute(delete(CustomerSegment).where(CustomerSegment.brand_id == b.id))
        for start in range(0, len(records), 5000):
            session.execute(insert(_TABLE), records[start : start + 5000])
        summary += [
            {"brand": b.code, "trust_type": k, "value_tier": t, "customers": n}
            for (k, t), n in sorted(counts.items())
        ]
    session.flush()
    return summary


def _json_number(value: object) -> float | None:
    number = float(cast("float", value))
    return None if math.isnan(number) else round(number, 4)


def segment_counts(session: Session, *, brand: str | None = None) -> list[dict[str, object]]:
    """Customers per brand x trust type x value tier from the last build."""
    brands = [customers.get_brand(session, brand)] if brand else customers.list_brands(session)
    codes = {b.id: b.code for b in brands}
    rows = session.execute(
        select(
            CustomerSegment.brand_id,
            CustomerSegment.trust_type,
            CustomerSegment.value_tier,
            func.count(),
        )
        .where(CustomerSegment.brand_id.in_(list(codes)))
        .group_by(CustomerSegment.brand_id, CustomerSegment.trust_type, CustomerSegment.value_tier)
        .order_by(CustomerSegment.brand_id, CustomerSegment.trust_type, CustomerSegment.value_tier)
    ).all()
    return [
        {"brand": codes[b], "trust_type": k, "value_tier": t, "customers": int(n)}
        for b, k, t, n in rows
    ]

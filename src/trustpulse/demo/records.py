"""Turns one brand's sampled batches into feedback rows in time order, with texts and PII."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from trustpulse.demo.model import ASPECTS, PERIOD_START, PII_SHARE, PII_TYPES, SOURCE, BrandSpec
from trustpulse.demo.people import Customers, to_datetimes
from trustpulse.demo.pii import plant
from trustpulse.demo.texts import TextMaker, city_of
from trustpulse.demo.voice import METRICS, Batch
from trustpulse.feedback.models import FeedbackKind


def content_hash(payload: object) -> str:
    """sha256 of the canonical JSON of a record's content (sorted keys, UTF-8)."""
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class BrandFeedback:
    rows: list[dict[str, Any]] = field(default_factory=list)
    score_feedback: list[np.ndarray] = field(default_factory=list)  # feedback local ids
    score_metric: list[np.ndarray] = field(default_factory=list)  # index into METRICS
    score_value: list[np.ndarray] = field(default_factory=list)
    complaint_seeds: list[dict[str, Any]] = field(default_factory=list)
    text_truth: list[dict[str, Any]] = field(default_factory=list)
    pii: list[dict[str, Any]] = field(default_factory=list)


def build_feedback(
    batches: list[Batch],
    *,
    brand: BrandSpec,
    cust: Customers,
    first_id: int,
    import_run_id: int,
    text_seed: int,
) -> BrandFeedback:
    """Feedback rows with local ids from first_id, external ids fb-<brand>-000001 in time order."""
    out = BrandFeedback()
    stamps: list[tuple[int, int, int]] = []
    for b, batch in enumerate(batches):
        seconds = batch.day.astype(np.int64) * 86400 + batch.seconds
        stamps += [(s, b, i) for i, s in enumerate(seconds.tolist())]
    stamps.sort()
    local_ids = [np.zeros(len(batch.day), dtype=np.int64) for batch in batches]
    times = {
        b: to_datetimes(batch.day, batch.seconds) for b, batch in enumerate(batches)
    }  # aware UTC, days cut in Asia/Shanghai
    maker = TextMaker(text_seed)
    rnd = maker.rnd
    for seq, (_, b, i) in enumerate(stamps, start=1):
        batch = batches[b]
        fid = first_id + seq - 1
        local_ids[b][i] = fid
        external_id = f"fb-{brand.code}-{seq:06d}"
        who = int(batch.customer[i])
        language = "en" if cust.english[who] else "zh"
        product = brand.products[int(batch.product[i])]
        region = cust.region[who]
        occurred_at: datetime = times[b][i]
        day = PERIOD_START + timedelta(days=int(batch.day[i]))  # the local (Shanghai) day
        text: str | None = None
        aspects = batch.aspects[i]
        if aspects or batch.crisis[i]:
            if batch.crisis[i] and batch.kind == "social":
                text = maker.crisis_post(
                    language=language, product=product, city=city_of(region), day=day
                )
            else:
                text = maker.compose(
                    language=language,
                    kind=batch.kind,
                    aspects=aspects,
                    product=product,
                    city=city_of(region),
                    day=day,
                )
            if rnd.random() < PII_SHARE:
                pii_type = rnd.choice(PII_TYPES)
                text, start, end, value = plant(text, pii_type, language, rnd)
                out.pii.append(
                    {
                        "external_id": external_id,
                        "brand": brand.code,
                        "type": pii_type,
                        "start": start,
                        "end": end,
                        "value": value,
                    }
                )
            out.text_truth.append(
                {
                    "external_id": external_id,
                    "brand": brand.code,
                    "kind": batch.kind,
                    "language": language,
                    "crisis": bool(batch.crisis[i]),
                    "aspects": [
                        {"aspect": a, "dimension": ASPECTS[a][0], "polarity": p} for a, p in aspects
                    ],
                }
            )
        touchpoint = ASPECTS[aspects[0][0]][1] if aspects and batch.kind != "survey" else None
        scores: dict[str, float] = {}
        if batch.scores is not None and batch.metric_index is not None:
            values = batch.scores[i].tolist()
            scores = {
                METRICS[m]: v for m, v in zip(batch.metric_index.tolist(), values, strict=True)
            }
        raw: dict[str, Any] = {"aspects": [a for a, _ in aspects]} if aspects else {}
        row = {
            "id": fid,
            "brand_id": cust.brand_index,
            "customer_id": int(cust.ids[who]),
            "kind": FeedbackKind(batch.kind),
            "channel": batch.channel[i],
            "touchpoint": touchpoint,
            "occurred_at": occurred_at,
            "language": language,
            "text": text,
            "product": product.code,
            "region": region,
            "source": SOURCE,
            "external_id": external_id,
            "raw": raw,
            "import_run_id": import_run_id,
            "created_at": occurred_at,
            "updated_at": occurred_at,
        }
        row["content_hash"] = content_hash(
            {
                "kind": batch.kind,
                "channel": row["channel"],
                "touchpoint": touchpoint,
                "occurred_at": occurred_at.isoformat(),
                "language": language,
                "text": text,
                "product": product.code,
                "region": region,
                "customer": cust.external_ids[who],
                "scores": scores,
            }
        )
        out.rows.append(row)
        if batch.kind == "complaint":
            out.complaint_seeds.append(
                {
                    "feedback_id": fid,
                    "feedback_external_id": external_id,
                    "brand_id": cust.brand_index,
                    "customer_id": row["customer_id"],
                    "opened_day": int(batch.day[i]),
                    "occurred_at": occurred_at,
                    "category": batch.category[i],
                    "crisis": bool(batch.crisis[i]),
                    "product": product,
                    "channel": row["channel"],
                    "region": region,
                    "language": language,
                    "text": text,
                    "title": maker.title(
                        language=language,
                        category=str(batch.category[i]),
                        product=product,
                        crisis=bool(batch.crisis[i]),
                    ),
                }
            )
    for b, batch in enumerate(batches):
        if batch.scores is None or batch.metric_index is None:
            continue
        n, m = batch.scores.shape
        out.score_feedback.append(np.repeat(local_ids[b], m))
        out.score_metric.append(np.tile(batch.metric_index, n))
        out.score_value.append(batch.scores.ravel())
    return out

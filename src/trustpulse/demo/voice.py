"""Samples one brand's feedback (numbers only): when, who, which channel, scores and aspects.

Text is written later (demo.records) once the records are in time order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from trustpulse.demo.model import (
    ASPECTS,
    CATEGORIES,
    CATEGORY_ASPECTS,
    CRISIS,
    DIMENSIONS,
    DRIVERS,
    EXPERIENCE_TRUST,
    GROWTH,
    HALO,
    KIND_CHANNELS,
    KIND_SHARES,
    N_DAYS,
    NPS_INTERCEPT,
    NPS_NOISE_SD,
    NPS_TRUST_COEF,
    PERIOD_START,
    PROMO_DELIVERY_PENALTY,
    PROMOTIONS,
    SURVEY_COMMENT_SHARE,
    TOUCHPOINTS,
    TP_MEAN,
    TP_METRICS,
    TP_SD,
    WEEKDAY_FACTORS,
    BrandSpec,
    DemoConfig,
)
from trustpulse.demo.people import Customers

DIM_METRICS = tuple(f"dim_{code}" for code, *_ in DIMENSIONS)
METRICS = ("nps", "csat", "ces", *TP_METRICS, *DIM_METRICS, "rating")
RATING = METRICS.index("rating")
TP_CODES = tuple(code for code, *_ in TOUCHPOINTS)
# the aspect a survey comment speaks of when it is about a touchpoint
TP_ASPECT = {tp: aspect for aspect, (_, tp) in reversed(ASPECTS.items())} | {
    "checkout": "price_info",
    "ease_of_use": "product_info",
    "loyalty_program": "promise_keeping",
}
REVIEW_ASPECTS = {
    "product_quality": 0.28,
    "delivery": 0.18,
    "installation": 0.09,
    "durability": 0.07,
    "price_info": 0.1,
    "product_info": 0.08,
    "customer_service": 0.08,
    "after_sales": 0.07,
    "staff_expertise": 0.03,
    "safety": 0.02,
}
SOCIAL_ASPECTS = REVIEW_ASPECTS | {"customer_service": 0.14, "promise_keeping": 0.06}

DAYS = np.arange(N_DAYS)
WEEKDAY = np.array([(PERIOD_START + timedelta(days=int(d))).weekday() for d in DAYS])
PROMO_DAY = np.zeros(N_DAYS, dtype=bool)
PROMO_FACTOR = np.ones(N_DAYS)
for _promo in PROMOTIONS:
    _a, _b = (_promo.start - PERIOD_START).days, (_promo.end - PERIOD_START).days
    PROMO_DAY[_a : _b + 1] = True
    PROMO_FACTOR[_a : _b + 1] = _promo.volume_factor
CRISIS_START = (CRISIS.start - PERIOD_START).days
CRISIS_END = (CRISIS.end - PERIOD_START).days
DIP_END = CRISIS_END + CRISIS.aftermath_days


def day_weights(kind: str) -> np.ndarray:
    w = (1 + GROWTH * DAYS / (N_DAYS - 1)) * np.array(WEEKDAY_FACTORS[kind])[WEEKDAY]
    w = w * PROMO_FACTOR
    result: np.ndarray = w / w.sum()
    return result


def dip_mask(brand: BrandSpec, day: np.ndarray) -> np.ndarray:
    """1.0 where the crisis brand's trust and perceived quality are depressed, else 0.0."""
    if brand.code != CRISIS.brand:
        return np.zeros(len(day))
    return ((day >= CRISIS_START) & (day <= DIP_END)).astype(np.float64)


@dataclass
class Batch:
    """Records of one kind for one brand; index i is the same record across all fields."""

    kind: str
    day: np.ndarray
    seconds: np.ndarray
    customer: np.ndarray  # brand-local customer index
    product: np.ndarray
    channel: list[str]
    aspects: list[list[tuple[str, str]]]  # (aspect, polarity); empty: no text
    crisis: np.ndarray
    scores: np.ndarray | None = None  # (n, len(metric_index))
    metric_index: np.ndarray | None = None
    category: list[str | None] = field(default_factory=list)


def _seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    hours = np.clip(rng.normal(14.5, 4.5, n), 0.0, 23.999)
    return (hours * 3600).astype(np.int64)


def _channels(rng: np.random.Generator, kind: str, n: int) -> list[str]:
    codes = [c for c, _ in KIND_CHANNELS[kind]]
    idx = rng.choice(len(codes), n, p=[p for _, p in KIND_CHANNELS[kind]])
    return [codes[i] for i in idx.tolist()]


def _aspect_draw(rng: np.random.Generator, weights: dict[str, float], n: int) -> list[str]:
    names = list(weights)
    p = np.array([weights[a] for a in names])
    return [names[i] for i in rng.choice(len(names), n, p=p / p.sum()).tolist()]


def _clip_round(x: np.ndarray, low: int, high: int) -> np.ndarray:
    result: np.ndarray = np.clip(np.rint(x), low, high)
    return result


def surveys(rng: np.random.Generator, brand: BrandSpec, cust: Customers, n: int) -> Batch:
    """Survey responses: NPS from the three driver touchpoints plus trust (see model.DRIVERS)."""
    day = rng.choice(N_DAYS, n, p=day_weights("survey"))
    who = cust.pick(rng, day)
    dip = dip_mask(brand, day)
    trust = cust.trust[who] + CRISIS.trust_shock * dip
    g = EXPERIENCE_TRUST * trust + math.sqrt(1 - EXPERIENCE_TRUST**2) * rng.standard_normal(n)
    k = len(TP_CODES)
    latent = HALO * g[:, None] + math.sqrt(1 - HALO**2) * rng.standard_normal((n, k))
    tp = TP_MEAN + TP_SD * latent
    tp[:, TP_CODES.index("delivery_speed")] -= PROMO_DELIVERY_PENALTY * PROMO_DAY[day]
    tp[:, TP_CODES.index("product_quality")] += CRISIS.quality_shock * dip
    tp = _clip_round(tp, 0, 10)
    beta = np.array([DRIVERS.get(m, 0.0) for m in TP_METRICS])
    nps_latent = NPS_INTERCEPT + tp @ beta + NPS_TRUST_COEF * trust
    nps = _clip_round(nps_latent + rng.normal(0.0, NPS_NOISE_SD, n), 0, 10)
    csat = _clip_round(3.9 + 0.7 * g + rng.normal(0.0, 0.6, n), 1, 5)
    ces = _clip_round(5.2 + 0.6 * g + rng.normal(0.0, 0.9, n), 1, 7)
    tp_std = (tp - TP_MEAN) / TP_SD
    dims = []
    for dim, *_ in DIMENSIONS:
        cols = sorted({TP_CODES.index(tp_code) for d, tp_code in ASPECTS.values() if d == dim})
        related = tp_std[:, cols].mean(axis=1)
        dims.append(3.5 + 0.5 * trust + 0.3 * related + rng.normal(0.0, 0.6, n))
    dim_scores = _clip_round(np.column_stack(dims), 1, 5)
    scores = np.column_stack([nps, csat, ces, tp, dim_scores])
    commented = rng.random(n) < SURVEY_COMMENT_SHARE
    best, worst = tp.argmax(axis=1), tp.argmin(axis=1)
    aspects: list[list[tuple[str, str]]] = []
    for i in range(n):
        if not commented[i]:
            aspects.append([])
            continue
        good = (TP_ASPECT[TP_CODES[best[i]]], "positive")
        bad = (TP_ASPECT[TP_CODES[worst[i]]], "negative")
        aspects.append([good] if nps[i] >= 9 else [bad] if nps[i] <= 6 else [good, bad])
    return Batch(
        kind="survey",
        day=day,
        seconds=_seconds(rng, n),
        customer=who,
        product=cust.product[who],
        channel=_channels(rng, "survey", n),
        aspects=aspects,
        crisis=np.zeros(n, dtype=bool),
        scores=scores,
        metric_index=np.arange(len(METRICS) - 1),
    )


def _two_aspects(
    rng: np.random.Generator, weights: dict[str, float], positive: np.ndarray, mixed: np.ndarray
) -> list[list[tuple[str, str]]]:
    n = len(positive)
    first, second = _aspect_draw(rng, weights, n), _aspect_draw(rng, weights, n)
    two = (rng.random(n) < 0.4) | mixed
    flip = rng.random(n) < 0.15
    result: list[list[tuple[str, str]]] = []
    for i in range(n):
        pol = "positive" if positive[i] else "negative"
        items = [(first[i], pol)]
        if two[i] and second[i] != first[i]:
            other = "negative" if pol == "positive" else "positive"
            items.append((second[i], other if (mixed[i] or flip[i]) else pol))
        result.append(items)
    return result


def reviews(rng: np.random.Generator, brand: BrandSpec, cust: Customers, n: int) -> Batch:
    """Star ratings (1-5) with a text; the crisis product's owners rate lower in the dip."""
    day = rng.choice(N_DAYS, n, p=day_weights("review"))
    who = cust.pick(rng, day)
    dip = dip_mask(brand, day)
    crisis_owner = _is_crisis_product(brand, cust.product[who])
    trust = cust.trust[who] + CRISIS.trust_shock * dip
    rating = _clip_round(4.0 + 0.9 * trust + rng.normal(0, 0.9, n) - 1.5 * dip * crisis_owner, 1, 5)
    aspects = _two_aspects(rng, REVIEW_ASPECTS, rating >= 4, rating == 3)
    return Batch(
        kind="review",
        day=day,
        seconds=_seconds(rng, n),
        customer=who,
        product=cust.product[who],
        channel=_channels(rng, "review", n),
        aspects=aspects,
        crisis=np.zeros(n, dtype=bool),
        scores=rating[:, None],
        metric_index=np.array([RATING]),
    )


def socials(rng: np.random.Generator, brand: BrandSpec, cust: Customers, n: int) -> Batch:
    """Ordinary social posts: tone from the author's trust plus noise."""
    day = rng.choice(N_DAYS, n, p=day_weights("social"))
    who = cust.pick(rng, day)
    mood = cust.trust[who] + CRISIS.trust_shock * dip_mask(brand, day) + rng.normal(0, 1, n)
    mixed = np.abs(mood) < 0.25
    return Batch(
        kind="social",
        day=day,
        seconds=_seconds(rng, n),
        customer=who,
        product=cust.product[who],
        channel=_channels(rng, "social", n),
        aspects=_two_aspects(rng, SOCIAL_ASPECTS, mood > 0, mixed),
        crisis=np.zeros(n, dtype=bool),
    )


def _is_crisis_product(brand: BrandSpec, product: np.ndarray) -> np.ndarray:
    if brand.code != CRISIS.brand:
        return np.zeros(len(product))
    index = [p.code for p in brand.products].index(CRISIS.product)
    owned: np.ndarray = (product == index).astype(np.float64)
    return owned


def _crisis_owners(
    rng: np.random.Generator, brand: BrandSpec, cust: Customers, day: np.ndarray
) -> np.ndarray:
    index = [p.code for p in brand.products].index(CRISIS.product)
    owners = np.flatnonzero(cust.product == index)
    eligible = np.maximum(np.searchsorted(cust.first_day[owners], day, side="right"), 1)
    chosen: np.ndarray = owners[(rng.random(len(day)) * eligible).astype(np.int64)]
    return chosen


def crisis_posts(rng: np.random.Generator, brand: BrandSpec, cust: Customers, n: int) -> Batch:
    """The planted spike: negative posts about the crisis product, peaking early in the window."""
    span = CRISIS_END - CRISIS_START + 1
    offset = np.minimum(rng.triangular(0, 4, span, n).astype(np.int64), span - 1)
    day = CRISIS_START + offset
    who = _crisis_owners(rng, brand, cust, day)
    extra = _aspect_draw(rng, {"customer_service": 0.5, "after_sales": 0.5}, n)
    add = rng.random(n) < 0.35
    aspects = [
        [("safety", "negative"), (extra[i], "negative")] if add[i] else [("safety", "negative")]
        for i in range(n)
    ]
    return Batch(
        kind="social",
        day=day,
        seconds=_seconds(rng, n),
        customer=who,
        product=cust.product[who],
        channel=_channels(rng, "social", n),
        aspects=aspects,
        crisis=np.ones(n, dtype=bool),
    )


def complaints(
    rng: np.random.Generator, brand: BrandSpec, cust: Customers, n: int, n_crisis: int
) -> Batch:
    """Complaint texts (all negative); the crisis adds product-quality cases after the spike."""
    day = rng.choice(N_DAYS, n, p=day_weights("complaint"))
    who = cust.pick(rng, day)
    names = list(CATEGORIES)
    probs = np.array([CATEGORIES[c][0] for c in names])
    category: list[str | None] = [
        names[i] for i in rng.choice(len(names), n, p=probs / probs.sum()).tolist()
    ]
    crisis = np.zeros(n, dtype=bool)
    if n_crisis:
        c_day = rng.integers(CRISIS_START + CRISIS.complaint_lag_days, DIP_END + 1, n_crisis)
        day = np.concatenate([day, c_day])
        who = np.concatenate([who, _crisis_owners(rng, brand, cust, c_day)])
        category += ["product_quality"] * n_crisis
        crisis = np.concatenate([crisis, np.ones(n_crisis, dtype=bool)])
    total = len(day)
    first = rng.random(total)
    second = rng.random(total)
    aspects: list[list[tuple[str, str]]] = []
    for i in range(total):
        options = ("safety", "after_sales") if crisis[i] else CATEGORY_ASPECTS[str(category[i])]
        items = [(options[int(first[i] * len(options))], "negative")]
        other = options[int(second[i] * len(options))]
        if second[i] < 0.45 and other != items[0][0]:
            items.append((other, "negative"))
        aspects.append(items)
    return Batch(
        kind="complaint",
        day=day,
        seconds=_seconds(rng, total),
        customer=who,
        product=cust.product[who],
        channel=_channels(rng, "complaint", total),
        aspects=aspects,
        crisis=crisis,
        category=category,
    )


def brand_batches(
    rng: np.random.Generator, cfg: DemoConfig, brand: BrandSpec, cust: Customers
) -> list[Batch]:
    n = cfg.feedback(brand)
    counts = {kind: round(n * share) for kind, share in KIND_SHARES.items()}
    is_crisis = brand.code == CRISIS.brand
    batches = [
        surveys(rng, brand, cust, counts["survey"]),
        reviews(rng, brand, cust, counts["review"]),
        socials(rng, brand, cust, counts["social"]),
        complaints(rng, brand, cust, counts["complaint"], cfg.crisis_complaints() * is_crisis),
    ]
    if is_crisis:
        batches.append(crisis_posts(rng, brand, cust, cfg.crisis_posts()))
    return batches

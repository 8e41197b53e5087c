"""Demo brands' people: customers with latent trust and their orders, and the service teams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from trustpulse.demo.model import (
    BUSINESS_SHARE,
    ENGLISH_SHARE,
    EXTRA_ORDERS_POISSON,
    HISTORY_START,
    N_DAYS,
    PERIOD_START,
    REGIONS,
    REPURCHASE_ALPHA,
    REPURCHASE_BETA,
    TEAMS,
    TIER_TRUST,
    TIERS,
    BrandSpec,
    DemoConfig,
    local_midnight_utc,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾" + (
    "肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲" + (
    "芬燕彬鹏辉晨浩宇欣怡子涵梓轩思雨佳琪俊"
)
EN_FIRST = ("Emily", "James", "Sophia", "Daniel", "Olivia", "Lucas", "Mia", "Ethan", "Grace", "Leo")
EN_LAST = ("Chen", "Wang", "Li", "Zhang", "Liu", "Smith", "Brown", "Lee", "Wong", "Garcia")
EPOCH = local_midnight_utc(PERIOD_START)
HISTORY_DAYS = (PERIOD_START - HISTORY_START).days


def sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


def to_datetimes(day: np.ndarray, seconds: np.ndarray) -> list[datetime]:
    """Day indices (0 = PERIOD_START, cut in Asia/Shanghai) + seconds -> aware UTC datetimes."""
    base = EPOCH.timestamp()
    stamps = base + day.astype(np.float64) * 86400.0 + seconds.astype(np.float64)
    return [datetime.fromtimestamp(s, UTC) for s in stamps.tolist()]


def chinese_names(rng: np.random.Generator, n: int) -> list[str]:
    s = rng.integers(0, len(SURNAMES), n).tolist()
    g1 = rng.integers(0, len(GIVEN), n).tolist()
    g2 = rng.integers(-len(GIVEN) // 2, len(GIVEN), n).tolist()  # about a third have one char
    return [
        SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c >= 0 else "")
        for a, b, c in zip(s, g1, g2, strict=True)
    ]


@dataclass
class Customers:
    """One brand's customers, sorted by first order day (brand-local index i, global id ids[i])."""

    brand_index: int
    ids: np.ndarray
    external_ids: list[str]
    trust: np.ndarray
    first_day: np.ndarray  # day index of the first order; negative: before the period
    english: np.ndarray
    region: list[str]
    product: np.ndarray  # product index of the first order (what they talk about)
    repurchased: np.ndarray

    def pick(self, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
        """For each feedback day, a customer who had ordered by then (uniformly among them)."""
        eligible = np.searchsorted(self.first_day, day, side="right")
        return np.minimum((rng.random(len(day)) * eligible).astype(np.int64), eligible - 1)


def make_customers(
    rng: np.random.Generator, cfg: DemoConfig, brand: BrandSpec, brand_index: int, first_id: int
) -> tuple[Customers, list[dict[str, Any]], list[dict[str, Any]]]:
    """Customers and their orders (rows with local ids) for one brand."""
    n = cfg.customers(brand)
    tier_names = [t for t, _ in TIERS]
    tier = rng.choice(len(TIERS), n, p=[p for _, p in TIERS])
    trust = rng.normal(np.array([TIER_TRUST[t] for t in tier_names])[tier], 1.0)
    weights = np.array([w for _, w in REGIONS])
    region_idx = rng.choice(len(REGIONS), n, p=weights / weights.sum())
    business = rng.random(n) < BUSINESS_SHARE
    segment_idx = rng.integers(0, len(brand.segments), n)
    english = rng.random(n) < ENGLISH_SHARE
    # sorted: external ids follow the first order, and pick() can bisect (other draws are iid)
    first_day = np.sort(rng.integers(-HISTORY_DAYS, N_DAYS, n))
    product = rng.integers(0, len(brand.products), n)
    p_repurchase = sigmoid(REPURCHASE_ALPHA + REPURCHASE_BETA * trust)
    repurchased = rng.random(n) < p_repurchase
    extra = np.where(repurchased, 1 + rng.poisson(EXTRA_ORDERS_POISSON, n), 0)
    zh_names = chinese_names(rng, n)
    en_names = [
        f"{EN_FIRST[a]} {EN_LAST[b]}"
        for a, b in zip(
            rng.integers(0, 10, n).tolist(), rng.integers(0, 10, n).tolist(), strict=True
        )
    ]
    seconds = rng.integers(8 * 3600, 23 * 3600, n)
    ids = np.arange(first_id, first_id + n)
    first_at = to_datetimes(first_day, seconds)
    external_ids = [f"cus-{brand.code}-{i + 1:06d}" for i in range(n)]
    regions = [REGIONS[r][0] for r in region_idx.tolist()]
    rows: list[dict[str, Any]] = []
    for i in range(n):
        is_b2b = bool(business[i])
        rows.append(
            {
                "id": int(ids[i]),
                "brand_id": brand_index,
                "external_id": external_ids[i],
                "name": en_names[i] if english[i] else zh_names[i],
                "tier": tier_names[tier[i]],
                "region": regions[i],
                "segment": "business" if is_b2b else brand.segments[segment_idx[i]],
                "is_business": is_b2b,
                "attributes": {"language": "en" if english[i] else "zh"},
                "first_seen_at": first_at[i],
                "created_at": first_at[i],
            }
        )
    customers = Customers(
        brand_index=brand_index,
        ids=ids,
        external_ids=external_ids,
        trust=trust,
        first_day=first_day,
        english=english,
        region=regions,
        product=product,
        repurchased=repurchased,
    )
    orders = _orders(
        rng, brand=brand, customers=customers, extra=extra, first_at=first_at, business=business
    )
    return customers, rows, orders


def _orders(
    rng: np.random.Generator,
    *,
    brand: BrandSpec,
    customers: Customers,
    extra: np.ndarray,
    first_at: list[datetime],
    business: np.ndarray,
) -> list[dict[str, Any]]:
    n = len(customers.ids)
    owner = np.concatenate([np.arange(n), np.repeat(np.arange(n), extra)])
    m = len(owner)
    start = np.maximum(customers.first_day[owner], 0)
    span = np.maximum(N_DAYS - 1 - start, 0)
    later_day = start + (rng.random(m) * (span + 1)).astype(np.int64)
    later_at = to_datetimes(later_day, rng.integers(8 * 3600, 23 * 3600, m))
    product = np.where(
        np.arange(m) < n, customers.product[owner], rng.integers(0, len(brand.products), m)
    )
    quantity = np.where(business[owner], rng.integers(5, 40, m), 1)
    factor = rng.lognormal(0.0, 0.15, m) * quantity
    events = sorted(
        (first_at[i] if i < n else later_at[i], i) for i in range(m)
    )  # external ids follow order time
    rows: list[dict[str, Any]] = []
    for seq, (at, i) in enumerate(events, start=1):
        spec = brand.products[product[i]]
        rows.append(
            {
                "brand_id": customers.brand_index,
                "customer_id": int(customers.ids[owner[i]]),
                "external_id": f"ord-{brand.code}-{seq:07d}",
                "ordered_at": at,
                "product": spec.code,
                "amount": Decimal(f"{spec.price * factor[i]:.2f}"),
                "currency": "CNY",
            }
        )
    return rows


@dataclass
class Staff:
    users: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    members: list[dict[str, Any]]
    team_agents: dict[tuple[int, int], list[int]]  # (brand index, team no) -> user ids, lead first


def make_staff(rng: np.random.Generator, brands: tuple[BrandSpec, ...]) -> Staff:
    """A few teams per brand, each a lead and 4-8 agents (users named demo.<brand>.<team>.*)."""
    staff = Staff([], [], [], {})
    created = datetime(2024, 4, 1, tzinfo=UTC)
    for b, brand in enumerate(brands, start=1):
        for t, team_name in enumerate(TEAMS[brand.code]):
            agents = int(rng.integers(4, 9))
            names = chinese_names(rng, agents + 1)
            ids: list[int] = []
            for k, display in enumerate(names):
                uid = len(staff.users) + 1
                role = "lead" if k == 0 else f"agent{k:02d}"
                username = f"demo.{brand.code}.t{t + 1}.{role}"
                staff.users.append(
                    {
                        "id": uid,
                        "username": username,
                        "display_name": display,
                        "email": f"{username}@demo.trustpulse.invalid",
                        "is_active": True,
                        "created_at": created + timedelta(days=k),
                    }
                )
                ids.append(uid)
            team_id = len(staff.teams) + 1
            staff.teams.append(
                {
                    "id": team_id,
                    "brand_id": b,
                    "name": team_name,
                    "lead_id": ids[0],
                    "calendar": "cn-workdays",
                    "created_at": created,
                }
            )
            staff.members += [{"team_id": team_id, "user_id": uid} for uid in ids]
            staff.team_agents[(b, t)] = ids
    return staff

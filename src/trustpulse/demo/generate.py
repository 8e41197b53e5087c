"""Builds the whole demo in memory, deterministically from a seed: rows per table plus the truth.

Rows carry local ids (1..n per table); demo.load shifts them past the ids already in use.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from trustpulse.demo.cases import Cases, build_cases
from trustpulse.demo.model import (
    BRANDS,
    CHANNELS,
    CRISIS,
    CRISIS_ROOT_CAUSE,
    DRIVERS,
    EXPERIENCE_TRUST,
    GENERATOR_VERSION,
    HALO,
    NPS_INTERCEPT,
    NPS_NOISE_SD,
    NPS_TRUST_COEF,
    PERIOD_END,
    PERIOD_START,
    PROMOTIONS,
    REPURCHASE_ALPHA,
    REPURCHASE_BETA,
    TIMEZONE,
    TOUCHPOINTS,
    TP_METRICS,
    DemoConfig,
    local_midnight_utc,
)
from trustpulse.demo.operations import make_kpis
from trustpulse.demo.people import Customers, make_customers, make_staff, sigmoid
from trustpulse.demo.records import build_feedback, content_hash
from trustpulse.demo.voice import DIP_END, METRICS, brand_batches
from trustpulse.feedback.models import FeedbackKind, JourneyStage

SCORE_SCALES = {
    "nps": "0-10 likelihood to recommend",
    "csat": "1-5",
    "ces": "1-7, 7 = very easy",
    "tp_*": "0-10 touchpoint rating",
    "dim_*": "1-5 agreement with a trust statement",
    "rating": "1-5 stars (reviews)",
}


@dataclass
class DemoData:
    config: DemoConfig
    tables: dict[str, list[dict[str, Any]]]  # insert order; scores are kept apart
    score_feedback: np.ndarray  # local feedback id per score row
    score_metric: np.ndarray  # index into METRICS
    score_value: np.ndarray
    truth: dict[str, Any]
    text_truth: list[dict[str, Any]]
    complaint_truth: list[dict[str, Any]]
    customer_truth: list[dict[str, Any]]
    seconds: float

    def counts(self) -> dict[str, int]:
        counts = {name: len(rows) for name, rows in self.tables.items()}
        counts["scores"] = len(self.score_value)
        return counts


def fingerprint(config: DemoConfig) -> dict[str, Any]:
    """What identifies a loaded demo: regenerate when any of it differs."""
    return {"seed": config.seed, "scale": config.scale, "version": GENERATOR_VERSION}


def generate(config: DemoConfig) -> DemoData:
    """Every row of the demo, the same for the same config (numpy Generator per brand and part)."""
    started = time.perf_counter()
    staff = make_staff(np.random.default_rng([config.seed, 0, 0]), BRANDS)
    team_ids = {key: i for i, key in enumerate(staff.team_agents, start=1)}
    tables: dict[str, list[dict[str, Any]]] = {
        "brands": [],
        "channels": [
            {"code": c, "name_en": en, "name_zh": zh, "kind": FeedbackKind(k)}
            for c, en, zh, k in CHANNELS
        ],
        "touchpoints": [
            {"code": c, "stage": JourneyStage(s), "name_en": en, "name_zh": zh}
            for c, s, en, zh in TOUCHPOINTS
        ],
        "users": staff.users,
        "teams": staff.teams,
        "team_members": staff.members,
        "import_runs": [],
        "customers": [],
        "orders": [],
        "feedback": [],
        "complaints": [],
        "complaint_events": [],
        "kpi_measures": [],
    }
    scores: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    text_truth: list[dict[str, Any]] = []
    pii: list[dict[str, Any]] = []
    cases = Cases()
    all_customers: list[Customers] = []
    for b, brand in enumerate(BRANDS, start=1):
        tables["brands"].append(
            {
                "id": b,
                "code": brand.code,
                "name": brand.name_zh,
                "timezone": TIMEZONE,
                "locale": "zh-CN",
                "created_at": local_midnight_utc(PERIOD_START),
            }
        )
        tables["import_runs"].append(_import_run(b, brand.code, config))
        cust, customer_rows, orders = make_customers(
            np.random.default_rng([config.seed, b, 1]),
            config,
            brand,
            b,
            len(tables["customers"]) + 1,
        )
        all_customers.append(cust)
        tables["customers"] += customer_rows
        tables["orders"] += orders
        batches = brand_batches(np.random.default_rng([config.seed, b, 2]), config, brand, cust)
        fb = build_feedback(
            batches,
            brand=brand,
            cust=cust,
            first_id=len(tables["feedback"]) + 1,
            import_run_id=b,
            text_seed=config.seed * 1000 + b,
        )
        tables["feedback"] += fb.rows
        for target, parts in zip(
            scores, (fb.score_feedback, fb.score_metric, fb.score_value), strict=True
        ):
            target.extend(parts)
        text_truth += fb.text_truth
        pii += fb.pii
        build_cases(
            np.random.default_rng([config.seed, b, 3]),
            fb.complaint_seeds,
            brand=brand,
            brand_index=b,
            team_agents=staff.team_agents,
            team_ids=team_ids,
            first_id=len(cases.complaints) + 1,
            out=cases,
        )
        tables["kpi_measures"] += make_kpis(np.random.default_rng([config.seed, b, 4]), brand, b)
        tables["import_runs"][-1]["imported"] = len(fb.rows)
        tables["import_runs"][-1]["rows_done"] = len(fb.rows)
    tables["complaints"] = cases.complaints
    tables["complaint_events"] = cases.events
    data = DemoData(
        config=config,
        tables=tables,
        score_feedback=np.concatenate(scores[0]),
        score_metric=np.concatenate(scores[1]),
        score_value=np.concatenate(scores[2]),
        truth={},
        text_truth=text_truth,
        complaint_truth=[{"external_id": k, **v} for k, v in cases.truth.items()],
        customer_truth=_customer_truth(all_customers),
        seconds=0.0,
    )
    data.truth = _truth(config, data, all_customers, pii)
    data.seconds = time.perf_counter() - started
    return data


def _import_run(b: int, code: str, config: DemoConfig) -> dict[str, Any]:
    mark = fingerprint(config)
    return {
        "id": b,
        "brand_id": b,
        "kind": "demo",
        "source": "demo",
        "path": f"trustpulse demo --seed {config.seed} --scale {config.scale}",
        "file_sha256": content_hash({"brand": code, **mark}),
        "mapping": mark,
        "rows_done": 0,
        "imported": 0,
    }


def _customer_truth(all_customers: list[Customers]) -> list[dict[str, Any]]:
    out = []
    for cust in all_customers:
        brand = BRANDS[cust.brand_index - 1].code
        for i, ext in enumerate(cust.external_ids):
            out.append(
                {
                    "external_id": ext,
                    "brand": brand,
                    "trust": round(float(cust.trust[i]), 4),
                    "repurchased": bool(cust.repurchased[i]),
                }
            )
    return out


def _repurchase_truth(all_customers: list[Customers]) -> dict[str, Any]:
    trust = np.concatenate([c.trust for c in all_customers])
    bought = np.concatenate([c.repurchased for c in all_customers])
    cuts = np.quantile(trust, [1 / 3, 2 / 3])
    tercile = np.searchsorted(cuts, trust)
    p = sigmoid(REPURCHASE_ALPHA + REPURCHASE_BETA * trust)
    names = ("low", "middle", "high")
    return {
        "equation": "P(repurchase) = 1 / (1 + exp(-(alpha + beta * trust))),"
        " trust ~ N(tier mean, 1)",
        "alpha": REPURCHASE_ALPHA,
        "beta": REPURCHASE_BETA,
        "odds_ratio_per_sd": round(float(np.exp(REPURCHASE_BETA)), 4),
        "tercile_cuts": [round(float(c), 4) for c in cuts],
        "tercile_rates_model": {
            n: round(float(p[tercile == k].mean()), 4) for k, n in enumerate(names)
        },
        "tercile_rates_observed": {
            n: round(float(bought[tercile == k].mean()), 4) for k, n in enumerate(names)
        },
    }


def _truth(
    config: DemoConfig, data: DemoData, all_customers: list[Customers], pii: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        **fingerprint(config),
        "generator_version": GENERATOR_VERSION,
        "timezone": TIMEZONE,
        "period": {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat()},
        "brands": [
            {
                "code": b.code,
                "name_zh": b.name_zh,
                "name_en": b.name_en,
                "industry": b.industry,
                "products": [
                    {"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en} for p in b.products
                ],
            }
            for b in BRANDS
        ],
        "score_scales": SCORE_SCALES,
        "metrics": list(METRICS),
        "nps_model": {
            "equation": "nps = clip(round(intercept + sum(coef_k * tp_k) + trust_coef * trust"
            " + N(0, noise_sd)), 0, 10)",
            "intercept": NPS_INTERCEPT,
            "drivers": DRIVERS,
            "zero_coefficient": [m for m in TP_METRICS if m not in DRIVERS],
            "trust_coefficient": NPS_TRUST_COEF,
            "noise_sd": NPS_NOISE_SD,
            "halo_loading": HALO,
            "experience_trust_loading": EXPERIENCE_TRUST,
        },
        "repurchase_model": _repurchase_truth(all_customers),
        "crisis": {
            "brand": CRISIS.brand,
            "product": CRISIS.product,
            "start": CRISIS.start.isoformat(),
            "end": CRISIS.end.isoformat(),
            "month": CRISIS.start.strftime("%Y-%m"),
            "dip_end": (PERIOD_START + timedelta(days=DIP_END)).isoformat(),
            "extra_social_posts": config.crisis_posts(),
            "extra_complaints": config.crisis_complaints(),
            "trust_shock": CRISIS.trust_shock,
            "quality_shock": CRISIS.quality_shock,
            "root_cause": CRISIS_ROOT_CAUSE[0],
            "responsibility": CRISIS_ROOT_CAUSE[1],
        },
        "promotions": [
            {
                "name": p.name,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "volume_factor": p.volume_factor,
                "response_slowdown": p.response_slowdown,
            }
            for p in PROMOTIONS
        ],
        "pii": pii,
        "counts": data.counts(),
        "files": {
            "texts": "demo_truth_texts.jsonl",
            "complaints": "demo_truth_complaints.jsonl",
            "customers": "demo_truth_customers.jsonl",
        },
    }

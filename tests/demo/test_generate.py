"""The generator alone (no database): determinism, planted signals, PII, variety, volumes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest

from trustpulse.demo.generate import DemoData, generate
from trustpulse.demo.model import (
    CRISIS,
    DRIVERS,
    PII_SHARE,
    TP_METRICS,
    TZ_OFFSET,
    DemoConfig,
)
from trustpulse.demo.pii import is_valid_id_card, is_valid_luhn
from trustpulse.demo.voice import METRICS

SMALL = DemoConfig(seed=11, scale=0.03)


@pytest.fixture(scope="module")
def small() -> DemoData:
    return generate(SMALL)


def _local_month(row: dict[str, Any]) -> str:
    occurred: datetime = row["occurred_at"]
    return (occurred + TZ_OFFSET).strftime("%Y-%m")


def _score_matrix(data: DemoData, metrics: list[str]) -> np.ndarray:
    """Rows: survey feedback ids; columns: `metrics` (every survey has all of them)."""
    wanted = [METRICS.index(m) for m in metrics]
    ids = np.unique(data.score_feedback[data.score_metric == wanted[0]])
    matrix = np.empty((len(ids), len(wanted)))
    for j, m in enumerate(wanted):
        mask = data.score_metric == m
        order = np.argsort(data.score_feedback[mask])
        matrix[:, j] = data.score_value[mask][order]
    return matrix


def test_same_seed_gives_identical_truth_and_rows(small: DemoData) -> None:
    again = generate(SMALL)
    assert again.truth == small.truth
    assert again.tables == small.tables
    assert np.array_equal(again.score_value, small.score_value)
    assert again.text_truth == small.text_truth


def test_other_seed_gives_other_data(small: DemoData) -> None:
    other = generate(DemoConfig(seed=12, scale=SMALL.scale))
    assert other.truth["seed"] == 12
    texts = [r["text"] for r in small.tables["feedback"][:200]]
    assert texts != [r["text"] for r in other.tables["feedback"][:200]]


def test_crisis_spike_of_negative_posts_about_one_product_in_one_month(small: DemoData) -> None:
    negative = {
        t["external_id"]
        for t in small.text_truth
        if t["aspects"] and all(a["polarity"] == "negative" for a in t["aspects"])
    } | {t["external_id"] for t in small.text_truth if t["crisis"]}
    per_month = Counter(
        _local_month(r)
        for r in small.tables["feedback"]
        if r["kind"] == "social" and r["product"] == CRISIS.product and r["external_id"] in negative
    )
    crisis_month = CRISIS.start.strftime("%Y-%m")
    others = [n for month, n in per_month.items() if month != crisis_month]
    assert per_month[crisis_month] > 5 * max(others)


def test_crisis_brand_nps_dips_in_the_following_weeks(small: DemoData) -> None:
    start = CRISIS.start
    end = CRISIS.end + timedelta(days=CRISIS.aftermath_days)
    nps = dict(
        zip(
            small.score_feedback[small.score_metric == 0].tolist(),
            small.score_value[small.score_metric == 0].tolist(),
            strict=True,
        )
    )
    inside: list[float] = []
    outside: list[float] = []
    for row in small.tables["feedback"]:
        if row["brand_id"] != 1 or row["id"] not in nps:
            continue
        day = (row["occurred_at"] + TZ_OFFSET).date()
        (inside if start <= day <= end else outside).append(nps[row["id"]])
    assert np.mean(inside) < np.mean(outside) - 0.7


def test_the_three_true_drivers_have_the_largest_regression_coefficients(
    small: DemoData,
) -> None:
    matrix = _score_matrix(small, ["nps", *TP_METRICS])
    y, x = matrix[:, 0], matrix[:, 1:]
    design = np.column_stack([np.ones(len(y)), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0][1:]
    top3 = {TP_METRICS[i] for i in np.argsort(coef)[-3:]}
    assert top3 == set(DRIVERS)


def test_pii_is_planted_with_valid_checksums_and_exact_offsets(small: DemoData) -> None:
    texts = {r["external_id"]: r["text"] for r in small.tables["feedback"]}
    pii = small.truth["pii"]
    assert 0.5 * PII_SHARE < len(pii) / len(small.text_truth) < 2 * PII_SHARE
    for item in pii:
        assert texts[item["external_id"]][item["start"] : item["end"]] == item["value"]
    checks: dict[str, Callable[[str], bool]] = {
        "id_card": is_valid_id_card,
        "bank_card": is_valid_luhn,
        "mobile": lambda v: re.fullmatch(r"1[3-9]\d{9}", v) is not None,
        "landline": lambda v: re.fullmatch(r"0\d{2,3}-\d{7,8}", v) is not None,
        "plate": lambda v: re.fullmatch(r"[\u4e00-\u9fff][A-Z][0-9A-Z]{5}", v) is not None,
        "email": lambda v: re.fullmatch(r"[\w.]+@[\w.]+\.\w+", v) is not None,
    }
    for item in pii:
        assert checks[item["type"]](item["value"]), item


def test_known_id_card_and_luhn_check_digits() -> None:
    assert is_valid_id_card("11010519491231002X")
    assert not is_valid_id_card("110105194912310021")
    assert is_valid_luhn("4111111111111111")
    assert not is_valid_luhn("4111111111111112")


def test_texts_are_varied_and_mostly_chinese(small: DemoData) -> None:
    texts = [r["text"] for r in small.tables["feedback"] if r["text"]]
    assert len(set(texts)) / len(texts) >= 0.9
    english = sum(r["language"] == "en" for r in small.tables["feedback"])
    assert 0.1 < english / len(small.tables["feedback"]) < 0.3


def test_complaint_handling_is_ordered_and_mostly_closed(small: DemoData) -> None:
    complaints = small.tables["complaints"]
    states = Counter(str(c["state"]) for c in complaints)
    assert states["closed"] / len(complaints) > 0.8
    for c in complaints:
        stamps = [c["opened_at"], c["first_response_at"], c["resolved_at"], c["closed_at"]]
        present = [s for s in stamps if s is not None]
        assert present == sorted(present)
    share = len(complaints) / len(small.tables["feedback"])
    assert 0.05 <= share <= 0.12


def test_resolved_cases_carry_agent_replies_and_a_closed_loop(small: DemoData) -> None:
    """Resolving attributes the case and tells the customer; most loops are then closed by an
    improvement action (ours or shared) or "no action needed" (not ours), logged at that time;
    about seven in ten cases were resolved with one agent reply."""
    log: dict[int, list[dict[str, Any]]] = {}
    for event in small.tables["complaint_events"]:
        log.setdefault(event["complaint_id"], []).append(event)
    resolved = [c for c in small.tables["complaints"] if c["resolved_at"] is not None]
    first_contact = closed_loops = 0
    for c in resolved:
        assert c["attributed_at"] == c["customer_notified_at"] == c["resolved_at"]
        entries = log[c["id"]]
        assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
        until = next(i for i, e in enumerate(entries) if e["kind"] == "resolved")
        replies = [e for e in entries[:until] if e["kind"] == "replied"]
        assert replies
        assert all(e["data"] == {"author": "agent"} for e in replies)
        first_contact += len(replies) == 1
        if c["loop_closed_at"] is None:
            assert c["action_linked_at"] is None
            continue
        closed_loops += 1
        assert c["loop_closed_at"] == c["action_linked_at"] > c["resolved_at"]
        ours = c["responsibility"].value in ("ours", "shared")
        assert (c["improvement_ref"] is not None, c["no_action_reason"] is not None) == (
            ours,
            not ours,
        )
        kind = "improvement_linked" if ours else "no_action_needed"
        assert [e["at"] for e in entries if e["kind"] == kind] == [c["action_linked_at"]]
    assert 0.6 <= first_contact / len(resolved) <= 0.8
    assert 0.75 <= closed_loops / len(resolved) <= 0.9


def test_full_scale_meets_the_issue_minimums() -> None:
    data = generate(DemoConfig(seed=1, scale=1.0))
    counts = data.counts()
    assert counts["brands"] >= 2
    assert counts["customers"] >= 20_000
    assert counts["feedback"] >= 100_000
    ordered = {r["customer_id"] for r in data.tables["orders"]}
    assert len(ordered) == counts["customers"]
    assert counts["complaints"] / counts["feedback"] < 0.1
    # how long generating takes is a benchmark figure (docs/demo.md), not a test on a shared machine

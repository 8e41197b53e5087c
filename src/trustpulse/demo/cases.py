"""Complaint cases from complaint feedback: severity, team, owner, handling times, events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from trustpulse.complaints.models import ComplaintState, Responsibility, Severity
from trustpulse.demo.model import (
    CATEGORIES,
    CLOSE_MEDIAN_HOURS,
    COMPENSATION_SHARE,
    CRISIS,
    CRISIS_ROOT_CAUSE,
    FIRST_CONTACT_SHARE,
    FIRST_RESPONSE_MEDIAN_MIN,
    HANDLING_SIGMA,
    LOOP_LINKED_SHARE,
    LOOP_MEDIAN_DAYS,
    NOW,
    RESOLVE_MEDIAN_HOURS,
    ROOT_CAUSES,
    SOURCE,
    WAITING_ON_CUSTOMER_SHARE,
    BrandSpec,
    promotion_on,
)
from trustpulse.demo.records import content_hash
from trustpulse.demo.voice import CRISIS_START, DIP_END

SEVERITIES = (Severity.p1, Severity.p2, Severity.p3, Severity.p4)


@dataclass
class Cases:
    complaints: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    truth: dict[str, dict[str, Any]] = field(default_factory=dict)


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    result: np.ndarray = median * rng.lognormal(0.0, sigma, len(median))
    return result


def build_cases(
    rng: np.random.Generator,
    seeds: Sequence[dict[str, Any]],
    *,
    brand: BrandSpec,
    brand_index: int,
    team_agents: dict[tuple[int, int], list[int]],
    team_ids: dict[tuple[int, int], int],
    first_id: int,
    out: Cases,
) -> None:
    """Append one brand's complaints (ids from first_id) and their events to `out`.

    Handling times are lognormal around the severity's median, slower during promotions and
    the crisis; anything that would happen after model.NOW has not happened yet (open cases).
    """
    n = len(seeds)
    if n == 0:
        return
    crisis = np.array([s["crisis"] for s in seeds])
    sev = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for i, seed in enumerate(seeds):
        weights = np.cumsum(CATEGORIES[seed["category"]][1])
        sev[i] = min(int(np.searchsorted(weights / weights[-1], u[i], side="right")), 3)
    sev = np.where(crisis, np.where(u < 0.3, 0, 1), sev)
    slow = np.array(
        [
            (p.response_slowdown if (p := promotion_on(s["occurred_at"].date())) else 1.0)
            for s in seeds
        ]
    )
    day = np.array([s["opened_day"] for s in seeds])
    in_crisis = (brand.code == CRISIS.brand) & (day >= CRISIS_START) & (day <= DIP_END)
    slow = slow * np.where(in_crisis, 1.6, 1.0)
    open_delay = rng.uniform(1, 20, n)  # minutes from the customer's words to the case
    first_min = _lognormal(rng, np.array(FIRST_RESPONSE_MEDIAN_MIN)[sev], HANDLING_SIGMA) * slow
    resolve_h = _lognormal(rng, np.array(RESOLVE_MEDIAN_HOURS)[sev], HANDLING_SIGMA) * slow
    close_h = _lognormal(rng, np.full(n, CLOSE_MEDIAN_HOURS), 0.6)
    waiting = rng.random(n) < WAITING_ON_CUSTOMER_SHARE
    cause_u = rng.random(n)
    comp_u = rng.random(n)
    comp_amount = rng.lognormal(np.log(120.0), 0.8, n)
    owner_u = rng.random(n)
    extra_replies, loop_u, loop_days = _aftercare_draws(rng, sev)
    for i, seed in enumerate(seeds):
        cid = first_id + i
        external_id = f"cmp-{brand.code}-{i + 1:06d}"
        severity = SEVERITIES[sev[i]]
        category = str(seed["category"])
        team_no = CATEGORIES[category][2]
        agents = team_agents[(brand_index, team_no)]
        owner = (
            agents[0]
            if sev[i] == 0 and owner_u[i] < 0.3
            else agents[1 + int(owner_u[i] * (len(agents) - 1))]
        )
        cause, responsibility = _root_cause(category, bool(crisis[i]), float(cause_u[i]))
        opened = seed["occurred_at"] + timedelta(minutes=float(open_delay[i]))
        first = opened + timedelta(minutes=float(first_min[i]))
        resolved = first + timedelta(hours=float(resolve_h[i]))
        closed = resolved + timedelta(hours=float(close_h[i]))
        events = _timeline(
            opened,
            first,
            resolved,
            closed,
            owner=owner,
            waiting=bool(waiting[i]),
            extra_replies=int(extra_replies[i]),
        )
        state = events[-1][4]
        done = state in (ComplaintState.resolved, ComplaintState.closed)
        # a share of the resolved cases link an action; the others' loops stay open
        loop = (
            _loop(cause, responsibility, resolved, float(loop_days[i]))
            if done and loop_u[i] < LOOP_LINKED_SHARE
            else {}
        )
        events = _with_loop_entry(events, loop, owner=owner)
        ours = responsibility in ("ours", "shared")
        compensation = None
        if done and ours and comp_u[i] < COMPENSATION_SHARE:
            amount = comp_amount[i] * (3.0 if sev[i] == 0 else 1.0) * (4.0 if crisis[i] else 1.0)
            compensation = Decimal(f"{amount:.0f}.00")
        row = {
            "id": cid,
            "brand_id": brand_index,
            "customer_id": seed["customer_id"],
            "feedback_id": seed["feedback_id"],
            "source": SOURCE,
            "external_id": external_id,
            "title": seed["title"],
            "description": seed["text"],
            "category": category,
            "severity": severity,
            "channel": seed["channel"],
            "product": seed["product"].code,
            "region": seed["region"],
            "state": state,
            "team_id": team_ids[(brand_index, team_no)],
            "owner_id": owner if first <= NOW else None,
            "opened_at": opened,
            "first_response_at": first if first <= NOW else None,
            "resolved_at": resolved if resolved <= NOW else None,
            "closed_at": closed if state == ComplaintState.closed else None,
            # agents record the cause when they resolve; open cases do not know it yet
            "root_cause": cause if done else None,
            "responsibility": Responsibility(responsibility) if done else None,
            # resolving attributes the case and sends the customer the resolution notice
            "attributed_at": resolved if done else None,
            "customer_notified_at": resolved if done else None,
            "action_linked_at": loop.get("action_linked_at"),
            "improvement_ref": loop.get("improvement_ref"),
            "no_action_reason": loop.get("no_action_reason"),
            "loop_closed_at": loop.get("action_linked_at"),  # the last of the three steps
            "compensation_amount": compensation,
            "raw": {"feedback_external_id": seed["feedback_external_id"]},
            "version": 1,
            "created_at": opened,
            "updated_at": events[-1][1],
        }
        row["content_hash"] = content_hash(
            {
                "title": row["title"],
                "description": row["description"],
                "category": category,
                "severity": severity.value,
                "state": state.value,
                "opened_at": opened.isoformat(),
            }
        )
        out.complaints.append(row)
        out.events += _event_rows(cid, events, channel=seed["channel"], loop=loop)
        out.truth[external_id] = {
            "root_cause": cause,
            "responsibility": responsibility,
            "category": category,
            "severity": severity.value,
            "crisis": bool(crisis[i]),
            "feedback_external_id": seed["feedback_external_id"],
        }


Event = tuple[str, datetime, int | None, ComplaintState | None, ComplaintState]


def _timeline(
    opened: datetime,
    first: datetime,
    resolved: datetime,
    closed: datetime,
    *,
    owner: int,
    waiting: bool,
    extra_replies: int = 0,
) -> list[Event]:
    """The case's events (kind, at, actor, from, to) up to model.NOW; the last gives the state.

    A resolved case got the agent's answer just before it was resolved, and `extra_replies`
    more between the first response and that answer (0: resolved at first contact)."""
    events: list[Event] = [("opened", opened, None, None, ComplaintState.new)]
    if first > NOW:
        return events
    events.append(("acknowledged", first, owner, ComplaintState.new, ComplaintState.acknowledged))
    if resolved > NOW:
        if waiting:  # asked the customer for something, no answer yet
            asked = first + (NOW - first) / 2
            state = ComplaintState.waiting_on_customer
            events.append(("asked_customer", asked, owner, ComplaintState.acknowledged, state))
        return events
    acked = ComplaintState.acknowledged
    answer = resolved - timedelta(minutes=1)
    for k in range(1, extra_replies + 1):
        events.append(("replied", first + (answer - first) * k / (extra_replies + 1), owner,
                       acked, acked))  # fmt: skip
    events.append(("replied", max(answer, first), owner, acked, acked))
    events.append(("resolved", resolved, owner, acked, ComplaintState.resolved))
    if closed <= NOW:
        events.append(("closed", closed, owner, ComplaintState.resolved, ComplaintState.closed))
    return events


def _aftercare_draws(
    rng: np.random.Generator, sev: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agent replies beyond the answer, and the loop's chance and delay, per case. Drawn after
    everything else, so the cases stay what they were before generator version 2."""
    n = len(sev)
    first_contact = rng.random(n) < np.array(FIRST_CONTACT_SHARE)[sev]
    extra_replies = np.where(first_contact, 0, rng.integers(1, 3, n))
    return extra_replies, rng.random(n), rng.lognormal(np.log(LOOP_MEDIAN_DAYS), 0.9, n)


def _loop(cause: str, responsibility: str, resolved: datetime, days: float) -> dict[str, Any]:
    """The loop's last step: a corrective action linked where the company (partly) caused it,
    else "no action needed" with the reason; none if that would be after model.NOW."""
    linked = resolved + timedelta(days=days)
    if linked > NOW:
        return {}
    if responsibility in ("ours", "shared"):
        # a corrective-action number per root cause (shown on the case page: no codes)
        ref = (
            "AWH-60 阀门密封件召回" if cause == CRISIS_ROOT_CAUSE[0] else f"CAPA-{_CAPA[cause]:03d}"
        )
        return {"action_linked_at": linked, "improvement_ref": ref}
    return {"action_linked_at": linked, "no_action_reason": "原因不在我方，已向客户说明"}


_CAPA = {
    cause: n
    for n, cause in enumerate(sorted({c for rows in ROOT_CAUSES.values() for c, _, _ in rows}), 1)
}


def _with_loop_entry(events: list[Event], loop: dict[str, Any], *, owner: int) -> list[Event]:
    """The log with the loop's entry at its time (after a close, it is in the closed state)."""
    if not loop:
        return events
    at = loop["action_linked_at"]
    kind = "improvement_linked" if "improvement_ref" in loop else "no_action_needed"
    state = next(e[4] for e in reversed(events) if e[1] <= at)
    return sorted([*events, (kind, at, owner, state, state)], key=lambda e: e[1])


def _event_rows(
    cid: int, events: list[Event], *, channel: str, loop: dict[str, Any]
) -> list[dict[str, Any]]:
    return [
        {
            "complaint_id": cid,
            "seq": seq,
            "kind": kind,
            "at": at,
            "actor_id": actor,
            "from_state": None if before is None else str(before),
            "to_state": str(after),
            "note": loop.get("no_action_reason") if kind == "no_action_needed" else None,
            "channel": channel if kind in ("opened", "replied") else None,
            "data": _event_data(kind, loop),
            "recorded_at": at,
        }
        for seq, (kind, at, actor, before, after) in enumerate(events, start=1)
    ]


def _event_data(kind: str, loop: dict[str, Any]) -> dict[str, Any]:
    if kind == "replied":
        return {"author": "agent"}
    if kind in ("improvement_linked", "no_action_needed"):
        return {"improvement_ref": loop.get("improvement_ref")}
    return {}


def _root_cause(category: str, crisis: bool, u: float) -> tuple[str, str]:
    if crisis:
        return CRISIS_ROOT_CAUSE
    acc = 0.0
    options = ROOT_CAUSES[category]
    for cause, responsibility, p in options:
        acc += p
        if u < acc:
            return cause, responsibility
    return options[-1][0], options[-1][1]

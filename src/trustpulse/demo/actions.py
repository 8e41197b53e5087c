"""A few improvement actions for the demo company, so the improvements page has rows to show.

They follow the planted story (demo_truth.json "crisis"): aurora's AWH-60 valve-seal defect in
March 2026. Their verdicts are whatever the data says; no effect is planted for them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from trustpulse.metrics.actions import create_action

DEMO_ACTIONS: tuple[dict[str, object], ...] = (
    {
        "brand": "aurora",
        "problem": "AWH-60 valve seal leaks (design defect): recall and replace the seal",
        "metric": "nps",
        "root_cause": "design_defect_valve_seal",
        "owner": "quality",
        "impact": 9.0,
        "cost": 120_000.0,
        "expected_gain": 6.0,
        "status": "done",
        "start_date": date(2026, 3, 30),
        "due_date": date(2026, 5, 15),
        "done_date": date(2026, 5, 3),
    },
    {
        "brand": "aurora",
        "problem": "Hotline waits double during 618 and 双11: add seasonal agents",
        "metric": "csat",
        "root_cause": "staffing",
        "owner": "service",
        "impact": 6.0,
        "cost": 30_000.0,
        "expected_gain": 3.0,
        "status": "in_progress",
        "start_date": date(2026, 9, 1),
        "due_date": date(2026, 11, 30),
    },
    {
        "brand": "aurora",
        "problem": "Installation appointments missed: confirm by SMS the day before",
        "metric": "tp_installation",
        "owner": "logistics",
        "impact": 7.5,
        "cost": 5_000.0,
        "expected_gain": 0.4,
        "status": "open",
        "due_date": date(2027, 1, 31),
    },
    {
        "brand": "nimbus",
        "problem": "Return process unclear: one-page return guide in every parcel",
        "metric": "tp_return_process",
        "owner": "customer care",
        "impact": 5.0,
        "cost": 8_000.0,
        "expected_gain": 0.5,
        "status": "open",
        "due_date": date(2026, 12, 31),
    },
)


def plant_actions(session: Session) -> int:
    """Record the demo's improvement actions through the actions service; returns how many."""
    for fields in DEMO_ACTIONS:
        values = dict(fields)
        brand = str(values.pop("brand"))
        create_action(session, brand=brand, **values)
    return len(DEMO_ACTIONS)

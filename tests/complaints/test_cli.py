"""`trustpulse complaints list/show/assign/reply/resolve/sla recompute/metrics`: the contract."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from typer.testing import CliRunner

from tests.complaints.conftest import make_desk
from trustpulse.clock import ManualClock
from trustpulse.complaints import intake
from trustpulse.complaints.cli import app
from trustpulse.complaints.schemas import ComplaintCreate
from trustpulse.db import session_scope
from trustpulse.jobs.queue import InProcessBackend
from trustpulse.runtime import Runtime

METRIC_KEYS = {
    "group", "n", "first_response_attainment", "resolution_attainment", "fcr_rate",
    "reopen_rate", "median_resolution_hours", "p90_resolution_hours",
}  # fmt: skip


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _open(runtime: Runtime, n: int) -> list[int]:
    with session_scope(runtime.session_factory) as session:
        make_desk(session, brand="default")
        return [
            intake.open_complaint(
                session,
                ComplaintCreate(title=f"case {i}", severity="P1", category="billing"),
                brand="default",
                settings=runtime.settings,
            ).id
            for i in range(n)
        ]


def test_desk_commands_work_a_case_end_to_end(
    runtime: Runtime, jobs: InProcessBackend, clock: ManualClock
) -> None:
    first, second = _open(runtime, 2)
    assert [c["id"] for c in json.loads(run("list", "--json"))] == [first, second]
    run("assign", str(first), "wang-default", "--reason", "billing expert")
    run("reply", str(first), "we are on it", "--as", "wang-default")
    clock.advance(timedelta(hours=1))
    run("resolve", str(first), "--as", "wang-default", "--root-cause", "billing.double_charge",
        "--responsibility", "ours", "--summary", "refunded")  # fmt: skip
    shown = json.loads(run("show", str(first)))
    assert (shown["state"], shown["owner_id"], shown["responsibility"]) == (
        "resolved", shown["owner_id"], "ours",
    )  # fmt: skip
    assert "transferred" in [e["kind"] for e in shown["events"]]
    breaching = json.loads(run("list", "--breaching", "--json"))
    assert [c["id"] for c in breaching] == [second]  # 15 min first response long gone
    assert json.loads(run("sla", "recompute")) == {"recomputed": 2}
    rows = json.loads(run("metrics", "--by", "category", "--json"))
    assert len(rows) == 1
    assert rows[0].keys() >= METRIC_KEYS
    row = rows[0]
    assert (row["group"], row["n"], row["fcr_rate"], row["reopen_rate"]) == ("billing", 2, 1.0, 0.0)
    assert row["median_resolution_hours"] == row["p90_resolution_hours"] == 1.0
    # first response met on the first case (before 15 min), breached on the second
    assert row["first_response_attainment"] == 0.5
    assert row["resolution_attainment"] == 1.0
    assert {r["group"] for r in json.loads(run("metrics", "--json"))} == {"2025-06"}


def test_unknown_agent_is_a_user_error(runtime: Runtime, jobs: InProcessBackend) -> None:
    (first,) = _open(runtime, 1)
    result = CliRunner().invoke(app, ["reply", str(first), "hi", "--as", "nobody"])
    assert result.exit_code != 0

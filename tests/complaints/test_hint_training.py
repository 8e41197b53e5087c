"""Hint models trained on the desk's own attributions: `trustpulse complaints train-hints` and
`export-attributions` (issue #5: responsibility hints, trainable from the desk's labels)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from tests.complaints.conftest import Desk, make_desk
from tests.text.hint_fixtures import LABELLED
from trustpulse.complaints import intake, lifecycle
from trustpulse.complaints.cli import app
from trustpulse.complaints.schemas import ActorWrite, ComplaintCreate, ResolveRequest
from trustpulse.db import session_scope
from trustpulse.errors import InvalidInputError
from trustpulse.runtime import Runtime
from trustpulse.text.sentiment import load_model

# the fixture's labels as the desk records them: responsibility and a node of the cause tree
DESK_PARTY = {"ours": "ours", "customer_side": "customer", "external": "external"}
DESK_CAUSE = {
    "billing_error": "billing.double_charge",
    "customer_device": "customer.misuse",
    "fraud": "external.third_party",
}
PHONE = "13812345678"


def _resolved(runtime: Runtime, desk: Desk, rows: list[tuple[str, str, str]]) -> list[int]:
    """Open, acknowledge and resolve one complaint per (text, responsibility, cause)."""
    ids = []
    for text, party, cause in rows:
        with session_scope(runtime.session_factory) as session:
            case = intake.open_complaint(
                session, ComplaintCreate(description=text, severity="P3"), brand="default",
                settings=runtime.settings,
            )  # fmt: skip
            case = lifecycle.acknowledge_complaint(
                session, case.id, ActorWrite(version=case.version, actor_id=desk.wang),
                brand="default", settings=runtime.settings,
            )  # fmt: skip
            request = ResolveRequest(
                version=case.version, actor_id=desk.wang, root_cause=cause,
                responsibility=party, summary="done",
            )  # fmt: skip
            lifecycle.resolve_complaint(
                session, case.id, request, brand="default", settings=runtime.settings
            )
            ids.append(case.id)
    return ids


def _desk_history(runtime: Runtime) -> Desk:
    with session_scope(runtime.session_factory) as session:
        desk = make_desk(session, brand="default")
    _resolved(
        runtime,
        desk,
        [(t, DESK_PARTY[party], DESK_CAUSE[cause]) for t, party, cause in LABELLED],
    )
    return desk


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_models_trained_on_resolved_cases_suggest_the_desks_own_labels(
    runtime: Runtime, tmp_path: Path
) -> None:
    desk = _desk_history(runtime)
    _resolved(runtime, desk, [("our courier partner lost it", "supplier", "logistics.lost")] * 2)
    code, output = invoke("train-hints", "--out-dir", str(tmp_path), "--json")
    assert code == 0, output
    by_task = {row["task"]: row for row in json.loads(output)}
    party = by_task["responsibility"]
    assert party["trained"] is True
    assert party["classes"] == {"ours": 6, "customer": 6, "external": 6}
    # two supplier cases are too few to learn from: left out and said so, not dropped silently
    assert party["left_out"] == {"supplier": 2}
    cause = by_task["root_cause"]
    assert cause["left_out"] == {"logistics.lost": 2}
    model = load_model(Path(party["path"]))
    assert model.metrics["source"] == "complaint desk"
    texts = [text for text, _, _ in LABELLED]
    expected = [DESK_PARTY[p] for _, p, _ in LABELLED]
    assert [p.label for p in model.predict(texts)] == expected
    causes = load_model(Path(cause["path"])).predict(texts)
    assert [p.label for p in causes] == [DESK_CAUSE[c] for _, _, c in LABELLED]


def test_export_holds_settled_cases_only_with_personal_data_cut_out(
    runtime: Runtime, tmp_path: Path
) -> None:
    desk = _desk_history(runtime)
    (with_phone,) = _resolved(
        runtime, desk, [(f"you charged me twice, call me on {PHONE}", "ours", "billing.overcharge")]
    )
    with session_scope(runtime.session_factory) as session:
        intake.open_complaint(
            session, ComplaintCreate(description="still open, no attribution yet"),
            brand="default", settings=runtime.settings,
        )  # fmt: skip
    out = tmp_path / "attributions.csv"
    code, output = invoke("export-attributions", "--out", str(out))
    assert code == 0, output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(frame) == len(LABELLED) + 1
    assert "still open" not in " ".join(frame["text"])
    row = frame[frame["complaint_id"] == str(with_phone)].iloc[0]
    assert PHONE not in row["text"]
    assert "charged me twice" in row["text"]
    assert (row["responsibility"], row["root_cause"]) == ("ours", "billing.overcharge")


def test_too_few_attributions_is_a_clear_error_and_writes_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    with session_scope(runtime.session_factory) as session:
        desk = make_desk(session, brand="default")
    _resolved(runtime, desk, [(t, DESK_PARTY[p], DESK_CAUSE[c]) for t, p, c in LABELLED[:7]])
    result = CliRunner().invoke(app, ["train-hints", "--out-dir", str(tmp_path / "models")])
    # `trustpulse` prints a user error as one line (cli.main); here it arrives as the exception
    assert isinstance(result.exception, InvalidInputError)
    assert "no hint model trained from 7 attributed complaints" in result.exception.message
    assert "needs at least 2 responsibility labels" in result.exception.message
    assert not (tmp_path / "models").exists()

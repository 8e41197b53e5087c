"""Real exports (../shared/data): ServiceNow's event log and NYC 311 through the importer."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from trustpulse.complaints.calibration import agreement, fit_target
from trustpulse.complaints.cli import app
from trustpulse.complaints.models import Complaint, ComplaintSlaTarget, SlaTarget
from trustpulse.db import session_scope
from trustpulse.runtime import Runtime

pytestmark = pytest.mark.shared_data
ROOT = Path(__file__).resolve().parents[2]


def _collapse() -> Any:
    spec = importlib.util.spec_from_file_location(
        "servicenow_to_cases", ROOT / "scripts" / "servicenow_to_cases.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.collapse


def _cli(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


@pytest.mark.usefixtures("jobs", "clock")
def test_servicenow_incidents_reproduce_made_sla_under_fitted_targets(
    shared_data: Path,
    tmp_path: Path,
    runtime: Runtime,
    brand_config: Callable[[str, str, str], None],
) -> None:
    cases = _collapse()(shared_data / "servicenow_incident_event_log" / "incident_event_log.csv.gz")
    assert cases["external_id"].is_unique
    sample = cases[cases["severity"] == "P3"].head(400).reset_index(drop=True)
    hours = (
        pd.to_datetime(sample["resolved_at"].replace("", None))
        - pd.to_datetime(sample["opened_at"])
    ).dt.total_seconds() / 3600
    met = (sample["made_sla"] == "true").to_numpy()
    resolved = hours.notna().to_numpy()
    fit = fit_target("P3", hours[resolved].to_numpy(), met[resolved])
    minutes = max(1, round(fit.hours * 60))
    policy = {"name": "fit", "first_response": minutes, "next_reply": minutes,
              "resolution": minutes, "hours": "calendar"}  # fmt: skip
    brand_config("servicenow", "sla", yaml.safe_dump({"policies": [policy]}))
    csv = tmp_path / "cases.csv"
    sample.to_csv(csv, index=False)
    mapping = str(ROOT / "docs" / "mappings" / "servicenow_cases.yaml")
    summary = _cli("import", str(csv), "--brand", "servicenow", "--mapping", mapping, "--json")
    assert (summary["imported"], summary["rejected"]) == (400, 0)
    assert _cli("sla", "recompute", "--brand", "servicenow", "--bulk")["recomputed"] == 400
    with session_scope(runtime.session_factory) as session:
        rows = session.execute(
            select(Complaint.external_id, ComplaintSlaTarget.status, ComplaintSlaTarget.breached_at)
            .join(ComplaintSlaTarget, ComplaintSlaTarget.complaint_id == Complaint.id)
            .where(ComplaintSlaTarget.target == SlaTarget.resolution)
        ).all()
    ours = {ext: status.value == "fulfilled" and breached is None for ext, status, breached in rows}
    verdict = sample["external_id"].map(ours).to_numpy(dtype=bool)
    # where the source has a resolution time, our clock is exactly "resolved within the target"
    expected = (hours[resolved] <= minutes / 60).to_numpy()
    assert (verdict[resolved] == expected).all()
    result = agreement(verdict[resolved], met[resolved])
    assert result.kappa is not None
    assert result.kappa > 0.6
    assert not verdict[~resolved].any()  # no resolved_at: our resolution clock never stops


@pytest.mark.usefixtures("jobs", "clock")
def test_nyc311_requests_import_with_agency_as_category(
    shared_data: Path, runtime: Runtime
) -> None:
    path = shared_data / "nyc311_service_requests_samples" / "nyc311_samples.csv"
    mapping = str(ROOT / "docs" / "mappings" / "nyc311_complaints.yaml")
    summary = _cli("import", str(path), "--brand", "nyc311", "--mapping", mapping, "--json")
    source = pd.read_csv(path, dtype=str, keep_default_na=False)
    backwards = (source["closed_date"] != "") & (source["closed_date"] < source["created_date"])
    assert summary["rejected"] == int(backwards.sum())  # closed before created: refused
    assert summary["imported"] == len(source) - int(backwards.sum())
    with session_scope(runtime.session_factory) as session:
        nypd = session.scalar(
            select(Complaint).where(
                Complaint.external_id == "39573567", Complaint.source == "nyc311"
            )
        )
        assert nypd is not None
        assert (nypd.category, nypd.product) == ("NYPD", "Non-Emergency Police Matter")
        assert nypd.raw["due_date"] == "2018-06-26T18:58:54"

"""Responsibility hints in the pipeline: `text analyze` hints complaints once per model version."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.factories import make_brand
from tests.text.hint_fixtures import CUSTOMER, EXTERNAL, OURS, hints_yaml, train_hint_files
from trustpulse.complaints import intake
from trustpulse.complaints.models import ComplaintHint
from trustpulse.complaints.schemas import ComplaintCreate
from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.runtime import Runtime, set_runtime
from trustpulse.text import jobs as text_jobs
from trustpulse.text.cli import app
from trustpulse.text.config import HintSettings
from trustpulse.text.hints import load_hint_models


@pytest.fixture(scope="module")
def hint_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return train_hint_files(tmp_path_factory.mktemp("hint-models"))


@pytest.fixture
def acme_hints(runtime: Runtime, hint_files: dict[str, Path]) -> Iterator[Path]:
    """brands/acme/text.yaml naming the tiny hint models; the file, to rewrite."""
    folder = runtime.settings.effective_config_dir / "brands" / "acme"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "text.yaml").write_text(hints_yaml(hint_files), encoding="utf-8")
    yield folder / "text.yaml"
    shutil.rmtree(folder)


def _open(runtime: Runtime, texts: list[str], *, brand: str = "acme") -> list[int]:
    with session_scope(runtime.session_factory) as session:
        make_brand(session, code=brand)
        return [
            intake.open_complaint(
                session, ComplaintCreate(description=text), brand=brand, settings=runtime.settings
            ).id
            for text in texts
        ]


def _hints(runtime: Runtime) -> dict[int, ComplaintHint]:
    with session_scope(runtime.session_factory) as session:
        return {h.complaint_id: h for h in session.scalars(select(ComplaintHint))}


def _analyze(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("TRUSTPULSE_HOME", str(runtime.settings.home))
    monkeypatch.setenv("TRUSTPULSE_DATABASE_URL", runtime.settings.effective_database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["analyze", *args])
    finally:
        get_settings.cache_clear()
        set_runtime(runtime)
    assert result.exit_code == 0, result.output
    return result.output


def test_hint_models_name_the_customer_side_as_the_desk_does(hint_files: dict[str, Path]) -> None:
    models = load_hint_models(
        HintSettings(
            responsibility=str(hint_files["responsibility"]),
            root_cause=str(hint_files["root_cause"]),
        )
    )
    assert models is not None
    hints = models.hint([OURS, CUSTOMER, EXTERNAL])
    assert [h.responsibility for h in hints] == ["ours", "customer", "external"]
    assert [h.root_cause for h in hints] == ["billing_error", "customer_device", "fraud"]
    assert all(0.0 < (h.responsibility_score or 0) <= 1.0 for h in hints)


def test_no_hint_model_configured_means_no_hints(
    runtime: Runtime, home_with_default_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_hint_models(HintSettings()) is None
    _open(runtime, [OURS])
    output = _analyze(runtime, monkeypatch)
    assert "hinted" not in output
    assert _hints(runtime) == {}


def test_analyze_hints_each_complaint_once_per_model_version(
    runtime: Runtime,
    home_with_default_model: Path,
    acme_hints: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    ours, customer, external = _open(runtime, [OURS, CUSTOMER, EXTERNAL])
    _open(runtime, [OURS], brand="beta")  # no hint model for beta

    assert "hinted 3 complaints with" in _analyze(runtime, monkeypatch)
    stored = _hints(runtime)
    assert set(stored) == {ours, customer, external}
    assert stored[ours].responsibility == "ours"
    assert stored[ours].root_cause == "billing_error"
    assert stored[customer].responsibility == "customer"
    assert stored[external].root_cause == "fraud"
    assert 0.0 < (stored[ours].responsibility_score or 0) <= 1.0
    first_version = stored[ours].model_version

    assert "hinted 0 complaints" in _analyze(runtime, monkeypatch)
    assert {i: h.hinted_at for i, h in _hints(runtime).items()} == {
        i: h.hinted_at for i, h in stored.items()
    }

    acme_hints.write_text(hints_yaml(train_hint_files(tmp_path, variant="v2")), encoding="utf-8")
    assert "hinted 3 complaints" in _analyze(runtime, monkeypatch)
    again = _hints(runtime)
    assert {h.model_version for h in again.values()} != {first_version}
    assert again[ours].responsibility == "ours"


def test_the_scheduled_pipeline_job_hints_complaints_without_feedback(
    runtime: Runtime, acme_hints: Path
) -> None:
    (complaint,) = _open(runtime, [EXTERNAL])
    assert text_jobs.analyze() == 0  # no feedback text: nothing analysed, but hinted
    assert _hints(runtime)[complaint].responsibility == "external"
    assert text_jobs.analyze() == 0
    assert len(_hints(runtime)) == 1

"""Fixtures for importer tests: run an import against the committed test database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from trustpulse.feedback.models import Feedback
from trustpulse.imports.service import ImportSummary, run_import
from trustpulse.runtime import Runtime

Importer = Callable[..., ImportSummary]


@pytest.fixture
def do_import(runtime: Runtime) -> Importer:
    def _run(path: Path, kind: str = "survey", **kwargs: Any) -> ImportSummary:
        kwargs.setdefault("chunk_rows", runtime.settings.import_chunk_rows)
        return run_import(
            runtime.session_factory,
            path,
            kind=kind,
            rejects_dir=runtime.settings.rejects_dir,
            **kwargs,
        )

    return _run


def feedback_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Feedback)) or 0)


def assert_reconciles(summary: ImportSummary) -> None:
    total = summary.imported + summary.updated + summary.rejected + summary.duplicates
    assert summary.read == total

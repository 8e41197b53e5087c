"""Writes the ground truth next to the database: demo_truth.json plus JSON-lines sidecars."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trustpulse.demo.generate import DemoData

TRUTH_FILE = "demo_truth.json"


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")


def write_truth(directory: Path, data: DemoData) -> Path:
    """demo_truth.json (model, crisis, promotions, PII, counts) and the sidecars it names.

    Returns the path of demo_truth.json.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = data.truth["files"]
    _write_jsonl(directory / files["texts"], data.text_truth)
    _write_jsonl(directory / files["complaints"], data.complaint_truth)
    _write_jsonl(directory / files["customers"], data.customer_truth)
    path = directory / TRUTH_FILE
    truth = {**data.truth, "generation_seconds": round(data.seconds, 2)}
    path.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def read_truth(directory: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((directory / TRUTH_FILE).read_text(encoding="utf-8"))
    return result

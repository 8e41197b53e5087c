"""`trustpulse import` and `trustpulse complaints import`: the --json contract and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from trustpulse.complaints.cli import app as complaints_app
from trustpulse.errors import InvalidInputError
from trustpulse.imports.cli import register
from trustpulse.runtime import Runtime

HEADER = "编号,时间,内容,推荐意愿\n"


def make_app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    app.add_typer(complaints_app, name="complaints")
    return app


def test_json_summary_is_the_last_stdout_line(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(HEADER + "1,2026-03-05,好,9\n2,2026-03-05,差,11\n", encoding="utf-8")
    result = CliRunner().invoke(
        make_app(), ["import", str(path), "--kind", "survey", "--json", "--brand", "acme"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert {k: summary[k] for k in ("read", "imported", "updated", "rejected", "duplicates")} == {
        "read": 2,
        "imported": 1,
        "updated": 0,
        "rejected": 1,
        "duplicates": 0,
    }
    assert Path(summary["rejects_file"]).is_file()
    assert summary["resumed_from_row"] is None
    assert isinstance(summary["import_run_id"], int)


def test_plain_summary_shows_the_reconciliation(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(HEADER + "1,2026-03-05,好,9\n", encoding="utf-8")
    result = CliRunner().invoke(make_app(), ["import", str(path), "--kind", "survey"])
    assert result.exit_code == 0
    assert "read 1 = imported 1 + updated 0 + rejected 0 + duplicates 0" in result.stdout


def test_unreadable_file_fails_with_a_user_error(runtime: Runtime, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        make_app(), ["import", str(tmp_path / "nope.csv"), "--kind", "review", "--json"]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidInputError)  # the root prints it in red, exit 1


def test_complaints_import_is_import_kind_complaint(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("编号,受理时间,内容\nK1,2026-03-05 10:00,慢\n", encoding="utf-8")
    result = CliRunner().invoke(make_app(), ["complaints", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["imported"] == 1

"""Malformed inputs: each is rejected precisely (row, field, reason) and nothing is lost."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.imports.conftest import Importer, assert_reconciles, feedback_count
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.models import Feedback, Score
from trustpulse.imports.models import ImportReject

HEADER = "编号,客户ID,时间,内容,推荐意愿,满意度\n"


def write(tmp_path: Path, text: str, *, name: str = "f.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rejects(engine: Engine) -> list[tuple[int, str | None, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(ImportReject.row_number, ImportReject.field, ImportReject.reason).order_by(
                ImportReject.row_number
            )
        )
        return [(r, f, reason) for r, f, reason in rows]


def texts(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Feedback.external_id, Feedback.text)).all())


def test_gbk_file_is_detected_and_imported(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = (
        HEADER + "1,C1,2026-03-05 10:00,送餐很快，味道不错,9,5\n2,C2,2026-03-06 11:00,太慢了,3,2\n"
    )
    summary = do_import(write(tmp_path, body, encoding="gbk"), "survey")
    assert (summary.read, summary.imported, summary.rejected) == (2, 2, 0)
    assert texts(committed_engine)["1"] == "送餐很快，味道不错"


def test_named_encoding_is_used(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = HEADER + "1,C1,2026-03-05 10:00,好,9,5\n"
    summary = do_import(write(tmp_path, body, encoding="gb18030"), "survey", encoding="GBK")
    assert summary.imported == 1
    assert texts(committed_engine)["1"] == "好"


def test_utf8_bom_is_not_part_of_the_first_header(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = "\ufeff" + HEADER + "1,C1,2026-03-05 10:00,好,9,5\n"
    summary = do_import(write(tmp_path, body), "survey")
    assert summary.imported == 1
    assert set(texts(committed_engine)) == {"1"}


def test_missing_required_column_is_a_clear_error(do_import: Importer, tmp_path: Path) -> None:
    path = write(tmp_path, "编号,内容\n1,好\n")
    with pytest.raises(InvalidInputError, match="missing required column for review: occurred_at"):
        do_import(path, "review")


@pytest.mark.parametrize(("nps", "reason"), [("11", "got 11"), ("-1", "got -1")])
def test_nps_out_of_range_rejects_the_row(
    do_import: Importer, committed_engine: Engine, tmp_path: Path, nps: str, reason: str
) -> None:
    body = HEADER + f"1,C1,2026-03-05 10:00,好,9,5\n2,C2,2026-03-05 10:00,差,{nps},1\n"
    summary = do_import(write(tmp_path, body), "survey")
    assert_reconciles(summary)
    assert (summary.imported, summary.rejected) == (1, 1)
    [(row, field, text)] = rejects(committed_engine)
    assert (row, field) == (2, "nps")
    assert reason in text
    assert "0 to 10" in text
    assert summary.rejects_file is not None
    assert Path(summary.rejects_file).is_file()


def test_bad_date_rejects_the_row(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = HEADER + "1,C1,2026-02-30 10:00,好,9,5\n2,C2,yesterday,好,9,5\n3,C3,2026-03-01,好,9,5\n"
    summary = do_import(write(tmp_path, body), "survey")
    assert_reconciles(summary)
    assert summary.imported == 1
    assert [(r, f) for r, f, _ in rejects(committed_engine)] == [
        (1, "occurred_at"),
        (2, "occurred_at"),
    ]
    assert "'yesterday'" in rejects(committed_engine)[1][2]


def test_duplicate_ids_inside_one_file(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = (
        HEADER
        + "1,C1,2026-03-05 10:00,好,9,5\n"
        + "1,C1,2026-03-05 10:00,好,9,5\n"  # same content: duplicate
        + "1,C1,2026-03-05 10:00,改了,7,4\n"  # changed: update, earlier version kept
    )
    summary = do_import(write(tmp_path, body), "survey")
    assert_reconciles(summary)
    assert (summary.imported, summary.duplicates, summary.updated) == (1, 1, 1)
    assert texts(committed_engine) == {"1": "改了"}
    from trustpulse.imports.models import RecordVersion  # noqa: PLC0415

    with committed_engine.connect() as conn:
        [snapshot] = conn.scalars(select(RecordVersion.snapshot)).all()
        scores = dict(conn.execute(select(Score.metric, Score.value)).all())
    assert snapshot["text"] == "好"
    assert scores == {"nps": 7.0, "csat": 4.0}


@pytest.mark.parametrize("body", ["", "\n\n", "编号,时间,内容,推荐意愿\n"])
def test_empty_file_is_a_clear_error(do_import: Importer, tmp_path: Path, body: str) -> None:
    with pytest.raises(InvalidInputError, match=r"empty|no data rows"):
        do_import(write(tmp_path, body), "survey")


def test_one_megabyte_text_cell_survives(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    big = "长" * 350_000 + "x\r\ny" + "," * 10 + '""quoted""'
    body = HEADER + f'1,C1,2026-03-05 10:00,"{big}",9,5\n'
    summary = do_import(write(tmp_path, body), "survey")
    assert summary.imported == 1
    assert texts(committed_engine)["1"] == big.replace('""', '"')


def test_truncated_file_rejects_the_last_row_and_keeps_the_rest(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = HEADER + '1,C1,2026-03-05 10:00,好,9,5\n2,C2,2026-03-05 10:00,"cut off in the mid'
    summary = do_import(write(tmp_path, body), "survey")
    assert_reconciles(summary)
    assert (summary.read, summary.imported, summary.rejected) == (2, 1, 1)
    [(row, _field, reason)] = rejects(committed_engine)
    assert row == 2
    assert "unterminated quoted field" in reason


def test_wrong_number_of_fields_rejects_the_row(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = HEADER + "1,C1,2026-03-05 10:00,好,9,5\n2,C2,2026-03-05 10:00,好,9,5,extra\n"
    summary = do_import(write(tmp_path, body), "survey")
    assert (summary.imported, summary.rejected) == (1, 1)
    assert "expected 6 fields, found 7" in rejects(committed_engine)[0][2]


def test_formula_cell_is_stored_as_is_and_neutralised_in_rejects(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    formula = "=cmd|' /C calc'!A0"
    body = HEADER + f"1,C1,2026-03-05 10:00,{formula},9,5\n2,C2,2026-03-05 10:00,{formula},12,5\n"
    summary = do_import(write(tmp_path, body), "survey")
    assert texts(committed_engine)["1"] == formula
    assert summary.rejects_file is not None
    with open(summary.rejects_file, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["内容"] == "'" + formula
    assert rows[0]["row"] == "2"
    assert rows[0]["field"] == "nps"
    assert rows[0]["推荐意愿"] == "12"


def test_mixed_line_endings(do_import: Importer, committed_engine: Engine, tmp_path: Path) -> None:
    body = (
        HEADER.replace("\n", "\r\n")
        + '1,C1,2026-03-05 10:00,"line one\r\nline two",9,5\r\n'
        + '2,C2,2026-03-05 10:00,"a\nb",8,4\n'
        + "3,C3,2026-03-05 10:00,plain,7,3\r\n"
    )
    summary = do_import(write(tmp_path, body), "survey")
    assert (summary.read, summary.imported) == (3, 3)
    assert texts(committed_engine) == {"1": "line one\r\nline two", "2": "a\nb", "3": "plain"}


def test_na_and_null_strings_stay_text(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = HEADER + "1,C1,2026-03-05 10:00,NA,9,5\n2,C2,2026-03-05 10:00,null,9,5\n"
    do_import(write(tmp_path, body), "review")
    assert texts(committed_engine) == {"1": "NA", "2": "null"}
    assert feedback_count(committed_engine) == 2


def test_review_without_text_is_rejected(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = HEADER + "1,C1,2026-03-05 10:00,,9,5\n2,C2,2026-03-05 10:00,  ,9,5\n"
    summary = do_import(write(tmp_path, body), "review")
    assert summary.rejected == 2
    assert {(r, f) for r, f, _ in rejects(committed_engine)} == {(1, "text"), (2, "text")}


def test_survey_without_any_score_is_rejected(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    body = HEADER + "1,C1,2026-03-05 10:00,好,,\n"
    summary = do_import(write(tmp_path, body), "survey")
    assert summary.rejected == 1
    assert "at least one score" in rejects(committed_engine)[0][2]


def test_unreadable_file_is_a_clear_error(do_import: Importer, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        do_import(tmp_path / "missing.csv", "survey")

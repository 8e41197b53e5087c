"""Import runs: idempotence, updates, resume after a crash, dates, zones, formats, mappings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import delete, select, text
from sqlalchemy.engine import Engine

from tests.imports.conftest import Importer, assert_reconciles, feedback_count
from trustpulse.feedback.models import Feedback, Score
from trustpulse.imports import service as import_service
from trustpulse.imports.models import ImportRun, ImportStatus, RecordVersion

HEADER = "编号,客户ID,时间,内容,推荐意愿,满意度\n"


def survey_file(tmp_path: Path, rows: int, *, name: str = "s.csv", text: str = "好") -> Path:
    lines = [HEADER]
    for i in range(1, rows + 1):
        nps = "11" if i % 7 == 0 else str(i % 11)  # every 7th row is rejected
        lines.append(f"{i},C{i % 5},2026-03-{1 + i % 28:02d} 10:00,{text}{i},{nps},{1 + i % 5}\n")
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def table_contents(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        feedback = sorted(
            conn.execute(
                select(
                    Feedback.external_id,
                    Feedback.text,
                    Feedback.occurred_at,
                    Feedback.content_hash,
                    Feedback.raw,
                )
            ).all(),
            key=lambda r: r[0],
        )
        scores = sorted(
            conn.execute(
                select(Feedback.external_id, Score.metric, Score.value).join(
                    Score, Score.feedback_id == Feedback.id
                )
            ).all()
        )
    return {"feedback": [tuple(r) for r in feedback], "scores": [tuple(r) for r in scores]}


def test_reimport_of_same_file_adds_nothing(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    path = survey_file(tmp_path, 30)
    first = do_import(path)
    before = table_contents(committed_engine)
    second = do_import(path)
    assert_reconciles(first)
    assert (second.imported, second.updated, second.duplicates) == (0, 0, first.imported)
    assert second.rejected == first.rejected
    assert table_contents(committed_engine) == before


def test_changed_row_is_updated_and_earlier_version_kept(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    do_import(survey_file(tmp_path, 6, name="a.csv"), source="crm")
    summary = do_import(survey_file(tmp_path, 6, name="b.csv", text="改"), source="crm")
    assert (summary.updated, summary.imported, summary.duplicates) == (6, 0, 0)
    assert feedback_count(committed_engine) == 6
    with committed_engine.connect() as conn:
        versions = conn.execute(select(RecordVersion.entity, RecordVersion.snapshot)).all()
    assert len(versions) == 6
    assert {v.snapshot["text"] for v in versions} == {f"好{i}" for i in range(1, 7)}
    assert {v.entity for v in versions} == {"feedback"}


def test_interrupted_import_resumes_to_the_same_database(
    do_import: Importer, committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = survey_file(tmp_path, 50)
    reference = do_import(path, chunk_rows=8, source="ref")
    with committed_engine.begin() as conn:
        conn.execute(delete(Score))
        conn.execute(delete(Feedback))
    expected = None
    real_write = import_service.write_chunk
    calls = {"n": 0}

    def crash_on_third_chunk(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        real_write(*args, **kwargs)
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C after chunk 3 was written, before its commit

    monkeypatch.setattr(import_service, "write_chunk", crash_on_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        do_import(path, chunk_rows=8, source="s")
    with committed_engine.connect() as conn:
        run = conn.execute(select(ImportRun).where(ImportRun.source == "s")).one()
    assert (run.rows_done, run.status) == (16, ImportStatus.failed)
    monkeypatch.setattr(import_service, "write_chunk", real_write)
    resumed = do_import(path, chunk_rows=8, source="s")
    expected = (reference.read, reference.imported, reference.rejected, reference.duplicates)
    assert (resumed.read, resumed.imported, resumed.rejected, resumed.duplicates) == expected
    assert resumed.resumed_from_row == 16
    assert resumed.import_run_id == run.id
    after_resume = table_contents(committed_engine)
    with committed_engine.begin() as conn:
        conn.execute(delete(Score))
        conn.execute(delete(Feedback))
    do_import(path, chunk_rows=8, source="s2")
    assert table_contents(committed_engine) == after_resume


def test_completed_file_reimported_is_all_duplicate(do_import: Importer, tmp_path: Path) -> None:
    path = survey_file(tmp_path, 10)
    first = do_import(path, chunk_rows=3)
    again = do_import(path, chunk_rows=3)
    assert again.resumed_from_row is None
    assert again.import_run_id != first.import_run_id
    assert again.duplicates == first.imported


def test_day_first_and_month_first_decided_per_column(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    day_first = tmp_path / "dmy.csv"
    day_first.write_text(
        "编号,时间,内容,评分\n1,03/04/2026 10:00,a,5\n2,25/04/2026 10:00,b,5\n", encoding="utf-8"
    )
    month_first = tmp_path / "mdy.csv"
    month_first.write_text(
        "编号,时间,内容,评分\n1,03/04/2026 10:00,a,5\n2,04/25/2026 10:00,b,5\n", encoding="utf-8"
    )
    do_import(day_first, "review")
    do_import(month_first, "review")
    with committed_engine.connect() as conn:
        got = dict(
            conn.execute(
                select(Feedback.source, Feedback.occurred_at).where(Feedback.external_id == "1")
            ).all()
        )
    assert got["dmy.csv"] == datetime(2026, 4, 3, 2, 0, tzinfo=UTC)
    assert got["mdy.csv"] == datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def test_naive_times_are_brand_zone_and_offsets_are_honoured(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "tz.csv"
    path.write_text(
        "id,date,text,rating\n"
        "1,2026-03-05 10:00,naive,5\n"
        "2,2015-02-24 11:15:59 -0800,offset,5\n"
        "3,2026-03-05T10:00:00Z,utc,5\n",
        encoding="utf-8",
    )
    do_import(path, "review")
    with committed_engine.connect() as conn:
        got = dict(conn.execute(select(Feedback.external_id, Feedback.occurred_at)).all())
    assert got["1"] == datetime(2026, 3, 5, 2, 0, tzinfo=UTC)  # Asia/Shanghai is UTC+8
    assert got["2"] == datetime(2015, 2, 24, 19, 15, 59, tzinfo=UTC)
    assert got["3"] == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def test_xlsx_input(do_import: Importer, committed_engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "时间", "内容", "推荐意愿"])
    sheet.append([1, datetime(2026, 3, 5, 10, 0), "好", 9])  # noqa: DTZ001 -- a naive Excel cell
    sheet.append([2, "2026-03-06 10:00", "差", 11])
    path = tmp_path / "f.xlsx"
    book.save(path)
    summary = do_import(path, "survey")
    assert (summary.read, summary.imported, summary.rejected) == (2, 1, 1)
    with committed_engine.connect() as conn:
        row = conn.execute(select(Feedback.external_id, Feedback.occurred_at)).one()
    assert row == ("1", datetime(2026, 3, 5, 2, 0, tzinfo=UTC))


def test_jsonl_input(do_import: Importer, committed_engine: Engine, tmp_path: Path) -> None:
    lines = [
        {"id": "a", "time": "2026-03-05 10:00", "text": "good", "nps": 9, "extra": {"k": 1}},
        {"id": "b", "time": "2026-03-05 10:00", "text": "bad", "nps": 11},
        "not json",
        {"id": "c", "time": "2026-03-05 10:00", "text": "ok", "csat": 4},
    ]
    path = tmp_path / "f.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    summary = do_import(path, "survey")
    assert_reconciles(summary)
    assert (summary.read, summary.imported, summary.rejected) == (4, 2, 2)
    with committed_engine.connect() as conn:
        raw = conn.scalar(select(Feedback.raw).where(Feedback.external_id == "a"))
    assert raw == {"extra": '{"k": 1}'}


def test_mapping_file_with_extra_scores_and_defaults(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "No.,Who,When,Said,Likely,Speed,Notes\n"
        "1,C1,2026-03-05 10:00,fast,9,4,n1\n"
        "2,C2,2026-03-05 10:00,slow,8,9,n2\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns: {external_id: 'No.', customer_id: Who, occurred_at: When, text: Said,"
        " nps: Likely}\n"
        "scores: {delivery_speed: {column: Speed, scale: [1, 5]}}\n"
        "source: app-survey\nchannel: app\n",
        encoding="utf-8",
    )
    summary = do_import(path, "survey", mapping_path=mapping)
    assert (summary.imported, summary.rejected) == (1, 1)
    with committed_engine.connect() as conn:
        row = conn.execute(select(Feedback.source, Feedback.channel, Feedback.raw)).one()
        scores = dict(conn.execute(select(Score.metric, Score.value)).all())
    assert row == ("app-survey", "app", {"Notes": "n1"})
    assert scores == {"nps": 9.0, "delivery_speed": 4.0}


def test_chinese_headers_are_matched_automatically(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "zh.csv"
    path.write_text(
        "编号,客户ID,时间,渠道,内容,推荐意愿,满意度,评分,地区\n"
        "1,C1,2026-03-05 10:00,app,好,9,5,4,华东\n",
        encoding="utf-8",
    )
    do_import(path, "survey")
    with committed_engine.connect() as conn:
        row = conn.execute(
            select(Feedback.external_id, Feedback.channel, Feedback.text, Feedback.region)
        ).one()
        scores = dict(conn.execute(select(Score.metric, Score.value)).all())
    assert tuple(row) == ("1", "app", "好", "华东")
    assert scores == {"nps": 9.0, "csat": 5.0, "rating": 4.0}


def test_file_without_id_column_uses_content_hash(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "noid.csv"
    path.write_text("时间,内容\n2026-03-05,好\n2026-03-05,好\n2026-03-05,差\n", encoding="utf-8")
    summary = do_import(path, "review")
    assert (summary.imported, summary.duplicates) == (2, 1)
    with committed_engine.connect() as conn:
        ids = conn.scalars(select(Feedback.external_id)).all()
    assert all(i.startswith("sha256:") and len(i) == 71 for i in ids)


def test_a_large_run_refreshes_postgresql_planner_statistics(
    do_import: Importer, committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("ANALYZE is for PostgreSQL's planner")
    analysed = "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'scores'"

    def last_analyze() -> datetime | None:
        with committed_engine.connect() as conn:
            value = conn.scalar(text(analysed))
        assert value is None or isinstance(value, datetime)
        return value

    monkeypatch.setattr(import_service, "ANALYZE_AFTER_ROWS", 20)
    before = last_analyze()  # other tests may have analysed this database already
    small = do_import(survey_file(tmp_path, 10, name="small.csv"))
    assert small.imported < 20
    assert last_analyze() == before  # a small run leaves the statistics alone
    do_import(survey_file(tmp_path, 30, name="large.csv"))
    after = last_analyze()
    assert after is not None
    assert before is None or after > before

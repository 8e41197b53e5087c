"""Complaint and KPI imports: cases with their event log, and period-keyed measures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from tests.imports.conftest import Importer, assert_reconciles
from trustpulse.accounts.models import Team, User
from trustpulse.complaints.models import Complaint, ComplaintEvent, ComplaintState
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.imports.models import ImportReject, RecordVersion
from trustpulse.metrics.models import KpiMeasure


def test_complaint_import_builds_events_feedback_owner_and_team(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "投诉编号,客户ID,受理时间,首次响应时间,解决时间,关闭时间,投诉内容,严重程度,类别,负责人,团队\n"
        "K1,C1,2026-03-05 10:00,2026-03-05 10:10,2026-03-06 09:00,2026-03-07 09:00,"
        "外卖迟到一小时,P2,delivery,张三,客服一组\n"
        "K2,C2,2026-03-05 11:00,,,,,p1,system,Li Si,客服一组\n"
        "K3,C3,2026-03-05 11:00,2026-03-05 10:00,,,早于受理,P3,x,,\n"
        "K4,C4,2026-03-05 11:00,,,,,P9,x,,\n",
        encoding="utf-8",
    )
    summary = do_import(path, "complaint")
    assert_reconciles(summary)
    assert (summary.imported, summary.rejected) == (2, 2)
    with committed_engine.connect() as conn:
        complaints = {c.external_id: c for c in conn.execute(select(Complaint)).all()}
        events = conn.execute(
            select(ComplaintEvent.kind, ComplaintEvent.from_state, ComplaintEvent.to_state)
            .where(ComplaintEvent.complaint_id == complaints["K1"].id)
            .order_by(ComplaintEvent.seq)
        ).all()
        described = conn.execute(select(Feedback.id, Feedback.kind, Feedback.text)).one()
        users = set(conn.scalars(select(User.username)))
        teams = set(conn.scalars(select(Team.name)))
        reasons = dict(conn.execute(select(ImportReject.field, ImportReject.reason)).all())
    assert [tuple(e) for e in events] == [
        ("opened", None, "new"),
        ("acknowledged", "new", "acknowledged"),
        ("resolved", "acknowledged", "resolved"),
        ("closed", "resolved", "closed"),
    ]
    k1 = complaints["K1"]
    assert k1.state == ComplaintState.closed
    assert k1.severity.value == "P2"
    assert k1.opened_at == datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    assert k1.feedback_id == described.id
    assert (described.kind, described.text) == (FeedbackKind.complaint, "外卖迟到一小时")
    assert complaints["K2"].feedback_id is None
    assert complaints["K2"].state == ComplaintState.new
    assert users == {"张三", "li-si"}
    assert teams == {"客服一组"}
    assert reasons == {
        "first_response_at": "first_response_at is before opened_at",
        "severity": "severity must be one of P1, P2, P3, P4",
    }
    again = do_import(path, "complaint")
    assert (again.imported, again.duplicates) == (0, 2)


def test_complaint_update_rebuilds_events_and_keeps_version(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    header = "编号,受理时间,解决时间,内容\n"
    first = tmp_path / "a.csv"
    first.write_text(header + "K1,2026-03-05 10:00,,慢\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text(header + "K1,2026-03-05 10:00,2026-03-06 10:00,慢\n", encoding="utf-8")
    do_import(first, "complaint", source="crm")
    summary = do_import(second, "complaint", source="crm")
    assert summary.updated == 1
    with committed_engine.connect() as conn:
        complaint = conn.execute(select(Complaint)).one()
        kinds = conn.scalars(select(ComplaintEvent.kind).order_by(ComplaintEvent.seq)).all()
        entities = conn.scalars(select(RecordVersion.entity)).all()
    assert complaint.state == ComplaintState.resolved
    assert complaint.version == 2
    assert kinds == ["opened", "resolved"]
    assert "complaint" in entities


def test_kpi_import_keys_by_metric_scope_period(
    do_import: Importer, committed_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "k.csv"
    path.write_text(
        "指标,范围,周期,数值\n"
        "defect_rate,product:X,2026-03-05,0.02\n"
        "defect_rate,product:X,2026-W10,0.03\n"
        "availability,,2026-03,99.9\n"
        "availability,,2026Q1,99.8\n"
        "availability,,2026-13,99\n"
        "availability,,2026Q2,n/a\n",
        encoding="utf-8",
    )
    summary = do_import(path, "kpi")
    assert_reconciles(summary)
    assert (summary.imported, summary.rejected) == (4, 2)
    with committed_engine.connect() as conn:
        starts = dict(conn.execute(select(KpiMeasure.period, KpiMeasure.period_start)).all())
        scopes = set(conn.scalars(select(KpiMeasure.scope)))
    assert starts["2026-W10"] == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # Monday 2 March
    assert starts["2026Q1"] == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert scopes == {"product:X", "all"}
    changed = tmp_path / "k2.csv"
    changed.write_text("指标,范围,周期,数值\ndefect_rate,product:X,2026-03-05,0.05\n", "utf-8")
    again = do_import(changed, "kpi")
    assert again.updated == 1
    with committed_engine.connect() as conn:
        value = conn.scalar(select(KpiMeasure.value).where(KpiMeasure.period == "2026-03-05"))
    assert value == 0.05

"""Per-kind assembly and writing of a validated chunk (feedback, complaint, kpi)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from trustpulse.clock import utcnow
from trustpulse.complaints import service as complaints
from trustpulse.complaints.config import sla_config
from trustpulse.complaints.sla_bulk import recompute_bulk
from trustpulse.config import Settings
from trustpulse.feedback import service as feedback
from trustpulse.feedback.validation import Checked, Reject, feedback_rows
from trustpulse.metrics import service as metrics


@dataclass
class Counts:
    imported: int
    updated: int
    duplicates: int


def write(
    session: Session, checked: Checked, *, kind: str, brand_id: int, source: str, run_id: int | None
) -> tuple[Counts, list[Reject]]:
    """Finish validation for the kind, write the valid rows, and return counts and rejects."""
    if kind == "complaint":
        complaint_rows = complaints.complaint_rows(checked)
        case = complaints.upsert_complaints(
            session, complaint_rows, brand_id=brand_id, source=source, import_run_id=run_id
        )
        return Counts(case.imported, case.updated, case.duplicates), complaint_rows.rejects
    if kind == "kpi":
        kpi_rows = metrics.kpi_rows(checked)
        kpi = metrics.upsert_kpi_measures(
            session, kpi_rows, brand_id=brand_id, source=source, import_run_id=run_id
        )
        return Counts(kpi.imported, kpi.updated, kpi.duplicates), kpi_rows.rejects
    rows = feedback_rows(checked, kind=kind)
    result = feedback.upsert_feedback(
        session, rows, brand_id=brand_id, source=source, kind=kind, import_run_id=run_id
    )
    return Counts(result.imported, result.updated, result.duplicates), rows.rejects


def after_import(
    session: Session, *, kind: str, brand_id: int, brand: str, settings: Settings
) -> None:
    """Work a finished run owes the rest of the system.

    Imported complaints get their SLA clocks at once (otherwise a case unanswered for months
    would not show as breaching until someone ran `sla recompute`); the bulk recompute writes
    only cases whose clocks changed, so re-importing an unchanged file writes nothing.
    """
    if kind == "complaint":
        config = sla_config(settings, brand)
        recompute_bulk(session, brand_id=brand_id, config=config, now=utcnow())

"""Re-importing a case the desk has worked: the desk's work is kept, the file's facts noted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.complaints.events import append_event
from trustpulse.complaints.models import Complaint, ComplaintEvent, ComplaintState
from trustpulse.feedback import bulk

# A case worked in TrustPulse (any entry an agent, a customer or a rule wrote after the import)
# keeps its log, state, owner, team and handling times when its row is imported again: the
# desk's work is never overwritten by an older export. The file's other fields still update,
# and a `reimported` entry records where the file disagreed with the desk.
DESCRIPTIVE = (
    "customer_id",
    "content_hash",
    "description",
    "category",
    "severity",
    "channel",
    "product",
    "region",
    "raw",
    "import_run_id",
    "updated_at",
    "feedback_id",
)
_LIFECYCLE = ("state", "owner_id", "team_id", "first_response_at", "resolved_at", "closed_at")


def worked_cases(session: Session, complaint_ids: Sequence[int]) -> dict[int, Complaint]:
    """The cases among these whose log has entries beyond the import's (SLA entries aside)."""
    worked: set[int] = set()
    for start in range(0, len(complaint_ids), 5000):
        rows = session.execute(
            select(ComplaintEvent.complaint_id, ComplaintEvent.kind, ComplaintEvent.data).where(
                ComplaintEvent.complaint_id.in_(complaint_ids[start : start + 5000])
            )
        )
        for complaint_id, kind, data in rows:
            if not kind.startswith("sla_") and not (data or {}).get("imported"):
                worked.add(complaint_id)
    if not worked:
        return {}
    cases = session.scalars(select(Complaint).where(Complaint.id.in_(sorted(worked))))
    return {c.id: c for c in cases}


def note_reimports(
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    stored: Mapping[str, tuple[int, str]],
    worked: Mapping[int, Complaint],
    now: datetime,
) -> None:
    """One `reimported` entry per worked case: the lifecycle fields the file disagreed on."""
    for row in rows:
        case = worked[stored[row["external_id"]][0]]
        differs = {}
        for name in _LIFECYCLE:
            mine, theirs = getattr(case, name), row[name]
            mine = mine.value if isinstance(mine, ComplaintState) else mine
            theirs = theirs.value if isinstance(theirs, ComplaintState) else theirs
            if mine != theirs:
                differs[name] = {"kept": bulk.jsonable(mine), "file": bulk.jsonable(theirs)}
        append_event(
            session,
            case,
            "reimported",
            at=now,
            data={"imported": True, "import_run_id": row["import_run_id"], "not_applied": differs},
        )

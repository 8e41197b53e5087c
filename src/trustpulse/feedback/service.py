"""Feedback logic: bulk upsert of validated rows with their scores, brand-scoped reads, submit."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from trustpulse.customers import service as customers
from trustpulse.db import utcnow
from trustpulse.errors import InvalidInputError, NotFoundError
from trustpulse.feedback import bulk, bulk_postgres, bulk_sqlite
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.feedback.schemas import FeedbackCreate
from trustpulse.feedback.validation import FeedbackRows, check_common, feedback_rows

_TABLE = cast("Table", Feedback.__table__)


@dataclass
class UpsertResult:
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    ids: dict[str, int] = field(default_factory=dict)  # external_id -> feedback id (written rows)


def upsert_feedback(
    session: Session,
    rows: FeedbackRows,
    *,
    brand_id: int,
    source: str,
    kind: str,
    import_run_id: int | None = None,
) -> UpsertResult:
    """Insert new, update changed (keeping the earlier version), skip identical feedback rows.

    Natural key: (brand, source, external_id). Scores of an updated record are replaced. Runs
    in the caller's transaction; PostgreSQL stages rows with COPY, SQLite uses executemany.
    """
    frame = rows.rows
    if frame.empty:
        return UpsertResult()
    table = _TABLE
    stored = bulk.lookup_stored(
        session, table, brand_id=brand_id, source=source, keys=frame["external_id"]
    )
    plan = bulk.plan_upsert(frame["external_id"], frame["content_hash"], stored)
    result = UpsertResult(
        imported=plan.count(bulk.IMPORTED),
        updated=plan.count(bulk.UPDATED),
        duplicates=plan.count(bulk.DUPLICATE),
    )
    now = utcnow()
    stored_snapshot = _stored_snapshots(session, plan, stored)
    if len(plan.write):
        written = frame.iloc[plan.write].reset_index(drop=True)
        written_scores = {
            m: s.iloc[plan.write].reset_index(drop=True) for m, s in rows.scores.items()
        }
        replaced = [stored[k][0] for k in written["external_id"] if k in stored] if stored else []
        writer = (
            bulk_postgres.write_feedback
            if session.get_bind().dialect.name == "postgresql"
            else bulk_sqlite.write_feedback
        )
        result.ids = writer(
            session,
            written,
            written_scores,
            replaced=replaced,
            brand_id=brand_id,
            source=source,
            kind=kind,
            import_run_id=import_run_id,
            now=now,
        )
    ids = {**{k: v[0] for k, v in stored.items()}, **result.ids}
    bulk.record_versions(
        session,
        entity="feedback",
        plan=plan,
        ids=ids,
        stored=stored,
        stored_snapshot=stored_snapshot,
        chunk_snapshot=lambda i: _chunk_snapshot(frame, rows.scores, i),
        hashes=frame["content_hash"].tolist(),
        import_run_id=import_run_id,
        now=now,
    )
    return result


def _chunk_snapshot(
    frame: pd.DataFrame, scores: Mapping[str, pd.Series], index: int
) -> dict[str, Any]:
    """A chunk row as record_versions keeps it (only built for rows a later repeat replaces)."""
    row = frame.iloc[index].to_dict()
    snapshot = {str(k): bulk.jsonable(v) for k, v in row.items() if k not in {"raw", "row_number"}}
    snapshot["raw"] = json.loads(str(row["raw"]))
    values = {m: s.tolist()[index] for m, s in scores.items()}
    snapshot["scores"] = {m: float(v) for m, v in values.items() if not np.isnan(v)}
    return snapshot


def _stored_snapshots(
    session: Session, plan: bulk.Plan, stored: Mapping[str, tuple[int, str]]
) -> dict[int, dict[str, Any]]:
    ids = sorted({stored[k][0] for k, previous in plan.versions if previous < 0})
    snapshots = bulk.stored_snapshots(session, _TABLE, ids)
    if ids:
        for fid, metric, value in session.execute(
            select(Score.feedback_id, Score.metric, Score.value).where(Score.feedback_id.in_(ids))
        ):
            snapshots[fid].setdefault("scores", {})[metric] = value
    return snapshots


def list_feedback(
    session: Session,
    *,
    brand: str,
    channel: str | None = None,
    kind: FeedbackKind | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Feedback], int]:
    """One page of a brand's feedback, newest first, and the total matching count.

    `since` is inclusive and `until` exclusive; both must be time-zone aware.
    """
    brand_row = customers.get_brand(session, brand)
    query = select(Feedback).where(Feedback.brand_id == brand_row.id)
    if channel is not None:
        query = query.where(Feedback.channel == channel)
    if kind is not None:
        query = query.where(Feedback.kind == FeedbackKind(kind))
    if since is not None:
        query = query.where(Feedback.occurred_at >= since)
    if until is not None:
        query = query.where(Feedback.occurred_at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(Feedback.occurred_at.desc(), Feedback.id.desc()).limit(limit).offset(offset)
    )
    return list(page), total


def get_feedback(session: Session, feedback_id: int, *, brand: str) -> Feedback:
    """The feedback with this id in this brand; NotFoundError if missing or another brand's."""
    brand_row = customers.find_brand(session, brand)
    feedback = session.get(Feedback, feedback_id)
    if feedback is None or brand_row is None or feedback.brand_id != brand_row.id:
        raise NotFoundError(f"feedback {feedback_id} not found", id=feedback_id)
    return feedback


def scores_of(session: Session, feedback_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {fid: {} for fid in feedback_ids}
    if feedback_ids:
        for fid, metric, value in session.execute(
            select(Score.feedback_id, Score.metric, Score.value).where(
                Score.feedback_id.in_(list(feedback_ids))
            )
        ):
            out[fid][metric] = value
    return out


def submit_feedback(session: Session, data: FeedbackCreate, *, brand: str) -> Feedback:
    """Validate one record exactly as the importer does and store it (upsert by natural key).

    Raises InvalidInputError with row=1, field and reason for a value the importer would reject.
    """
    brand_row = customers.ensure_brand(session, brand)
    cells = data.cells()
    frame = pd.DataFrame([cells], dtype=object)
    checked = check_common(
        frame,
        [1],
        kind=data.kind,
        fields={name: name for name in cells},
        scores={},
        defaults={},
        extra=[],
        timezone=brand_row.timezone,
        date_orders={},
    )
    rows = feedback_rows(checked, kind=data.kind)
    if rows.rejects:
        reject = rows.rejects[0]
        raise InvalidInputError(
            reject.reason, row=reject.row_number, field=reject.field, reason=reject.reason
        )
    result = upsert_feedback(
        session, rows, brand_id=brand_row.id, source=data.source, kind=data.kind
    )
    key = str(rows.rows["external_id"].iat[0])
    feedback_id = (
        result.ids.get(key)
        or bulk.lookup_stored(
            session, _TABLE, brand_id=brand_row.id, source=data.source, keys=[key]
        )[key][0]
    )
    session.expire_all()
    feedback = session.get(Feedback, feedback_id)
    assert feedback is not None  # noqa: S101 -- just written in this transaction
    return feedback

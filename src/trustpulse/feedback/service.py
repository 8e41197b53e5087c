"""Feedback logic: bulk upsert of validated rows with their scores, brand-scoped reads, submit."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from trustpulse.customers import service as customers
from trustpulse.db import utcnow
from trustpulse.errors import InvalidInputError, NotFoundError
from trustpulse.feedback import bulk
from trustpulse.feedback.models import Feedback, FeedbackKind, Score
from trustpulse.feedback.schemas import FeedbackCreate
from trustpulse.feedback.validation import FeedbackRows, check_common, feedback_rows

FEEDBACK_COLUMNS = (
    "brand_id", "customer_id", "kind", "channel", "touchpoint", "occurred_at", "language", "text",
    "product", "region", "source", "external_id", "content_hash", "raw", "import_run_id",
    "created_at", "updated_at",
)  # fmt: skip
_UPDATED_ON_CONFLICT = [
    c for c in FEEDBACK_COLUMNS if c not in {"brand_id", "source", "external_id", "created_at"}
]

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
    if len(plan.write):
        written = frame.iloc[plan.write].reset_index(drop=True)
        written_scores = {
            m: s.iloc[plan.write].reset_index(drop=True) for m, s in rows.scores.items()
        }
        customer_ids = customers.customer_ids_by_external_id(
            session, brand_id, written["customer_ext"].tolist()
        )
        stored_snapshot = _stored_snapshots(session, plan, stored)
        columns = _columns(written, customer_ids, brand_id, source, kind, import_run_id, now)
        if session.get_bind().dialect.name == "postgresql":
            result.ids = _write_postgresql(session, columns)
        else:
            result.ids = _write_sqlite(session, columns, brand_id, source)
        replaced = [stored[k][0] for k in written["external_id"] if k in stored]
        _write_scores(session, written, written_scores, result.ids, replaced)
    else:
        stored_snapshot = _stored_snapshots(session, plan, stored)
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


def _columns(  # noqa: PLR0917 -- private; the constant parts of every written row
    written: pd.DataFrame,
    customer_ids: Mapping[str, int],
    brand_id: int,
    source: str,
    kind: str,
    import_run_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    n = len(written)
    return {
        "brand_id": [brand_id] * n,
        "customer_id": [customer_ids.get(c) if c else None for c in written["customer_ext"]],
        "kind": [kind] * n,
        "channel": written["channel"].tolist(),
        "touchpoint": bulk.none_list(written["touchpoint"]),
        "occurred_at": written["occurred_at"],
        "language": bulk.none_list(written["language"]),
        "text": bulk.none_list(written["text"]),
        "product": bulk.none_list(written["product"]),
        "region": bulk.none_list(written["region"]),
        "source": [source] * n,
        "external_id": written["external_id"].tolist(),
        "content_hash": written["content_hash"].tolist(),
        "raw": written["raw"].tolist(),
        "import_run_id": [import_run_id] * n,
        "created_at": now,
        "updated_at": now,
    }


def _write_sqlite(
    session: Session, columns: dict[str, Any], brand_id: int, source: str
) -> dict[str, int]:
    n = len(columns["external_id"])
    stamp = bulk.sqlite_timestamps(pd.Series([columns["created_at"]]))[0]
    values = dict(columns)
    values["occurred_at"] = bulk.sqlite_timestamps(columns["occurred_at"])
    values["created_at"] = values["updated_at"] = [stamp] * n
    names = ", ".join(FEEDBACK_COLUMNS)
    marks = ", ".join("?" for _ in FEEDBACK_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _UPDATED_ON_CONFLICT)
    sql = (
        f"INSERT INTO feedback ({names}) VALUES ({marks}) "  # noqa: S608 -- fixed column names
        f"ON CONFLICT (brand_id, source, external_id) DO UPDATE SET {updates}"
    )
    session.connection().exec_driver_sql(
        sql, list(zip(*(values[c] for c in FEEDBACK_COLUMNS), strict=True))
    )
    found = bulk.lookup_stored(
        session, _TABLE, brand_id=brand_id, source=source, keys=columns["external_id"]
    )
    return {k: v[0] for k, v in found.items()}


def _write_postgresql(session: Session, columns: dict[str, Any]) -> dict[str, int]:
    n = len(columns["external_id"])
    values = dict(columns)
    values["occurred_at"] = bulk.epoch_micros(columns["occurred_at"])
    now = columns["created_at"]
    values["created_at"] = values["updated_at"] = [now] * n
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    stage_cols = [c for c in FEEDBACK_COLUMNS if c not in {"created_at", "updated_at"}]
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS tp_stage_feedback ("
        "brand_id int, customer_id int, kind text, channel text, touchpoint text,"
        " occurred_at bigint, language text, text text, product text, region text, source text,"
        " external_id text, content_hash text, raw text, import_run_id int) ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE tp_stage_feedback")
    with cursor.copy(f"COPY tp_stage_feedback ({', '.join(stage_cols)}) FROM STDIN") as copy:
        for row in zip(*(values[c] for c in stage_cols), strict=True):
            copy.write_row(row)
    select_cols = [
        "timestamptz 'epoch' + occurred_at * interval '1 microsecond'"
        if c == "occurred_at"
        else ("raw::jsonb" if c == "raw" else c)
        for c in stage_cols
    ]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED_ON_CONFLICT)
    cursor.execute(
        f"INSERT INTO feedback ({', '.join(stage_cols)}, created_at, updated_at) "  # noqa: S608
        f"SELECT {', '.join(select_cols)}, %(now)s, %(now)s FROM tp_stage_feedback "
        f"ON CONFLICT (brand_id, source, external_id) DO UPDATE SET {updates} "
        "RETURNING external_id, id",
        {"now": now},
    )
    return dict(cursor.fetchall())


def _write_scores(
    session: Session,
    written: pd.DataFrame,
    scores: Mapping[str, pd.Series],
    ids: Mapping[str, int],
    replaced: Sequence[int],
) -> None:
    for start in range(0, len(replaced), 5000):
        session.execute(delete(Score).where(Score.feedback_id.in_(replaced[start : start + 5000])))
    feedback_ids = [ids[k] for k in written["external_id"]]
    rows: list[tuple[int, str, float]] = []
    for metric, series in scores.items():
        mask = series.notna().to_numpy()
        rows.extend(
            (fid, metric, float(v))
            for fid, v, keep in zip(feedback_ids, series.tolist(), mask, strict=True)
            if keep
        )
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy("COPY scores (feedback_id, metric, value) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        session.connection().exec_driver_sql(
            "INSERT INTO scores (feedback_id, metric, value) VALUES (?, ?, ?)", rows
        )


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

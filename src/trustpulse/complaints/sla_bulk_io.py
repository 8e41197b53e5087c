"""Fast reads and writes for bulk SLA recomputation (PostgreSQL: COPY; SQLite: executemany).

`read_frame` turns a SELECT into a DataFrame (on PostgreSQL through `COPY (…) TO STDOUT`,
several times faster than fetching rows). `write_targets` loads the recomputed clocks into a
temporary table and upserts `complaint_sla_targets` from it in one statement: what the
escalation runner recorded (warned_at, escalation_level, breached_at) is kept unless the cycle
changed, and a late fulfilment fills breached_at only if it was empty.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    insert,
    text,
)
from sqlalchemy.orm import Session

from trustpulse.db import UTCDateTime

_NONE = np.iinfo(np.int64).max
_COLUMNS = (
    "complaint_id", "target", "cycle", "policy", "calendar", "target_seconds", "started_at",
    "due_at", "paused_at", "paused_seconds", "fulfilled_at", "breached_at", "next_check_at",
    "status", "updated_at",
)  # fmt: skip
_TIMES = ("started_at", "due_at", "paused_at", "fulfilled_at", "breached_at", "next_check_at")
_TEMP = Table(
    "tmp_sla_bulk",
    MetaData(),
    Column("complaint_id", Integer),
    Column("target", String(20)),
    Column("cycle", Integer),
    Column("policy", String(80)),
    Column("calendar", String(80)),
    Column("target_seconds", Integer),
    *(Column(name, UTCDateTime) for name in _TIMES),
    Column("paused_seconds", Integer),
    Column("status", String(20)),
    Column("updated_at", UTCDateTime),
    prefixes=["TEMPORARY"],
)
_UPSERT = f"""
INSERT INTO complaint_sla_targets ({", ".join(_COLUMNS)}, warned_at, escalation_level)
SELECT {", ".join(_COLUMNS)}, NULL, 0 FROM tmp_sla_bulk WHERE true
ON CONFLICT (complaint_id, target) DO UPDATE SET
  policy = excluded.policy, calendar = excluded.calendar,
  target_seconds = excluded.target_seconds, started_at = excluded.started_at,
  due_at = excluded.due_at, paused_at = excluded.paused_at,
  paused_seconds = excluded.paused_seconds, fulfilled_at = excluded.fulfilled_at,
  status = excluded.status, next_check_at = excluded.next_check_at,
  updated_at = excluded.updated_at,
  warned_at = CASE WHEN complaint_sla_targets.cycle = excluded.cycle
                   THEN complaint_sla_targets.warned_at END,
  escalation_level = CASE WHEN complaint_sla_targets.cycle = excluded.cycle
                          THEN complaint_sla_targets.escalation_level ELSE 0 END,
  breached_at = CASE WHEN complaint_sla_targets.cycle = excluded.cycle
                     THEN COALESCE(complaint_sla_targets.breached_at, excluded.breached_at)
                     ELSE excluded.breached_at END,
  cycle = excluded.cycle
"""  # noqa: S608 -- only our own column names are interpolated
_POLICIES = """
UPDATE complaints SET sla_policy = p.policy, version = complaints.version + 1
FROM (SELECT DISTINCT complaint_id, policy FROM tmp_sla_bulk) AS p
WHERE complaints.id = p.complaint_id
  AND (complaints.sla_policy IS NULL OR complaints.sla_policy <> p.policy)
"""


def read_frame(session: Session, statement: Select[*tuple[Any, ...]]) -> pd.DataFrame:
    """The rows of a SELECT as a DataFrame (column names from the statement's labels)."""
    names = [c.name for c in statement.selected_columns]
    if session.get_bind().dialect.name != "postgresql":
        return pd.DataFrame([tuple(r) for r in session.execute(statement)], columns=names)
    dialect = session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()
    raw = _driver(session)
    with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    if buffer.getbuffer().nbytes == 0:
        return pd.DataFrame(columns=names)
    return pd.read_csv(buffer, header=None, names=names, keep_default_na=False, na_values=[""])


def _times(values: np.ndarray) -> pd.Series:
    series = pd.Series(values)
    stamps = pd.to_datetime(series.where(series != _NONE), unit="us", utc=True)
    return stamps


def write_targets(session: Session, rows: pd.DataFrame, *, now: datetime) -> int:
    """Upsert the clocks in `rows` and the complaints' matched policy; returns rows written."""
    frame = pd.DataFrame(
        {
            "complaint_id": rows["complaint_id"].astype(np.int64),
            "target": rows["target"],
            "cycle": 1,
            "policy": rows["policy"],
            "calendar": rows["clock"],
            "target_seconds": rows["target_seconds"].astype(np.int64),
            "started_at": _times(rows["start"].to_numpy()),
            "due_at": _times(rows["due_at"].to_numpy()),
            "paused_at": _times(rows["paused_at"].to_numpy()),
            "paused_seconds": (rows["paused"].to_numpy() // 1_000_000).astype(np.int64),
            "fulfilled_at": _times(rows["fulfilled"].to_numpy()),
            "breached_at": _times(rows["breached_at"].to_numpy()),
            "next_check_at": _times(rows["next_check_at"].to_numpy()),
            "status": rows["status"],
            "updated_at": pd.Timestamp(now),
        }
    )
    connection = session.connection()
    _TEMP.drop(connection, checkfirst=True)
    _TEMP.create(connection)
    if connection.dialect.name == "postgresql":
        _copy_in(session, frame)
    else:
        records: list[dict[str, Any]] = [
            {str(k): v for k, v in r.items()}
            for r in frame.astype(object).where(frame.notna(), None).to_dict("records")
        ]
        for record in records:
            for name in (*_TIMES, "updated_at"):
                if record[name] is not None:
                    record[name] = record[name].to_pydatetime()
        session.execute(insert(_TEMP), records)
    session.execute(text(_UPSERT))
    session.execute(text(_POLICIES))
    _TEMP.drop(connection)
    return len(frame)


def _copy_in(session: Session, frame: pd.DataFrame) -> None:
    out = frame.copy()
    for name in (*_TIMES, "updated_at"):
        out[name] = out[name].dt.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, header=False, na_rep="")
    columns = ", ".join(frame.columns)
    raw = _driver(session)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY tmp_sla_bulk ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        copy.write(buffer.getvalue())


def _driver(session: Session) -> Any:
    """The psycopg connection under the session's (for COPY)."""
    raw = session.connection().connection.driver_connection
    if raw is None:
        raise RuntimeError("no DBAPI connection for COPY")
    return raw

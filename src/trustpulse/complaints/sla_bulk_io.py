"""Fast reads and writes for bulk SLA recomputation (PostgreSQL: COPY; SQLite: executemany).

`read_frame` turns a SELECT into a DataFrame (on PostgreSQL through `COPY (…) TO STDOUT`,
several times faster than fetching rows); `read_targets` reads the stored clocks with times as
int64 microseconds, so the caller can keep only the rows that changed. `write_targets` loads
those into a temporary table and upserts `complaint_sla_targets` from it in one statement: what
the escalation runner recorded (warned_at, escalation_level, breached_at) is kept unless the
cycle changed, and a late fulfilment fills breached_at only if it was empty. On PostgreSQL the
times travel as integers (COPY of formatted timestamps cost more than the upsert itself) and
become timestamps in the upsert, exactly: `epoch + n × 1 µs` is integer arithmetic.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    cast,
    extract,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from trustpulse.complaints.models import Complaint, ComplaintSlaTarget
from trustpulse.complaints.sla_vector import from_micros, to_micros
from trustpulse.db import UTCDateTime

_NONE = np.iinfo(np.int64).max
_COLUMNS = (
    "complaint_id", "target", "cycle", "policy", "calendar", "target_seconds", "started_at",
    "due_at", "paused_at", "paused_seconds", "fulfilled_at", "breached_at", "next_check_at",
    "status", "updated_at",
)  # fmt: skip
TIMES = ("started_at", "due_at", "paused_at", "fulfilled_at", "breached_at", "next_check_at")


def _temp(time_type: Any) -> Table:
    return Table(
        "tmp_sla_bulk",
        MetaData(),
        Column("complaint_id", Integer),
        Column("target", String(20)),
        Column("cycle", Integer),
        Column("policy", String(80)),
        Column("calendar", String(80)),
        Column("target_seconds", Integer),
        *(Column(name, time_type) for name in TIMES),
        Column("paused_seconds", Integer),
        Column("status", String(20)),
        Column("updated_at", time_type),
        prefixes=["TEMPORARY"],
    )


_TEMP, _TEMP_MICROS = _temp(UTCDateTime), _temp(BigInteger)
_AS_TIME = "TIMESTAMPTZ 'epoch' + {0} * INTERVAL '1 microsecond' AS {0}"
_UPSERT = """
INSERT INTO complaint_sla_targets ({columns}, warned_at, escalation_level)
SELECT {select}, NULL, 0 FROM tmp_sla_bulk WHERE true
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
"""
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


def read_targets(session: Session, brand_id: int) -> pd.DataFrame:
    """The brand's stored clocks; times as int64 microseconds (NaN where none)."""
    t = ComplaintSlaTarget
    postgres = session.get_bind().dialect.name == "postgresql"

    def micros(column: Any) -> Any:
        return cast(extract("epoch", column) * 1_000_000, BigInteger) if postgres else column

    frame = read_frame(
        session,
        select(
            t.complaint_id,
            cast(t.target, String).label("target"),
            t.cycle,
            t.policy,
            t.calendar,
            t.target_seconds,
            t.paused_seconds,
            cast(t.status, String).label("status"),
            t.escalation_level,
            *(micros(getattr(t, name)).label(name) for name in (*TIMES, "warned_at")),
        )
        .join(Complaint, Complaint.id == t.complaint_id)
        .where(Complaint.brand_id == brand_id),
    )
    for name in (*TIMES, "warned_at"):
        if postgres:
            frame[name] = pd.to_numeric(frame[name])
        else:
            stamps = pd.to_datetime(frame[name], utc=True).dt.as_unit("us")
            frame[name] = stamps.astype("int64").where(stamps.notna())
    for name in ("complaint_id", "cycle", "target_seconds", "paused_seconds", "escalation_level"):
        frame[name] = pd.to_numeric(frame[name])
    return frame


def write_targets(session: Session, rows: pd.DataFrame, *, now: datetime) -> int:
    """Upsert the clocks in `rows` and the complaints' matched policy; returns rows written."""
    if rows.empty:
        return 0
    rows = rows.reset_index(drop=True)  # the changed rows keep their index; columns must align
    micros = {name: rows[source].to_numpy() for name, source in _SOURCES.items()}
    frame = pd.DataFrame(
        {
            "complaint_id": rows["complaint_id"].astype(np.int64),
            "target": rows["target"],
            "cycle": rows["cycle"].astype(np.int64),
            "policy": rows["policy"],
            "calendar": rows["clock"],
            "target_seconds": rows["target_seconds"].astype(np.int64),
            **{name: pd.Series(v).where(v != _NONE).astype("Int64") for name, v in micros.items()},
            "paused_seconds": (rows["paused"].to_numpy() // 1_000_000).astype(np.int64),
            "status": rows["status"],
            "updated_at": to_micros(now),
        }
    )
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    temp = _TEMP_MICROS if postgres else _TEMP
    temp.drop(connection, checkfirst=True)
    temp.create(connection)
    if postgres:
        _copy_in(session, frame)
        chosen = [_AS_TIME.format(c) if c in (*TIMES, "updated_at") else c for c in _COLUMNS]
    else:
        _insert(session, frame)
        chosen = list(_COLUMNS)
    session.execute(text(_UPSERT.format(columns=", ".join(_COLUMNS), select=", ".join(chosen))))
    session.execute(text(_POLICIES))
    temp.drop(connection)
    return len(frame)


_SOURCES = {
    "started_at": "start",
    "due_at": "due_at",
    "paused_at": "paused_at",
    "fulfilled_at": "fulfilled",
    "breached_at": "breached_at",
    "next_check_at": "next_check_at",
}


def _insert(session: Session, frame: pd.DataFrame) -> None:
    """SQLite: the temporary table through executemany, times as aware datetimes."""
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()}
        for r in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]
    for record in records:
        for name in (*TIMES, "updated_at"):
            if record[name] is not None:
                record[name] = from_micros(int(record[name]))
    session.execute(insert(_TEMP), records)


def _copy_in(session: Session, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="")
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

"""Reads and writes of the stored clocks for the bulk recompute (PostgreSQL: COPY).

`read_targets` reads the stored clocks with times as int64 microseconds and names as codes
(sla_bulk_copy.py), so the caller can keep only the rows that changed. `write_targets` loads
those into a temporary table and upserts `complaint_sla_targets` from it in one statement: what
the escalation runner recorded (warned_at, escalation_level, breached_at) is kept unless the
cycle changed, and a late fulfilment fills breached_at only if it was empty. On PostgreSQL the
times travel as integers (COPY of formatted timestamps cost more than the upsert itself) and
become timestamps in the upsert, exactly: `epoch + n × 1 µs` is integer arithmetic.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    case,
    cast,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from trustpulse.complaints.models import Complaint, ComplaintSlaTarget, SlaStatus
from trustpulse.complaints.sla_bulk_clocks import TARGETS
from trustpulse.complaints.sla_bulk_copy import HIGH, read_groups, split
from trustpulse.complaints.sla_vector import from_micros, to_micros
from trustpulse.db import UTCDateTime

Ints = npt.NDArray[np.int64]
_NONE = np.iinfo(np.int64).max
STATUSES = list(SlaStatus)  # a status's code is its index
_TARGETS = [t.value for t in TARGETS]
_LABEL = 1 << 24  # room for a policy or calendar code in a row's packed labels
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
_POLICY_TEMP = Table(
    "tmp_sla_policy",
    MetaData(),
    Column("complaint_id", Integer),
    Column("policy", String(80)),
    prefixes=["TEMPORARY"],
)
_POLICIES = """
UPDATE complaints SET sla_policy = p.policy, version = complaints.version + 1
FROM tmp_sla_policy AS p
WHERE complaints.id = p.complaint_id
  AND (complaints.sla_policy IS NULL OR complaints.sla_policy <> p.policy)
"""


@dataclass
class Stored:
    """The stored clocks of a brand: codes for strings (-1: a name not in use), times in µs
    (NONE: none)."""

    values: pd.DataFrame  # complaint_id, target, cycle, policy, calendar, status, …, TIMES
    keys: Ints  # complaint_id × 8 + target code, sorted; `order` maps them to `values` rows
    order: Ints

    def find(self, complaint_ids: Ints, targets: Ints) -> Ints:
        """The `values` row of each (complaint, target code); -1 where none is stored."""
        wanted = complaint_ids * 8 + targets
        if len(self.keys) == 0:
            return np.full(len(wanted), -1, dtype=np.int64)
        i = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        found: Ints = np.where(self.keys[i] == wanted, self.order[i], -1)
        return found


def read_targets(
    session: Session, brand_id: int | None, *, policies: Sequence[str], clocks: Sequence[str]
) -> Stored:
    """The stored clocks of a brand's cases (None: of all cases), with strings as codes of
    TARGETS, `policies`, `clocks` and STATUSES (coded in SQL, so that a row travels as
    integers only; see sla_bulk_copy.py)."""
    t = ComplaintSlaTarget

    def code(column: Any, names: Sequence[str]) -> Any:
        # 0: a name not in use here, which never equals a computed row's
        numbers = case({name: i + 1 for i, name in enumerate(names)}, value=column, else_=0)
        return cast(numbers, BigInteger)

    labels = (
        code(cast(t.status, String), [s.value for s in STATUSES])
        + 256 * code(t.policy, policies)
        + 256 * _LABEL * code(t.calendar, clocks)
    )
    statement = select(
        (cast(t.complaint_id, BigInteger) * 8 + code(cast(t.target, String), _TARGETS)).label(
            "key"
        ),
        labels.label("labels"),
        (cast(t.cycle, BigInteger) * HIGH + t.escalation_level).label("facts"),
        (cast(t.target_seconds, BigInteger) * HIGH + t.paused_seconds).label("seconds"),
        *(getattr(t, name) for name in (*TIMES, "warned_at")),
    )
    if brand_id is not None:
        statement = statement.join(Complaint, Complaint.id == t.complaint_id).where(
            Complaint.brand_id == brand_id
        )
    frame = read_groups(session, statement, keys=0).values
    key, labels = frame["key"].to_numpy(), frame["labels"].to_numpy()
    values = frame.drop(columns=["key", "labels", "facts", "seconds"]).assign(
        complaint_id=key // 8,
        target=key % 8 - 1,
        status=labels % 256 - 1,
        policy=labels // 256 % _LABEL - 1,
        calendar=labels // (256 * _LABEL) - 1,
    )
    values["cycle"], values["escalation_level"] = split(frame["facts"].to_numpy())
    values["target_seconds"], values["paused_seconds"] = split(frame["seconds"].to_numpy())
    keys = key - 1  # complaint_id × 8 + target code
    order = np.argsort(keys, kind="stable")
    return Stored(values, keys[order], order)


def write_targets(
    session: Session, rows: pd.DataFrame, *, policies: pd.DataFrame, now: datetime
) -> int:
    """Upsert the clocks in `rows`, set complaints.sla_policy from `policies` (complaint_id,
    policy); returns the clock rows written."""
    if not policies.empty:
        _set_policies(session, policies)
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
    temp.drop(connection)
    return len(frame)


def _set_policies(session: Session, policies: pd.DataFrame) -> None:
    connection = session.connection()
    _POLICY_TEMP.drop(connection, checkfirst=True)
    _POLICY_TEMP.create(connection)
    frame = pd.DataFrame(
        {"complaint_id": policies["complaint_id"].astype(np.int64), "policy": policies["policy"]}
    )
    if connection.dialect.name == "postgresql":
        _copy_in(session, frame, _POLICY_TEMP.name)
    else:
        records = [
            {"complaint_id": int(i), "policy": str(p)}
            for i, p in zip(frame["complaint_id"], frame["policy"], strict=True)
        ]
        session.execute(insert(_POLICY_TEMP), records)
    session.execute(text(_POLICIES))
    _POLICY_TEMP.drop(connection)


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


def _copy_in(session: Session, frame: pd.DataFrame, table: str = "tmp_sla_bulk") -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="")
    columns = ", ".join(frame.columns)
    raw = _driver(session)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        copy.write(buffer.getvalue())


def _driver(session: Session) -> Any:
    """The psycopg connection under the session's (for COPY)."""
    raw = session.connection().connection.driver_connection
    if raw is None:
        raise RuntimeError("no DBAPI connection for COPY")
    return raw

"""Reads and writes of the stored clocks for the bulk recompute (PostgreSQL: COPY).

`read_targets` reads the stored clocks with times as int64 microseconds and names as codes
(sla_bulk_copy.py), so the caller can keep only the rows that changed. `write_targets` writes
those: on PostgreSQL the clocks that had no stored row go straight into
`complaint_sla_targets` by binary COPY (names sent as text, no time as NULL, so nothing is
formatted or parsed), and the others are loaded into a temporary table (names as codes, no
time as 'infinity') and upserted from it; SQLite takes the temporary table by executemany,
inserts the new clocks and upserts the rest. The upsert keeps what the escalation runner
recorded (warned_at, escalation_level, breached_at) unless the cycle changed, and a late
fulfilment fills breached_at only if it was empty. Most of a cold run is then the insert
itself: per row, two index entries (three for a running clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    case,
    cast,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustpulse.complaints.models import Complaint, ComplaintSlaTarget, SlaStatus
from trustpulse.complaints.sla_bulk_clocks import TARGETS
from trustpulse.complaints.sla_bulk_copy import (
    HIGH,
    in_background,
    prepare_groups,
    split,
    write_binary,
)
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


def _temp(*, names: bool) -> Table:
    """PostgreSQL: codes and timestamps ('infinity' for none), loaded by binary COPY; the
    upsert looks the names up. SQLite: names and timestamps, loaded by executemany."""
    code = String(80) if names else Integer
    time = UTCDateTime if names else DateTime(timezone=True)
    return Table(
        "tmp_sla_bulk",
        MetaData(),
        Column("complaint_id", Integer),
        Column("target", code),
        Column("cycle", Integer),
        Column("policy", code),
        Column("calendar", code),
        Column("target_seconds", Integer),
        *(Column(name, time) for name in TIMES),
        Column("paused_seconds", Integer),
        Column("status", code),
        Column("updated_at", time),
        Column("is_new", Integer),  # 1: no row was stored for it when the stored ones were read
        prefixes=["TEMPORARY"],
    )


_TEMP_NAMES, _TEMP_CODES = _temp(names=True), _temp(names=False)
_CODED = {"target": "targets", "policy": "policies", "calendar": "clocks", "status": "statuses"}
_FROM_CODES = [
    f"(CAST(:{_CODED[c]} AS VARCHAR[]))[{c}]"
    if c in _CODED
    else f"NULLIF({c}, 'infinity')"
    if c in TIMES
    else c
    for c in _COLUMNS
]
# SQLite: clocks no stored row had, by a plain INSERT (on PostgreSQL, where this was about half
# the cost of the upsert's speculative insertion, they are copied in directly: `_copy_new`)
_INSERT_NEW = """
INSERT INTO complaint_sla_targets ({columns}, warned_at, escalation_level)
SELECT {select}, NULL, 0 FROM tmp_sla_bulk WHERE is_new = 1
"""
_UPSERT = """
INSERT INTO complaint_sla_targets ({columns}, warned_at, escalation_level)
SELECT {select}, NULL, 0 FROM tmp_sla_bulk WHERE {which}
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
    session: Session,
    brand_id: int | None,
    spans: Sequence[tuple[int, int] | None],
    *,
    policies: Sequence[str],
    clocks: Sequence[str],
) -> Future[Stored]:
    """The stored clocks of a brand's cases (None: of all cases), a range of complaint ids at a
    time, with strings as codes of TARGETS, `policies`, `clocks` and STATUSES (coded in SQL, so
    that a row travels as integers only; see sla_bulk_copy.py).

    Read in the background on PostgreSQL: leave the session alone until the future is done.
    """
    t = ComplaintSlaTarget

    def code(column: Any, names: Sequence[str]) -> Any:
        # 0: a name not in use here, which never equals a computed row's
        if not names:  # a CASE needs a WHEN
            return cast(literal(0), BigInteger)
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
    # most clocks were never paused, warned or breached, and are no longer checked
    sparse = ("paused_at", "breached_at", "next_check_at", "warned_at")
    reads = [
        prepare_groups(
            session,
            statement if span is None else statement.where(t.complaint_id.between(*span)),
            keys=0,
            sparse=sparse,
        )
        for span in spans
    ]
    return in_background(
        session, lambda: _stored(pd.concat([r().values for r in reads], ignore_index=True))
    )


def _stored(frame: pd.DataFrame) -> Stored:
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
    session: Session,
    rows: pd.DataFrame,
    *,
    policies: Sequence[str],
    clocks: Sequence[str],
    now: datetime,
) -> int:
    """Upsert the clocks in `rows`; returns the clock rows written. `rows["stored"]`: whether
    a row was stored for the clock when the stored ones were read; those that were not are
    inserted plainly, unless someone wrote one since (a case worked during the recompute),
    then they are upserted like the rest.

    Names come as codes: of TARGETS, `policies`, `clocks` and STATUSES.
    """
    names = {
        "targets": _TARGETS,
        "policies": list(policies),
        "clocks": list(clocks),
        "statuses": [s.value for s in STATUSES],
    }
    if rows.empty:
        return 0
    # in index order, each insert lands where the previous one did
    rows = rows.iloc[np.lexsort((rows["target"].to_numpy(), rows["complaint_id"].to_numpy()))]
    postgres = session.connection().dialect.name == "postgresql"
    new = ~rows["stored"].to_numpy(bool)
    upsert_all = False
    if postgres and new.any():
        try:
            with session.begin_nested():
                _copy_new(session, rows[new], names, now)
        except psycopg.errors.UniqueViolation:
            upsert_all = True  # a case wrote one of these clocks since it was read
        else:
            if new.all():
                return len(rows)
    kept = rows if upsert_all or not postgres else rows[~new]
    values: dict[str, tuple[str, Ints]] = {
        "complaint_id": ("int4", kept["complaint_id"].to_numpy()),
        "target": ("int4", kept["target"].to_numpy() + 1),
        "cycle": ("int4", kept["cycle"].to_numpy()),
        "policy": ("int4", kept["policy"].to_numpy() + 1),
        "calendar": ("int4", kept["clock"].to_numpy() + 1),
        "target_seconds": ("int4", kept["target_seconds"].to_numpy()),
        **{name: ("time", kept[source].to_numpy()) for name, source in _SOURCES.items()},
        "paused_seconds": ("int4", kept["paused"].to_numpy() // 1_000_000),
        "status": ("int4", kept["status"].to_numpy() + 1),
        "updated_at": ("time", np.full(len(kept), to_micros(now), dtype=np.int64)),
        "is_new": ("int4", (~kept["stored"].to_numpy(bool)).astype(np.int64)),
    }
    temp = _fresh_temp(session, _TEMP_CODES if postgres else _TEMP_NAMES)
    if postgres:
        write_binary(session, temp.name, values)
        select, parameters = _FROM_CODES, names
    else:
        _insert(session, values, names)
        select, parameters = list(_COLUMNS), {}
    columns, picked = ", ".join(_COLUMNS), ", ".join(select)
    which = "is_new = 0"
    if postgres:
        which = "true"  # the new ones went in above, unless they are here to be upserted
    else:
        try:
            with session.begin_nested():
                session.execute(
                    text(_INSERT_NEW.format(columns=columns, select=picked)), parameters
                )
        except IntegrityError:
            which = "true"  # written since it was read: upsert them too
    upsert = _UPSERT.format(columns=columns, select=picked, which=which)
    session.execute(text(upsert), parameters)
    temp.drop(session.connection())
    return len(rows)


def _copy_new(
    session: Session, rows: pd.DataFrame, names: dict[str, list[str]], now: datetime
) -> None:
    """PostgreSQL: the clocks no stored row had, straight into complaint_sla_targets by binary
    COPY. The insert itself is what costs (heap and two indexes: 4.3 s for 2.06 M rows in
    psql); going through the temporary table had added a second COPY and an INSERT … SELECT
    (together 1.3-1.7 s more on the server)."""
    none = np.full(len(rows), _NONE, dtype=np.int64)
    values: dict[str, tuple[str, Ints]] = {
        "complaint_id": ("int4", rows["complaint_id"].to_numpy()),
        "target": ("name", rows["target"].to_numpy()),
        "cycle": ("int4", rows["cycle"].to_numpy()),
        "policy": ("name", rows["policy"].to_numpy()),
        "calendar": ("name", rows["clock"].to_numpy()),
        "target_seconds": ("int4", rows["target_seconds"].to_numpy()),
        **{name: ("time?", rows[source].to_numpy()) for name, source in _SOURCES.items()},
        "paused_seconds": ("int4", rows["paused"].to_numpy() // 1_000_000),
        "status": ("name", rows["status"].to_numpy()),
        "updated_at": ("time", np.full(len(rows), to_micros(now), dtype=np.int64)),
        "warned_at": ("time?", none),
        "escalation_level": ("int4", np.zeros(len(rows), dtype=np.int64)),
    }
    coded = {"target": "targets", "policy": "policies", "calendar": "clocks", "status": "statuses"}
    write_binary(
        session,
        ComplaintSlaTarget.__tablename__,
        values,
        names={column: names[list_name] for column, list_name in coded.items()},
    )


_SOURCES = {
    "started_at": "start",
    "due_at": "due_at",
    "paused_at": "paused_at",
    "fulfilled_at": "fulfilled",
    "breached_at": "breached_at",
    "next_check_at": "next_check_at",
}


def _fresh_temp(session: Session, temp: Table) -> Table:
    """`temp` (coded columns for binary COPY on PostgreSQL, names for SQLite's executemany),
    created empty."""
    connection = session.connection()
    temp.drop(connection, checkfirst=True)
    temp.create(connection)
    return temp


def _insert(
    session: Session, values: dict[str, tuple[str, Ints]], names: dict[str, list[str]]
) -> None:
    """SQLite: the temporary table through executemany, with names and aware datetimes."""
    columns: dict[str, list[Any]] = {}
    for name, (kind, numbers) in values.items():
        if name in _CODED:
            lookup = names[_CODED[name]]
            columns[name] = [lookup[int(n) - 1] for n in numbers]
        elif kind == "time":
            columns[name] = [None if n == _NONE else from_micros(int(n)) for n in numbers]
        else:
            columns[name] = [int(n) for n in numbers]
    records = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    session.execute(insert(_TEMP_NAMES), records)

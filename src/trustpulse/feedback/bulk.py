"""Keyed bulk writes: which rows of a chunk are new, changed or duplicate, and dialect helpers.

Shared by the feedback, complaint and KPI writers. A natural key seen again with the same
content hash is a duplicate; with a different hash it is an update whose earlier version goes to
`record_versions`. The same rule applies to repeats inside one chunk, in file order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from trustpulse.imports.models import RecordVersion

IMPORTED, UPDATED, DUPLICATE = "imported", "updated", "duplicate"
_LOOKUP_BATCH = 5000


@dataclass
class Plan:
    status: np.ndarray  # per row: imported | updated | duplicate
    write: np.ndarray  # row positions to write: the last occurrence of each new or changed key
    # per updated row: (its key, position of the previous version in the chunk or -1: stored)
    versions: list[tuple[str, int]]

    def count(self, status: str) -> int:
        return int((self.status == status).sum())


def plan_upsert(keys: pd.Series, hashes: pd.Series, stored: Mapping[str, tuple[int, str]]) -> Plan:
    """Classify each row against the stored record and earlier rows of the chunk with its key."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "hash": hashes.to_numpy()})
    n = len(frame)
    stored_hash = frame["key"].map({k: h for k, (_id, h) in stored.items()})
    if not frame["key"].duplicated().any():  # the usual chunk: no key repeats within it
        status = np.where(
            stored_hash.isna(),
            IMPORTED,
            np.where(stored_hash == frame["hash"], DUPLICATE, UPDATED),
        )
        keys_list = frame["key"].astype(str).tolist()
        versions = [(keys_list[i], -1) for i in np.flatnonzero(status == UPDATED)]
        return Plan(status, np.flatnonzero(status != DUPLICATE), versions)
    previous_pos = pd.Series(np.arange(n), dtype="float64").groupby(frame["key"]).shift(1)
    previous_hash = frame["hash"].groupby(frame["key"]).shift(1)
    first = previous_hash.isna()
    previous = previous_hash.where(~first, stored_hash)
    status = np.where(
        previous.isna(), IMPORTED, np.where(previous == frame["hash"], DUPLICATE, UPDATED)
    )
    last = ~frame["key"].duplicated(keep="last")
    changed = stored_hash.isna() | (stored_hash != frame["hash"])
    write = np.flatnonzero((last & changed).to_numpy())
    previous_list = previous_pos.fillna(-1).astype(int).tolist()
    keys_list = frame["key"].astype(str).tolist()
    versions = [(keys_list[i], previous_list[i]) for i in np.flatnonzero(status == UPDATED)]
    return Plan(status, write, versions)


def lookup_stored(
    session: Session, table: Table, *, brand_id: int, source: str, keys: Iterable[str]
) -> dict[str, tuple[int, str]]:
    """external_id -> (id, content_hash) of stored rows of a (brand, source, external_id) table."""
    wanted = sorted(set(keys))
    found: dict[str, tuple[int, str]] = {}
    if not wanted:
        return found
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    name = table.name
    if session.get_bind().dialect.name == "postgresql":
        # One index probe per key (LATERAL ... LIMIT 1): with `IN (...)` or a plain join the
        # planner, misled by stale statistics during a large import, hashes every row of the
        # source for each chunk (quadratic). The keys travel as one JSON text: far cheaper to
        # send than a text[] parameter.
        cursor.execute(
            "SELECT t.external_id, t.id, t.content_hash "  # noqa: S608 -- a table name
            "FROM jsonb_array_elements_text(%(keys)s::jsonb) AS k CROSS JOIN LATERAL ("
            f"SELECT s.external_id, s.id, s.content_hash FROM {name} AS s "
            "WHERE s.brand_id = %(brand)s::int AND s.source = %(source)s::text "
            "AND s.external_id = k.value LIMIT 1) AS t",
            {"keys": json.dumps(wanted, ensure_ascii=False), "brand": brand_id, "source": source},
        )
        return {ext: (rid, h) for ext, rid, h in cursor.fetchall()}
    # The keys as one JSON parameter: one statement text, so the driver's statement cache
    # does not fill with huge IN lists (it keeps 128, and each holds its parameters).
    cursor.execute(
        "SELECT t.external_id, t.id, t.content_hash "  # noqa: S608 -- a table name
        f"FROM json_each(?) AS k CROSS JOIN {name} AS t "
        "WHERE t.brand_id = ? AND t.source = ? AND t.external_id = k.value",
        (json.dumps(wanted, ensure_ascii=False), brand_id, source),
    )
    found.update({ext: (rid, h) for ext, rid, h in cursor.fetchall()})
    return found


def stored_snapshots(
    session: Session, table: Table, ids: Sequence[int], *, exclude: Iterable[str] = ()
) -> dict[int, dict[str, Any]]:
    """JSON-ready copies of stored rows (for record_versions), keyed by id."""
    skip = set(exclude)
    cols = [c for c in table.c if c.name not in skip]
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), _LOOKUP_BATCH):
        batch = list(ids[start : start + _LOOKUP_BATCH])
        for row in session.execute(select(*cols).where(table.c.id.in_(batch))).mappings():
            out[row["id"]] = {k: jsonable(v) for k, v in row.items()}
    return out


def jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if value is not None and not isinstance(value, str | int | float | bool | dict | list):
        return str(value)
    return value


def record_versions(
    session: Session,
    *,
    entity: str,
    plan: Plan,
    ids: Mapping[str, int],
    stored: Mapping[str, tuple[int, str]],
    stored_snapshot: Mapping[int, dict[str, Any]],
    chunk_snapshot: Callable[[int], dict[str, Any]],
    hashes: Sequence[str],
    import_run_id: int | None,
    now: datetime,
) -> None:
    """Insert the earlier version of every updated row (stored or earlier in the chunk)."""
    rows = []
    for key, previous in plan.versions:
        if previous < 0:
            entity_id, stored_hash = stored[key]
            snapshot, content_hash = stored_snapshot[entity_id], stored_hash
        else:
            entity_id = ids[key]
            snapshot, content_hash = chunk_snapshot(previous), hashes[previous]
        rows.append(
            {
                "entity": entity,
                "entity_id": entity_id,
                "content_hash": content_hash,
                "snapshot": snapshot,
                "replaced_at": now,
                "import_run_id": import_run_id,
            }
        )
    if rows:
        session.execute(insert(RecordVersion), rows)


def sqlite_timestamps(stamps: pd.Series) -> list[str | None]:
    """UTC timestamps in the text form SQLAlchemy stores in SQLite (so reads and order agree)."""
    values = stamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    text = np.datetime_as_string(values, unit="us")
    out: list[str | None] = [t.replace("T", " ") for t in text.tolist()]
    for i in np.flatnonzero(np.isnat(values)):
        out[i] = None
    return out


def epoch_micros(stamps: pd.Series) -> list[int | None]:
    """UTC timestamps as integer microseconds since the epoch (exact; for PostgreSQL COPY)."""
    values = stamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    micros: list[int | None] = values.astype("int64").tolist()
    for i in np.flatnonzero(np.isnat(values)):
        micros[i] = None
    return micros


def none_list(values: pd.Series) -> list[Any]:
    """A column as a Python list with None for missing values."""
    cells = values.to_numpy(dtype=object, copy=True)
    cells[pd.isna(cells)] = None
    out: list[Any] = cells.tolist()
    return out

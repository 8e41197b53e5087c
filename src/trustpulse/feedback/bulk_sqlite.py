"""Feedback bulk writes on SQLite: executemany on the driver cursor, in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from trustpulse.customers import service as customers
from trustpulse.feedback import bulk

FEEDBACK_COLUMNS = (
    "brand_id", "customer_id", "kind", "channel", "touchpoint", "occurred_at", "language", "text",
    "product", "region", "source", "external_id", "content_hash", "raw", "import_run_id",
    "created_at", "updated_at",
)  # fmt: skip
_UPDATED_ON_CONFLICT = [
    c for c in FEEDBACK_COLUMNS if c not in {"brand_id", "source", "external_id", "created_at"}
]
_UPSERT = (
    f"INSERT INTO feedback ({', '.join(FEEDBACK_COLUMNS)}) "  # noqa: S608 -- fixed names
    f"VALUES ({', '.join('?' for _ in FEEDBACK_COLUMNS)}) "
    "ON CONFLICT (brand_id, source, external_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _UPDATED_ON_CONFLICT)
)


def write_feedback(
    session: Session,
    written: pd.DataFrame,
    scores: Mapping[str, pd.Series],
    *,
    replaced: Sequence[int],
    brand_id: int,
    source: str,
    kind: str,
    import_run_id: int | None,
    now: datetime,
) -> dict[str, int]:
    """Upsert `written` (one row per key) with its customers and scores; external_id -> id.

    `replaced` are the ids of stored rows being updated: their scores are replaced.
    """
    connection = session.connection()
    # a larger page cache keeps the indexes of a big table in memory while rows arrive
    connection.exec_driver_sql("PRAGMA cache_size = -65536")
    n = len(written)
    customer_ext = written["customer_ext"].tolist()
    customer_ids = customers.customer_ids_by_external_id(session, brand_id, customer_ext)
    stamp = bulk.sqlite_timestamps(pd.Series([now]))[0]
    external_ids = written["external_id"].tolist()
    columns: dict[str, Sequence[Any]] = {
        "brand_id": repeat(brand_id, n),  # type: ignore[dict-item]
        "customer_id": [customer_ids.get(c) if c else None for c in customer_ext],
        "kind": repeat(kind, n),  # type: ignore[dict-item]
        "channel": written["channel"].tolist(),
        "touchpoint": bulk.none_list(written["touchpoint"]),
        "occurred_at": bulk.sqlite_timestamps(written["occurred_at"]),
        "language": bulk.none_list(written["language"]),
        "text": bulk.none_list(written["text"]),
        "product": bulk.none_list(written["product"]),
        "region": bulk.none_list(written["region"]),
        "source": repeat(source, n),  # type: ignore[dict-item]
        "external_id": external_ids,
        "content_hash": written["content_hash"].tolist(),
        "raw": written["raw"].tolist(),
        "import_run_id": repeat(import_run_id, n),  # type: ignore[dict-item]
        "created_at": repeat(stamp, n),  # type: ignore[dict-item]
        "updated_at": repeat(stamp, n),  # type: ignore[dict-item]
    }
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(_UPSERT, zip(*(columns[c] for c in FEEDBACK_COLUMNS), strict=False))
    ids = _ids(cursor, brand_id, source, external_ids)
    if replaced:
        cursor.execute(
            "DELETE FROM scores WHERE feedback_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(replaced)),),
        )
    feedback_ids = np.array([ids[k] for k in external_ids], dtype=np.int64)
    for metric, series in scores.items():
        values = series.to_numpy(dtype=np.float64)
        present = ~np.isnan(values)
        cursor.executemany(
            "INSERT INTO scores (feedback_id, metric, value) VALUES (?, ?, ?)",
            zip(
                feedback_ids[present].tolist(),
                repeat(metric),
                values[present].tolist(),
                strict=False,
            ),
        )
    return ids


def _ids(cursor: Any, brand_id: int, source: str, external_ids: Sequence[str]) -> dict[str, int]:
    """external_id -> id of the just written rows (SQLite has no RETURNING for executemany).

    The keys go as one JSON parameter, so every chunk runs the same statement text.
    """
    cursor.execute(
        "SELECT t.external_id, t.id FROM json_each(?) AS k CROSS JOIN feedback AS t "
        "WHERE t.brand_id = ? AND t.source = ? AND t.external_id = k.value",
        (json.dumps(list(external_ids), ensure_ascii=False), brand_id, source),
    )
    return dict(cursor.fetchall())

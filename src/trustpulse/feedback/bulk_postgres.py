"""Feedback bulk writes on PostgreSQL: COPY into a staging table, then one merge statement.

Per chunk: COPY the rows to write into a temporary table; create their unseen customers and
upsert the feedback with one `INSERT ... SELECT` each (customer ids are looked up on the server
by index, row by row, so the cost follows the chunk and not the brand's customer count, and no
key list travels back and forth); COPY the scores. All in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from trustpulse.feedback import bulk

# staged per row; brand, kind, source, import run and timestamps are the same for every row
_STAGED = (
    "customer_ext", "channel", "touchpoint", "occurred_at", "language", "text", "product",
    "region", "external_id", "content_hash", "raw",
)  # fmt: skip
_STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS tp_stage_feedback (customer_ext text, channel text,"
    " touchpoint text, occurred_at bigint, language text, text text, product text,"
    " region text, external_id text, content_hash text, raw text) ON COMMIT DROP"
)
_CREATE_CUSTOMERS = (
    "INSERT INTO customers (brand_id, external_id, is_business, attributes, created_at) "
    "SELECT DISTINCT %(brand)s::int, customer_ext, false, '{}'::jsonb, %(now)s::timestamptz "
    "FROM tp_stage_feedback WHERE customer_ext IS NOT NULL ORDER BY 2 "
    "ON CONFLICT (brand_id, external_id) DO NOTHING"
)
_MERGE = (
    "INSERT INTO feedback (brand_id, customer_id, kind, channel, touchpoint, occurred_at,"
    " language, text, product, region, source, external_id, content_hash, raw, import_run_id,"
    " created_at, updated_at) "
    "SELECT %(brand)s::int, (SELECT c.id FROM customers AS c"
    "  WHERE c.brand_id = %(brand)s::int AND c.external_id = s.customer_ext),"
    " %(kind)s::text, s.channel, s.touchpoint,"
    " timestamptz 'epoch' + s.occurred_at * interval '1 microsecond', s.language, s.text,"
    " s.product, s.region, %(source)s::text, s.external_id, s.content_hash, s.raw::jsonb,"
    " %(run)s::int, %(now)s::timestamptz, %(now)s::timestamptz "
    "FROM tp_stage_feedback AS s "
    "ON CONFLICT (brand_id, source, external_id) DO UPDATE SET"
    " customer_id = EXCLUDED.customer_id, kind = EXCLUDED.kind, channel = EXCLUDED.channel,"
    " touchpoint = EXCLUDED.touchpoint, occurred_at = EXCLUDED.occurred_at,"
    " language = EXCLUDED.language, text = EXCLUDED.text, product = EXCLUDED.product,"
    " region = EXCLUDED.region, content_hash = EXCLUDED.content_hash, raw = EXCLUDED.raw,"
    " import_run_id = EXCLUDED.import_run_id, updated_at = EXCLUDED.updated_at "
    "RETURNING external_id, id"
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
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(_STAGE_DDL)
    cursor.execute("TRUNCATE tp_stage_feedback")
    columns: dict[str, list[Any]] = {
        name: bulk.none_list(written[name]) for name in _STAGED if name != "occurred_at"
    }
    columns["customer_ext"] = [c or None for c in columns["customer_ext"]]
    columns["occurred_at"] = bulk.epoch_micros(written["occurred_at"])
    with cursor.copy(f"COPY tp_stage_feedback ({', '.join(_STAGED)}) FROM STDIN") as copy:
        for row in zip(*(columns[c] for c in _STAGED), strict=True):
            copy.write_row(row)
    params = {
        "brand": brand_id,
        "kind": kind,
        "source": source,
        "run": import_run_id,
        "now": now,
    }
    cursor.execute(_CREATE_CUSTOMERS, params)
    cursor.execute(_MERGE, params)
    ids: dict[str, int] = dict(cursor.fetchall())
    if replaced:
        cursor.execute("DELETE FROM scores WHERE feedback_id = ANY(%s)", (list(replaced),))
    feedback_ids = np.array([ids[k] for k in columns["external_id"]], dtype=np.int64)
    with cursor.copy("COPY scores (feedback_id, metric, value) FROM STDIN") as copy:
        for metric, series in scores.items():
            values = series.to_numpy(dtype=np.float64)
            present = ~np.isnan(values)
            for fid, value in zip(
                feedback_ids[present].tolist(), values[present].tolist(), strict=True
            ):
                copy.write_row((fid, metric, value))
    return ids

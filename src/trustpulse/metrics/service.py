"""Metrics logic: bulk import of KPI measures (natural key: brand, metric, scope, period)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import pandas as pd
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from trustpulse.db import utcnow
from trustpulse.feedback import bulk
from trustpulse.feedback.datetimes import parse_periods
from trustpulse.feedback.validation import Checked, Reject, content_hashes, timestamp_text
from trustpulse.metrics.models import KpiMeasure

_KEY_SEPARATOR = "\x1f"

_TABLE = cast("Table", KpiMeasure.__table__)


@dataclass
class KpiRows:
    rows: pd.DataFrame  # metric, scope, period, period_start, value, key, content_hash, raw
    rejects: list[Reject]


@dataclass
class KpiUpsert:
    imported: int = 0
    updated: int = 0
    duplicates: int = 0


def kpi_rows(checked: Checked) -> KpiRows:
    """KPI checks: metric and period required, period label parsed, value numeric."""
    values = checked.values
    metric = values["metric"]
    scope = values["scope"].where(values["scope"] != "", "all")
    checked.fail(metric == "", "metric", "metric is required")
    label, start, bad_period = parse_periods(values["period"], timezone=checked.timezone)
    checked.fail(values["period"].str.strip() == "", "period", "period is required")
    checked.fail(
        bad_period,
        "period",
        "period must look like 2026-03-05, 2026-W10, 2026-03, 2026Q1 or 2026, got "
        + values["period"].map(lambda v: repr(v[:40])),
    )
    text = values["value"].str.strip()
    number = pd.to_numeric(text.where(text != "", None), errors="coerce")
    checked.fail(text == "", "value", "value is required")
    checked.fail(number.isna(), "value", "value is not a number: " + text.map(repr))
    assert checked.raw_json is not None  # noqa: S101 -- set by check_common
    hashes = content_hashes([timestamp_text(start), number.astype(str), checked.raw_json])
    rows = pd.DataFrame(
        {
            "row_number": checked.row_numbers,
            "metric": metric,
            "scope": scope,
            "period": label,
            "period_start": start,
            "value": number,
            "key": metric + _KEY_SEPARATOR + scope + _KEY_SEPARATOR + label.fillna(""),
            "content_hash": hashes,
            "raw": checked.raw_json,
        }
    )
    ok = checked.ok
    return KpiRows(rows[ok].reset_index(drop=True), checked.rejects())


def upsert_kpi_measures(
    session: Session,
    data: KpiRows,
    *,
    brand_id: int,
    source: str,
    import_run_id: int | None = None,
) -> KpiUpsert:
    """Insert new, update changed (earlier version kept), skip identical KPI measures."""
    frame = data.rows
    if frame.empty:
        return KpiUpsert()
    table = _TABLE
    stored = _lookup(session, brand_id, frame["metric"].unique().tolist())
    stored = {k: v for k, v in stored.items() if k in set(frame["key"])}
    plan = bulk.plan_upsert(frame["key"], frame["content_hash"], stored)
    now = utcnow()
    written = frame.iloc[plan.write]
    records = [
        {
            "metric": r["metric"],
            "scope": r["scope"],
            "period": r["period"],
            "period_start": r["period_start"].to_pydatetime(),
            "value": float(r["value"]),
            "source": source,
            "content_hash": r["content_hash"],
            "raw": json.loads(r["raw"]),
            "import_run_id": import_run_id,
            "key": r["key"],
        }
        for r in written.to_dict("records")
    ]
    new = [r for r in records if r["key"] not in stored]
    changed = [r for r in records if r["key"] in stored]
    ids = {k: v[0] for k, v in stored.items()}
    if new:
        returned = session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [
                {**{k: v for k, v in r.items() if k != "key"}, "brand_id": brand_id,
                 "created_at": now}
                for r in new
            ],
        )  # fmt: skip
        ids.update({r["key"]: rid for r, (rid,) in zip(new, returned, strict=True)})
    if changed:
        names = ("period_start", "value", "source", "content_hash", "raw", "import_run_id")
        session.execute(
            table.update()
            .where(table.c.id == bindparam("b_id"))
            .values({n: bindparam(f"b_{n}") for n in names}),
            [{"b_id": stored[r["key"]][0], **{f"b_{n}": r[n] for n in names}} for r in changed],
        )
    snapshots = bulk.stored_snapshots(
        session, table, sorted({stored[k][0] for k, p in plan.versions if p < 0})
    )
    bulk.record_versions(
        session,
        entity="kpi",
        plan=plan,
        ids=ids,
        stored=stored,
        stored_snapshot=snapshots,
        chunk_snapshot=lambda i: _chunk_snapshot(frame, i),
        hashes=frame["content_hash"].tolist(),
        import_run_id=import_run_id,
        now=now,
    )
    return KpiUpsert(
        plan.count(bulk.IMPORTED), plan.count(bulk.UPDATED), plan.count(bulk.DUPLICATE)
    )


def _chunk_snapshot(frame: pd.DataFrame, index: int) -> dict[str, object]:
    row = frame.iloc[index].to_dict()
    out = {
        str(k): bulk.jsonable(v) for k, v in row.items() if k not in {"raw", "row_number", "key"}
    }
    out["raw"] = json.loads(str(row["raw"]))
    return out


def _lookup(session: Session, brand_id: int, metrics: list[str]) -> Mapping[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(metrics), 1000):
        rows = session.execute(
            select(
                KpiMeasure.metric,
                KpiMeasure.scope,
                KpiMeasure.period,
                KpiMeasure.id,
                KpiMeasure.content_hash,
            ).where(
                KpiMeasure.brand_id == brand_id,
                KpiMeasure.metric.in_(metrics[start : start + 1000]),
            )
        )
        for metric, scope, period, rid, content_hash in rows:
            key = metric + _KEY_SEPARATOR + scope + _KEY_SEPARATOR + period
            found[key] = (rid, content_hash)
    return found

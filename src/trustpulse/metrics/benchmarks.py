"""External benchmarks: import (CSV/XLSX), list, and the gap of a metric row to its benchmark.

Gap interval (MOVER, Zou & Donner 2008): with our interval [l1, u1] around x1 and the
benchmark's [l2, u2] around x2, the gap x1 - x2 has
low = gap - sqrt((x1 - l1)^2 + (u2 - x2)^2), high = gap + sqrt((u1 - x1)^2 + (x2 - l2)^2).
A benchmark without an interval is taken as exact: the gap interval is ours shifted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.errors import InvalidInputError
from trustpulse.metrics.models import MetricBenchmark
from trustpulse.metrics.periods import PERIOD_DIMENSIONS, period_bounds
from trustpulse.metrics.query import Slice

COLUMNS = ("metric", "period", "brand", "channel", "value", "n", "ci_low", "ci_high", "source")
REQUIRED = ("metric", "period", "value", "source")
Key = tuple[str, str, str, str, str]


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file", field="file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    elif suffix in {".xlsx", ".xlsm"}:
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    else:
        raise InvalidInputError(f"{path.name}: expected .csv or .xlsx", field="file")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"missing column {missing[0]!r}", field=missing[0])
    return frame


def _number(text: str, field: str, *, integer: bool = False) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{field}: {text!r} is not a number") from None
    if not math.isfinite(value) or (integer and (value != int(value) or value < 1)):
        raise ValueError(f"{field}: {text!r} is not a {'count >= 1' if integer else 'number'}")
    return value


def _parse(record: dict[str, str]) -> tuple[Key, dict[str, object]]:
    """Raises ValueError('field: reason')."""
    metric, period, source = (record.get(c, "").strip() for c in ("metric", "period", "source"))
    for field, text in (("metric", metric), ("period", period), ("source", source)):
        if not text:
            raise ValueError(f"{field}: required")
    try:
        period_bounds(period)
    except (InvalidInputError, ValueError):  # ValueError: a month or day out of range
        raise ValueError(
            f"period: {period!r} is not 2026-03-05, 2026-W10, 2026-03 or 2026Q1"
        ) from None
    value = _number(record.get("value", ""), "value")
    if value is None:
        raise ValueError("value: required")
    n = _number(record.get("n", ""), "n", integer=True)
    low = _number(record.get("ci_low", ""), "ci_low")
    high = _number(record.get("ci_high", ""), "ci_high")
    if (low is None) != (high is None):
        raise ValueError("ci_low: give both ci_low and ci_high, or neither")
    if low is not None and high is not None and not low <= value <= high:
        raise ValueError("ci_low: the interval must contain the value")
    brand, channel = record.get("brand", "").strip(), record.get("channel", "").strip()
    values: dict[str, object] = {
        "value": value,
        "n": None if n is None else int(n),
        "ci_low": low,
        "ci_high": high,
    }
    return (metric, period, brand, channel, source), values


def import_benchmarks(session: Session, path: Path) -> dict[str, object]:
    """Upsert benchmark rows; read = imported + updated + rejected + duplicates (unchanged rows
    and repeats within the file). Rejects name the row (1 = first data row), field and reason."""
    frame = _read(path)
    existing = {
        (b.metric, b.period, b.brand, b.channel, b.source): b
        for b in session.scalars(select(MetricBenchmark))
    }
    counts = dict.fromkeys(("imported", "updated", "rejected", "duplicates"), 0)
    rejects: list[dict[str, object]] = []
    seen: set[Key] = set()
    for number, record in enumerate(frame.to_dict(orient="records"), start=1):
        try:
            key, values = _parse({str(k): str(v) for k, v in record.items()})
        except ValueError as exc:
            field, _, reason = str(exc).partition(": ")
            rejects.append({"row": number, "field": field, "reason": reason})
            counts["rejected"] += 1
            continue
        row = existing.get(key)
        if key in seen or (
            row is not None and all(getattr(row, k) == v for k, v in values.items())
        ):
            counts["duplicates"] += 1
        elif row is not None:
            for name, value in values.items():
                setattr(row, name, value)
            counts["updated"] += 1
        else:
            metric, period, brand, channel, source = key
            row = MetricBenchmark(
                metric=metric, period=period, brand=brand, channel=channel, source=source, **values
            )
            session.add(row)
            existing[key] = row
            counts["imported"] += 1
        seen.add(key)
    session.flush()
    return {"read": len(frame), **counts, "rejects": rejects}


def list_benchmarks(session: Session, *, metric: str | None = None) -> list[dict[str, object]]:
    query = select(MetricBenchmark).order_by(
        MetricBenchmark.metric,
        MetricBenchmark.period,
        MetricBenchmark.brand,
        MetricBenchmark.source,
    )
    if metric is not None:
        query = query.where(MetricBenchmark.metric == metric)
    return [{c: getattr(b, c) for c in COLUMNS} for b in session.scalars(query)]


def gap_interval(
    ours: tuple[float, float | None, float | None], theirs: tuple[float, float | None, float | None]
) -> tuple[float, float | None, float | None]:
    """(gap, low, high) of ours - theirs; each given as (value, ci_low, ci_high)."""
    x1, l1, u1 = ours
    x2, l2, u2 = theirs
    gap = x1 - x2
    if l1 is None or u1 is None:
        return gap, None, None
    if l2 is None or u2 is None:
        return gap, l1 - x2, u1 - x2
    low = gap - math.hypot(x1 - l1, u2 - x2)
    high = gap + math.hypot(u1 - x1, x2 - l2)
    return gap, low, high


def attach_benchmarks(
    session: Session, rows: Sequence[dict[str, object]], *, metric: str, flt: Slice
) -> None:
    """Add benchmark, benchmark_source, benchmark_gap (+ _ci_low/_ci_high) to rows whose group
    has a period (or whose metric and period have a benchmark); the most specific benchmark
    wins (brand and channel, then brand, then channel, then any). Rows without one are left
    as they are."""
    found = list(session.scalars(select(MetricBenchmark).where(MetricBenchmark.metric == metric)))
    if not found:
        return
    for row in rows:
        group = row.get("group")
        group = group if isinstance(group, dict) else {}
        period = next((group[d] for d in PERIOD_DIMENSIONS if group.get(d)), None)
        if period is None:
            continue
        brand = str(group.get("brand") or flt.brand or "")
        channel = str(group.get("channel") or flt.channel or "")
        candidates = [
            b
            for b in found
            if b.period == period and b.brand in {brand, ""} and b.channel in {channel, ""}
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda b: (b.brand != "", b.channel != "", b.source))
        row["benchmark"] = best.value
        row["benchmark_source"] = best.source
        value = row.get("value")
        if isinstance(value, int | float):
            low, high = row.get("ci_low"), row.get("ci_high")
            gap, gap_low, gap_high = gap_interval(
                (
                    float(value),
                    float(low) if isinstance(low, int | float) else None,
                    float(high) if isinstance(high, int | float) else None,
                ),
                (best.value, best.ci_low, best.ci_high),
            )
            row["benchmark_gap"] = gap
            row["benchmark_gap_ci_low"] = gap_low
            row["benchmark_gap_ci_high"] = gap_high

"""Metric rows rendered for people and scripts: a Rich table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence

from rich.table import Table

CORE = ("n", "value", "ci_low", "ci_high", "small_sample")


def _clean(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def clean_rows(rows: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """Rows with non-finite floats replaced by None (JSON has no NaN or Infinity)."""
    return [{k: _clean(v) for k, v in row.items()} for row in rows]


def to_json(rows: Sequence[dict[str, object]]) -> str:
    return json.dumps(clean_rows(rows), ensure_ascii=False)


def to_csv(rows: Sequence[dict[str, object]]) -> str:
    """One line per row: group columns first, then n, value, interval, flag and scalar extras;
    nested extras (dimension scores, warnings) as JSON text."""
    group_keys = list(dict.fromkeys(k for r in rows for k in _group(r)))
    extra_keys = list(dict.fromkeys(k for r in rows for k in r if k not in {"group", *CORE}))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*group_keys, *CORE, *extra_keys])
    for row in rows:
        group = _group(row)
        cells = [group.get(k) for k in group_keys] + [row.get(k) for k in (*CORE, *extra_keys)]
        writer.writerow(
            [
                json.dumps(_clean(c), ensure_ascii=False) if isinstance(c, dict | list) else c
                for c in cells
            ]
        )
    return buffer.getvalue()


def to_table(rows: Sequence[dict[str, object]], *, title: str) -> Table:
    group_keys = list(dict.fromkeys(k for r in rows for k in _group(r)))
    table = Table(title=title)
    for key in group_keys:
        table.add_column(key)
    for key in ("n", "value", "95 % CI", "note"):
        table.add_column(key, justify="left" if key == "note" else "right")
    for row in rows:
        group = _group(row)
        note = "small sample" if row.get("small_sample") else ""
        if row.get("incomplete"):
            note = "incomplete"
        table.add_row(
            *[str(group.get(k) if group.get(k) is not None else "—") for k in group_keys],
            str(row.get("n")),
            fmt(row.get("value")),
            f"{fmt(row.get('ci_low'))} … {fmt(row.get('ci_high'))}",
            note,
        )
    return table


def _group(row: dict[str, object]) -> dict[str, object]:
    group = row.get("group")
    return group if isinstance(group, dict) else {}


def fmt(value: object) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return "—" if value is None else str(value)

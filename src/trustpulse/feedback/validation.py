"""Canonical import fields and vectorised validation of a chunk of rows (all cells are text).

The importer validates each chunk here and the API validates a submitted record here as a
one-row frame, so both accept and refuse exactly the same values.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustpulse.feedback.datetimes import DateOrder, parse_datetimes

SCORE_FIELDS: dict[str, tuple[float, float]] = {
    # issue #2: nps 0-10, csat 1-5, ces 1-7, rating 1-5 stars
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "rating": (1, 5),
}
WHOLE_NUMBER_SCORES = frozenset({"nps"})
FEEDBACK_FIELDS = (
    "external_id", "customer_id", "occurred_at", "channel", "touchpoint", "language", "text",
    "nps", "csat", "ces", "rating", "product", "region",
)  # fmt: skip
COMPLAINT_FIELDS = (
    "external_id", "customer_id", "occurred_at", "channel", "touchpoint", "language", "text",
    "product", "region", "opened_at", "first_response_at", "resolved_at", "closed_at",
    "severity", "category", "state", "owner", "team",
)  # fmt: skip
KPI_FIELDS = ("metric", "scope", "period", "value")
KIND_FIELDS: dict[str, frozenset[str]] = {
    "survey": frozenset(FEEDBACK_FIELDS),
    "review": frozenset(FEEDBACK_FIELDS),
    "social": frozenset(FEEDBACK_FIELDS),
    "complaint": frozenset(COMPLAINT_FIELDS),
    "kpi": frozenset(KPI_FIELDS),
}
# each tuple: one of these columns must be present (mapped, matched or given a default)
REQUIRED_COLUMNS: dict[str, list[tuple[str, ...]]] = {
    "survey": [("occurred_at",)],
    "review": [("occurred_at",), ("text",)],
    "social": [("occurred_at",), ("text",)],
    "complaint": [("opened_at", "occurred_at")],
    "kpi": [("metric",), ("period",), ("value",)],
}
MAX_LENGTHS = {
    "external_id": 200, "customer_id": 120, "channel": 40, "touchpoint": 60, "language": 10,
    "product": 120, "region": 80, "category": 80, "metric": 60, "scope": 120, "owner": 200,
    "team": 120,
}  # fmt: skip
TIME_FIELDS = ("occurred_at", "opened_at", "first_response_at", "resolved_at", "closed_at")
CONTENT_HASH_PREFIX = "sha256:"
# a reason for every failing row: one text, a Series (aligned with the chunk), or a function
# building the reasons of just the failing rows (given their positions), so a valid row costs
# nothing
Reason = str | pd.Series | Callable[[np.ndarray], Sequence[str]]


@dataclass(frozen=True)
class ScoreSpec:
    column: str
    low: float
    high: float


@dataclass(frozen=True)
class Reject:
    row_number: int
    field: str | None
    reason: str
    raw: dict[str, str]


@dataclass
class Checked:
    """A chunk after the common checks: `values` holds one str column per canonical field."""

    frame: pd.DataFrame  # the original cells (str), indexed 0..n-1
    row_numbers: np.ndarray
    values: pd.DataFrame  # canonical field -> str ("" when absent)
    times: dict[str, pd.Series] = field(default_factory=dict)  # UTC timestamps
    scores: dict[str, pd.Series] = field(default_factory=dict)  # metric -> float (NaN = none)
    raw_json: pd.Series | None = None
    timezone: str = "UTC"  # the zone of values without one (the brand's)
    error_field: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    error_reason: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    def fail(self, mask: pd.Series | np.ndarray, field_name: str, reason: Reason) -> None:
        """Record `reason` for rows in `mask` that have no error yet (the first error wins)."""
        hit = np.asarray(mask, dtype=bool) & pd.isna(self.error_reason)
        if not hit.any():
            return
        self.error_field[hit] = field_name
        if isinstance(reason, str):
            self.error_reason[hit] = reason
        elif isinstance(reason, pd.Series):
            self.error_reason[hit] = np.asarray(reason, dtype=object)[hit]
        else:
            reasons = np.empty(int(hit.sum()), dtype=object)
            reasons[:] = list(reason(np.flatnonzero(hit)))
            self.error_reason[hit] = reasons

    @property
    def ok(self) -> np.ndarray:
        return np.asarray(pd.isna(self.error_reason))

    def rejects(self) -> list[Reject]:
        bad = np.flatnonzero(~self.ok)
        if not len(bad):
            return []
        originals = self.frame.iloc[bad].to_dict("records")
        return [
            Reject(
                int(self.row_numbers[i]),
                self.error_field[i],
                self.error_reason[i],
                {str(k): str(v) for k, v in raw.items()},
            )
            for i, raw in zip(bad, originals, strict=True)
        ]


def check_common(
    frame: pd.DataFrame,
    row_numbers: Sequence[int],
    *,
    kind: str,
    fields: Mapping[str, str],
    scores: Mapping[str, ScoreSpec],
    defaults: Mapping[str, str],
    extra: Sequence[str],
    timezone: str,
    date_orders: Mapping[str, DateOrder],
) -> Checked:
    """Type, range, length and required-field checks shared by every kind."""
    frame = frame.reset_index(drop=True)
    n = len(frame)
    values = pd.DataFrame(index=frame.index)
    for name in KIND_FIELDS[kind]:
        if name in fields:
            values[name] = frame[fields[name]].astype(object)
        else:
            values[name] = defaults.get(name, "")
    checked = Checked(
        frame,
        np.asarray(row_numbers, dtype=np.int64),
        values,
        timezone=timezone,
        error_field=np.full(n, None, dtype=object),
        error_reason=np.full(n, None, dtype=object),
    )
    _check_text(checked, fields, defaults)
    checked.raw_json = _raw_json(frame, extra)
    # PostgreSQL text and jsonb cannot hold NUL; refuse it on every database alike.
    if _anywhere(checked.raw_json, "\\u0000"):
        checked.fail(
            checked.raw_json.str.contains("\\u0000", regex=False),
            "raw",
            "contains a NUL character",
        )
    for name in TIME_FIELDS:
        if name in values:
            stamps, bad = parse_datetimes(
                values[name], timezone=timezone, order=date_orders.get(name, "mdy")
            )
            checked.times[name] = stamps
            checked.fail(bad, name, _quoted("cannot read date/time ", values[name]))
    _check_scores(checked, kind, scores)
    if kind in {"review", "social"}:
        checked.fail(values["text"].str.strip() == "", "text", "text is required")
    if "occurred_at" in checked.times and kind != "complaint":
        checked.fail(checked.times["occurred_at"].isna(), "occurred_at", "occurred_at is required")
    return checked


def _check_text(checked: Checked, fields: Mapping[str, str], defaults: Mapping[str, str]) -> None:
    """Strip, limit the length of, and refuse NUL in the text fields."""
    values = checked.values
    for name, limit in MAX_LENGTHS.items():
        if name in fields:
            values[name] = _strip(values[name])
        elif name in values:  # one default for every row
            values[name] = defaults.get(name, "").strip()
        if name in values and _longest(values[name]) > limit:
            checked.fail(
                values[name].str.len() > limit, name, f"{name} is longer than {limit} characters"
            )
    for name in ("external_id", "customer_id", "text", "channel"):
        if name in values and _anywhere(values[name], "\x00"):
            checked.fail(
                values[name].str.contains("\x00", regex=False), name, "contains a NUL character"
            )


def _check_scores(checked: Checked, kind: str, scores: Mapping[str, ScoreSpec]) -> None:
    values = checked.values
    score_specs = {
        m: ScoreSpec(m, lo, hi) for m, (lo, hi) in SCORE_FIELDS.items() if m in values
    } | dict(scores)
    for metric, spec in score_specs.items():
        cells = values[metric] if metric in values else checked.frame[spec.column].astype(object)
        checked.scores[metric] = _check_score(checked, metric, cells, spec)
    if kind == "survey":
        present = [s.notna() for s in checked.scores.values()]
        none = ~np.logical_or.reduce(present) if present else np.ones(len(values), dtype=bool)
        first = next(iter(score_specs), "nps")
        checked.fail(none, first, "a survey row needs at least one score")


def _check_score(checked: Checked, metric: str, cells: pd.Series, spec: ScoreSpec) -> pd.Series:
    # a score column holds few distinct cells: strip and convert each distinct cell once
    codes, distinct = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=False)
    distinct_text = pd.Series(distinct, dtype=object).str.strip()
    distinct_number = pd.to_numeric(distinct_text.where(distinct_text != "", None), errors="coerce")
    text = pd.Series(distinct_text.to_numpy()[codes], index=cells.index, dtype=object)
    number = pd.Series(distinct_number.to_numpy()[codes], index=cells.index, name=cells.name)
    checked.fail((text != "") & number.isna(), metric, _quoted(f"{metric} is not a number: ", text))
    out_of_range = (number < spec.low) | (number > spec.high)
    if metric in WHOLE_NUMBER_SCORES:
        out_of_range |= number.notna() & (number % 1 != 0)
    prefix = (
        f"{metric} must be a {'whole number' if metric in WHOLE_NUMBER_SCORES else 'number'} "
        f"from {_num(spec.low)} to {_num(spec.high)}, got "
    )
    cells_text = text.to_numpy()
    checked.fail(out_of_range, metric, lambda rows: [prefix + v for v in cells_text[rows]])
    return number.astype(float)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _quoted(prefix: str, values: pd.Series) -> Callable[[np.ndarray], list[str]]:
    """Reasons `prefix` + the cell quoted (first 80 characters), built for failing rows only."""
    cells = values.to_numpy()
    return lambda rows: [prefix + repr(v[:80]) for v in cells[rows]]


def _strip(values: pd.Series) -> pd.Series:
    """`values.str.strip()`, without pandas' per-call overhead when every cell is text."""
    cells = values.tolist()
    if not all(type(v) is str for v in cells):
        return values.str.strip()
    return pd.Series([v.strip() for v in cells], index=values.index, dtype=object)


def _longest(values: pd.Series) -> int:
    """The length of the longest cell (a cheap test before a per-row length check)."""
    try:
        return max(map(len, values.tolist()), default=0)
    except TypeError:  # a missing cell: let the per-row check deal with it
        return sys.maxsize


def _anywhere(values: pd.Series, needle: str) -> bool:
    """Whether any cell contains `needle` (one scan of the joined cells, not one per row)."""
    try:
        return needle in "".join(values.tolist())
    except TypeError:  # a missing cell: let the per-row check deal with it
        return True


def _raw_json(frame: pd.DataFrame, extra: Sequence[str]) -> pd.Series:
    """The unmapped columns of each row as JSON text (kept so nothing in the file is lost)."""
    if not extra:
        return pd.Series("{}", index=frame.index, dtype=object)
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
    records = frame[list(extra)].to_dict("records")
    return pd.Series([dumps(r) for r in records], index=frame.index, dtype=object)


def content_hashes(parts: Sequence[pd.Series]) -> pd.Series:
    """sha256 of each row's canonical content (fields joined by the unit separator)."""
    texts = [_as_text(part).tolist() for part in parts]
    sha256 = hashlib.sha256
    return pd.Series(
        [
            sha256("\x1f".join(row).encode("utf-8", "surrogatepass")).hexdigest()
            for row in zip(*texts, strict=True)
        ],
        index=parts[0].index,
        dtype=object,
    )


def _as_text(values: pd.Series) -> np.ndarray:
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        return values.to_numpy(dtype=object, na_value="")
    values = values.astype(object).where(values.notna(), None)
    return values.map(str, na_action="ignore").fillna("").to_numpy(dtype=object)


def timestamp_text(stamps: pd.Series) -> pd.Series:
    """A canonical text form of UTC timestamps for hashing ("" for NaT)."""
    ns = stamps.astype("int64").to_numpy().astype(str).astype(object)
    ns[stamps.isna().to_numpy()] = ""
    return pd.Series(ns, index=stamps.index, dtype=object)


def score_text(checked: Checked) -> pd.Series:
    """metric=value; for each score, metrics in name order (value empty when missing)."""
    text = np.full(len(checked.values), "", dtype=object)
    for metric in sorted(checked.scores):
        # few distinct values: format each once (by bit pattern, so -0.0 stays apart from 0.0)
        bits = checked.scores[metric].to_numpy(dtype=np.float64).view(np.int64)
        codes, distinct = pd.factorize(bits)
        values = distinct.view(np.float64).tolist()
        labels = [f"{metric}={'' if math.isnan(v) else repr(v)};" for v in values]
        text = text + np.array(labels, dtype=object)[codes]
    return pd.Series(text, index=checked.values.index, dtype=object)


@dataclass
class FeedbackRows:
    """Valid feedback rows ready to write; columns named as in the feedback table."""

    rows: pd.DataFrame  # row_number, external_id, customer_ext, occurred_at, channel, ... raw
    scores: dict[str, pd.Series]  # metric -> float per row (aligned with rows)
    rejects: list[Reject]


def feedback_rows(checked: Checked, *, kind: str) -> FeedbackRows:
    """Assemble the valid rows of a survey/review/social chunk, with keys and content hashes."""
    values = checked.values
    occurred = checked.times["occurred_at"]
    channel = values["channel"].where(values["channel"] != "", kind)
    text = values["text"].where(values["text"] != "", None)
    assert checked.raw_json is not None  # noqa: S101 -- set by check_common
    hashes = content_hashes(
        [
            timestamp_text(occurred),
            values["customer_id"],
            channel,
            values["touchpoint"],
            values["language"],
            values["text"],
            values["product"],
            values["region"],
            score_text(checked),
            checked.raw_json,
        ]
    )
    external = values["external_id"].where(
        values["external_id"] != "", CONTENT_HASH_PREFIX + hashes
    )
    rows = pd.DataFrame(
        {
            "row_number": checked.row_numbers,
            "external_id": external,
            "customer_ext": values["customer_id"],
            "occurred_at": occurred,
            "channel": channel,
            "touchpoint": _none_if_empty(values["touchpoint"]),
            "language": _none_if_empty(values["language"]),
            "text": text,
            "product": _none_if_empty(values["product"]),
            "region": _none_if_empty(values["region"]),
            "content_hash": hashes,
            "raw": checked.raw_json,
        }
    )
    ok = checked.ok
    return FeedbackRows(
        rows[ok].reset_index(drop=True),
        {m: s[ok].reset_index(drop=True) for m, s in checked.scores.items()},
        checked.rejects(),
    )


def _none_if_empty(values: pd.Series) -> pd.Series:
    if values.dtype != object:  # a default for every row (pandas' text dtype)
        return values.where(values != "", None)
    cells = values.to_numpy(dtype=object, copy=True)
    cells[cells == ""] = None
    return pd.Series(cells, index=values.index, name=values.name, dtype=object)

"""Canonical import fields and vectorised validation of a chunk of rows (all cells are text).

The importer validates each chunk here and the API validates a submitted record here as a
one-row frame, so both accept and refuse exactly the same values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
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

    def fail(self, mask: pd.Series | np.ndarray, field_name: str, reason: str | pd.Series) -> None:
        """Record `reason` for rows in `mask` that have no error yet (the first error wins)."""
        hit = np.asarray(mask, dtype=bool) & pd.isna(self.error_reason)
        if not hit.any():
            return
        self.error_field[hit] = field_name
        reasons = reason if isinstance(reason, str) else np.asarray(reason, dtype=object)[hit]
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
    for name, limit in MAX_LENGTHS.items():
        if name in values:
            values[name] = values[name].str.strip()
            checked.fail(
                values[name].str.len() > limit, name, f"{name} is longer than {limit} characters"
            )
    for name in ("external_id", "customer_id", "text", "channel"):
        if name in values:
            checked.fail(
                values[name].str.contains("\x00", regex=False), name, "contains a NUL character"
            )
    checked.raw_json = _raw_json(frame, extra)
    # PostgreSQL text and jsonb cannot hold NUL; refuse it on every database alike.
    checked.fail(
        checked.raw_json.str.contains("\\u0000", regex=False), "raw", "contains a NUL character"
    )
    for name in TIME_FIELDS:
        if name in values:
            stamps, bad = parse_datetimes(
                values[name], timezone=timezone, order=date_orders.get(name, "mdy")
            )
            checked.times[name] = stamps
            checked.fail(bad, name, "cannot read date/time " + _quoted(values[name]))
    _check_scores(checked, kind, scores)
    if kind in {"review", "social"}:
        checked.fail(values["text"].str.strip() == "", "text", "text is required")
    if "occurred_at" in checked.times and kind != "complaint":
        checked.fail(checked.times["occurred_at"].isna(), "occurred_at", "occurred_at is required")
    return checked


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
    text = cells.astype(object).str.strip()
    number = pd.to_numeric(text.where(text != "", None), errors="coerce")
    checked.fail(
        (text != "") & number.isna(), metric, f"{metric} is not a number: " + _quoted(text)
    )
    out_of_range = (number < spec.low) | (number > spec.high)
    if metric in WHOLE_NUMBER_SCORES:
        out_of_range |= number.notna() & (number % 1 != 0)
    checked.fail(
        out_of_range,
        metric,
        f"{metric} must be a {'whole number' if metric in WHOLE_NUMBER_SCORES else 'number'} "
        f"from {_num(spec.low)} to {_num(spec.high)}, got " + text,
    )
    return number.astype(float)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _quoted(values: pd.Series) -> pd.Series:
    return values.map(lambda v: repr(v[:80]))


def _raw_json(frame: pd.DataFrame, extra: Sequence[str]) -> pd.Series:
    """The unmapped columns of each row as JSON text (kept so nothing in the file is lost)."""
    if not extra:
        return pd.Series("{}", index=frame.index, dtype=object)
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
    records = frame[list(extra)].to_dict("records")
    return pd.Series([dumps(r) for r in records], index=frame.index, dtype=object)


def content_hashes(parts: Sequence[pd.Series]) -> pd.Series:
    """sha256 of each row's canonical content (fields joined by the unit separator)."""
    joined = _as_text(parts[0])
    for part in parts[1:]:
        joined = joined + "\x1f" + _as_text(part)
    return pd.Series(
        [hashlib.sha256(v.encode("utf-8", "surrogatepass")).hexdigest() for v in joined],
        index=joined.index,
        dtype=object,
    )


def _as_text(values: pd.Series) -> pd.Series:
    if values.dtype != object:
        values = values.astype(object).where(values.notna(), None)
        values = values.map(str, na_action="ignore")
    return values.fillna("").astype(object)


def timestamp_text(stamps: pd.Series) -> pd.Series:
    """A canonical text form of UTC timestamps for hashing ("" for NaT)."""
    ns = stamps.astype("int64").astype(str)
    return ns.where(stamps.notna(), "")


def score_text(checked: Checked) -> pd.Series:
    text = pd.Series("", index=checked.values.index, dtype=object)
    for metric in sorted(checked.scores):
        value = checked.scores[metric]
        text = text + (metric + "=") + value.astype(str).where(value.notna(), "") + ";"
    return text


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
    return values.where(values != "", None)

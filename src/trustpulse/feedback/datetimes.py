"""Vectorised parsing of date/time cells in common formats and zones, and day/month order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd
from dateutil import parser as dateutil_parser

DateOrder = Literal["dmy", "mdy"]

_DT = re.compile(
    r"""^\s*
    (?:
        (?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?
      | (?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y2>\d{4})
    )
    (?:
        (?:[T\s]+|(?<=日))\s*
        (?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?
    )?
    \s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$""",
    re.X,
)
_NUMERIC_ORDER = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.]\d{4}")
_HAS_MONTH_NAME = re.compile(r"[A-Za-z]{3}")


def detect_date_order(values: Iterable[pd.Series]) -> DateOrder:
    """Day-first or month-first for a whole column (never per row), from every value in it.

    A first number above 12 proves day-first, a second number above 12 proves month-first; the
    majority wins when a column holds both; with no evidence the column is month-first.
    """
    day_first = month_first = 0
    for series in values:
        days, months = date_order_evidence(series)
        day_first += days
        month_first += months
    return "dmy" if day_first > month_first else "mdy"


def date_order_evidence(values: pd.Series) -> tuple[int, int]:
    """(values that prove day-first, values that prove month-first) among numeric dates."""
    candidates = values[values.str.contains("/|\\.|-", regex=True, na=False)]
    parts = candidates.astype(object).str.extract(_NUMERIC_ORDER).dropna()
    if parts.empty:
        return 0, 0
    first, second = parts[0].astype(int), parts[1].astype(int)
    return int((first > 12).sum()), int((second > 12).sum())


def parse_datetimes(
    values: pd.Series, *, timezone: str, order: DateOrder = "mdy"
) -> tuple[pd.Series, pd.Series]:
    """Parse text cells to UTC timestamps.

    Returns (timestamps, bad): `bad` is True where a non-empty cell could not be parsed; empty
    cells give NaT and are not bad. Values without a zone are in `timezone` (the brand's zone);
    an explicit offset (Z, +08:00, -0800) is honoured.
    """
    text = values.astype(object)
    empty = text.str.strip() == ""
    parts = text.str.extract(_DT)
    slash = parts["a"].notna()
    first = parts["a"].astype(float)
    second = parts["b"].astype(float)
    month = parts["m"].astype(float).where(~slash, first if order == "mdy" else second)
    day = parts["d"].astype(float).where(~slash, second if order == "mdy" else first)
    year = parts["y"].astype(float).where(~slash, parts["y2"].astype(float))
    matched = year.notna()
    fraction = parts["f"].fillna("").str.ljust(9, "0").replace("000000000", "0")
    local = pd.to_datetime(
        pd.DataFrame(
            {
                "year": year,
                "month": month,
                "day": day,
                "hour": parts["H"].astype(float).fillna(0),
                "minute": parts["M"].astype(float).fillna(0),
                "second": parts["S"].astype(float).fillna(0),
            }
        ).where(matched),
        errors="coerce",
    )
    local = local + pd.to_timedelta(pd.to_numeric(fraction.where(fraction != "", "0")), unit="ns")
    offset_minutes = _offset_minutes(parts["tz"])
    result = _to_utc(local, offset_minutes, timezone)
    unmatched = ~matched & ~empty & text.str.contains(_HAS_MONTH_NAME, na=False)
    if unmatched.any():
        result = result.copy()
        named = [_parse_named_month(str(v), timezone, order) for v in text[unmatched]]
        result[unmatched] = pd.Series(named, index=text[unmatched].index, dtype=result.dtype)
    bad = result.isna() & ~empty
    return result, bad


def _offset_minutes(zone: pd.Series) -> pd.Series:
    text = zone.fillna("")
    is_utc = text.isin(["Z", "UTC", "GMT"])
    numeric = text.str.extract(r"^([+-])(\d{2}):?(\d{2})?$")
    sign = numeric[0].map({"+": 1.0, "-": -1.0})
    minutes = sign * (numeric[1].astype(float) * 60 + numeric[2].astype(float).fillna(0))
    return minutes.where(~is_utc, 0.0)


def _to_utc(local: pd.Series, offset_minutes: pd.Series, timezone: str) -> pd.Series:
    aware = offset_minutes.notna()
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[ns, UTC]")
    if aware.any():
        shifted = local[aware] - pd.to_timedelta(offset_minutes[aware], unit="m")
        out[aware] = shifted.dt.tz_localize("UTC")
    naive = ~aware
    if naive.any():
        # A wall time that a DST change skips moves forward; a repeated one is read as standard.
        zoned = local[naive].dt.tz_localize(
            timezone,
            ambiguous=np.zeros(int(naive.sum()), dtype=bool),
            nonexistent="shift_forward",
        )
        out[naive] = zoned.dt.tz_convert("UTC")
    return out


def _parse_named_month(value: str, timezone: str, order: DateOrder) -> pd.Timestamp | None:
    """Dates with month names ("Feb 24, 2015 11:15"): rare, so parsed one by one."""
    try:
        parsed = dateutil_parser.parse(value, dayfirst=order == "dmy")
    except (ValueError, OverflowError):
        return None
    stamp = pd.Timestamp(parsed)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


_PERIOD = re.compile(
    r"""^\s*(?:
        (?P<dy>\d{4})-(?P<dm>\d{2})-(?P<dd>\d{2})
      | (?P<wy>\d{4})-?W(?P<ww>\d{2})
      | (?P<qy>\d{4})-?Q(?P<qq>[1-4])
      | (?P<my>\d{4})-(?P<mm>\d{2})
      | (?P<yy>\d{4})
    )\s*$""",
    re.X,
)


def parse_periods(values: pd.Series, *, timezone: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """KPI period labels (2026-03-05, 2026-W10, 2026-03, 2026Q1, 2026) -> (label, start, bad).

    The start is midnight of the period's first day in the brand's zone, as UTC; ISO weeks
    start on Monday. The label is normalised (2026-q1 -> 2026Q1, 2026W10 -> 2026-W10).
    """
    text = values.astype(object).str.upper()
    parts = text.str.extract(_PERIOD)
    start = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    label = pd.Series(None, index=values.index, dtype=object)
    day = parts["dy"].notna()
    if day.any():
        start[day] = pd.to_datetime(
            parts.loc[day, "dy"] + "-" + parts.loc[day, "dm"] + "-" + parts.loc[day, "dd"],
            format="%Y-%m-%d",
            errors="coerce",
        )
        label[day] = parts.loc[day, "dy"] + "-" + parts.loc[day, "dm"] + "-" + parts.loc[day, "dd"]
    week = parts["wy"].notna()
    if week.any():
        start[week] = pd.to_datetime(
            parts.loc[week, "wy"] + "-W" + parts.loc[week, "ww"] + "-1",
            format="%G-W%V-%u",
            errors="coerce",
        )
        label[week] = parts.loc[week, "wy"] + "-W" + parts.loc[week, "ww"]
    month = parts["my"].notna()
    if month.any():
        start[month] = pd.to_datetime(
            parts.loc[month, "my"] + "-" + parts.loc[month, "mm"] + "-01",
            format="%Y-%m-%d",
            errors="coerce",
        )
        label[month] = parts.loc[month, "my"] + "-" + parts.loc[month, "mm"]
    quarter = parts["qy"].notna()
    if quarter.any():
        first_month = (parts.loc[quarter, "qq"].astype(int) * 3 - 2).astype(str).str.zfill(2)
        start[quarter] = pd.to_datetime(
            parts.loc[quarter, "qy"] + "-" + first_month + "-01", format="%Y-%m-%d"
        )
        label[quarter] = parts.loc[quarter, "qy"] + "Q" + parts.loc[quarter, "qq"]
    year = parts["yy"].notna()
    if year.any():
        start[year] = pd.to_datetime(parts.loc[year, "yy"] + "-01-01", format="%Y-%m-%d")
        label[year] = parts.loc[year, "yy"]
    ok = start.notna()
    utc = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if ok.any():
        utc[ok] = (
            start[ok]
            .dt.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
            .dt.tz_convert("UTC")
        )
    return label, utc, ~ok

"""Vectorised parsing of date/time cells in common formats and zones, and day/month order."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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
_NUMERIC_DATE = re.compile(r"^\s*\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")  # the same, without groups
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


def order_matters(values: pd.Series) -> bool:
    """Whether reading any cell depends on the day/month order given to `parse_datetimes`.

    True for numeric day/month dates (03/04/2025) and dates with month names; never for the
    fixed-width year-first forms.
    """
    cells = values.astype(object).to_numpy()
    rest = np.ones(len(cells), dtype=bool)
    for rows, _parts in _fixed_width_parts(cells):
        rest[rows] = False
    others = pd.Series(cells[rest], dtype=object)
    return bool(
        others.str.contains(_NUMERIC_DATE, na=False).any()
        or others.str.contains(_HAS_MONTH_NAME, na=False).any()
    )


def parse_datetimes(
    values: pd.Series, *, timezone: str, order: DateOrder = "mdy"
) -> tuple[pd.Series, pd.Series]:
    """Parse text cells to UTC timestamps.

    Returns (timestamps, bad): `bad` is True where a non-empty cell could not be parsed; empty
    cells give NaT and are not bad. Values without a zone are in `timezone` (the brand's zone);
    an explicit offset (Z, +08:00, -0800) is honoured. Years outside 1678-2261 (beyond what a
    nanosecond timestamp holds) cannot be read.

    The common fixed-width forms (2025-05-01 10:00:00, 2025-05-01T10:00, 2025-05-01) are read
    with array arithmetic; only the other cells go through the regular expression.
    """
    text = values.astype(object)
    n = len(text)
    columns = {name: np.full(n, np.nan) for name in (*_PARTS, "offset")}
    columns["fraction"] = np.zeros(n)
    cells = text.to_numpy()
    rest = np.ones(n, dtype=bool)
    for rows, parts in _fixed_width_parts(cells):
        rest[rows] = False
        for name, column in parts.items():
            columns[name][rows] = column
    empty = np.zeros(n, dtype=bool)
    if rest.any():
        others = text[rest]
        empty[rest] = (others.str.strip() == "").to_numpy()
        for key, part in _regex_parts(others, order).items():
            columns[str(key)][rest] = part.to_numpy(dtype=np.float64)
    fields = pd.DataFrame(columns, index=text.index)
    year = fields["year"]
    matched = year.notna() & (year >= _MIN_YEAR) & (year <= _MAX_YEAR)
    local = pd.to_datetime(fields[list(_PARTS)].where(matched), errors="coerce")
    local = local + pd.to_timedelta(fields["fraction"].astype("int64"), unit="ns")
    result = _to_utc(local, fields["offset"], timezone)
    unmatched = rest & ~matched.to_numpy() & ~empty
    if unmatched.any():
        unmatched &= text.str.contains(_HAS_MONTH_NAME, na=False).to_numpy()
    if unmatched.any():
        result = result.copy()
        named = [_parse_named_month(str(v), timezone, order) for v in text[unmatched]]
        result[unmatched] = pd.Series(named, index=text[unmatched].index, dtype=result.dtype)
    bad = result.isna() & ~empty
    return result, bad


_PARTS = ("year", "month", "day", "hour", "minute", "second")
_MIN_YEAR, _MAX_YEAR = 1678, 2261  # datetime64[ns] spans 1677-09-21 to 2262-04-11
_DATE_SEPARATORS = np.array([ord(c) for c in "-/."], dtype=np.uint32)
_TIME_SEPARATORS = np.array([ord(c) for c in "T "], dtype=np.uint32)
# cell width -> positions of the digits of year, month, day, hour, minute, second
_FIXED_WIDTHS = {
    19: ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)),
    16: ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16)),
    10: ((0, 4), (5, 7), (8, 10)),
}


def _fixed_width_parts(cells: np.ndarray) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """Rows in the form YYYY-MM-DD[( |T)HH:MM[:SS]] (ASCII digits), with their parts.

    Exactly the cells the regular expression reads the same way with no zone or fraction.
    """
    try:
        widths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    except TypeError:  # a cell that is not text (None): never a fixed-width date
        widths = np.array([len(c) if type(c) is str else -1 for c in cells], dtype=np.int64)
    for width, spans in _FIXED_WIDTHS.items():
        rows = np.flatnonzero(widths == width)
        if not len(rows):
            continue
        codes = np.array(cells[rows].tolist(), dtype=f"<U{width}").view(np.uint32)
        codes = codes.reshape(len(rows), width)
        ok = np.isin(codes[:, 4], _DATE_SEPARATORS) & np.isin(codes[:, 7], _DATE_SEPARATORS)
        if width > 10:
            ok &= np.isin(codes[:, 10], _TIME_SEPARATORS) & (codes[:, 13] == ord(":"))
        if width > 16:
            ok &= codes[:, 16] == ord(":")
        digits = codes - ord("0")  # wraps around below "0": any non-digit is > 9
        numbers = {}
        for name, (start, stop) in zip(_PARTS, spans, strict=False):
            ok &= (digits[:, start:stop] <= 9).all(axis=1)
            value = np.zeros(len(rows), dtype=np.int64)
            for position in range(start, stop):
                value = value * 10 + digits[:, position]
            numbers[name] = value.astype(float)
        for name in _PARTS[len(spans) :]:
            numbers[name] = np.zeros(len(rows))
        if ok.any():
            yield rows[ok], {name: column[ok] for name, column in numbers.items()}


def _regex_parts(text: pd.Series, order: DateOrder) -> pd.DataFrame:
    """Date parts, nanosecond fraction and zone offset (minutes) of each cell, by regex."""
    parts = text.str.extract(_DT)
    slash = parts["a"].notna()
    first = parts["a"].astype(float)
    second = parts["b"].astype(float)
    fraction = parts["f"].fillna("").str.ljust(9, "0").replace("000000000", "0")
    return pd.DataFrame(
        {
            "year": parts["y"].astype(float).where(~slash, parts["y2"].astype(float)),
            "month": parts["m"].astype(float).where(~slash, first if order == "mdy" else second),
            "day": parts["d"].astype(float).where(~slash, second if order == "mdy" else first),
            "hour": parts["H"].astype(float).fillna(0),
            "minute": parts["M"].astype(float).fillna(0),
            "second": parts["S"].astype(float).fillna(0),
            "offset": _offset_minutes(parts["tz"]),
            "fraction": pd.to_numeric(fraction.where(fraction != "", "0")).astype(float),
        },
        index=text.index,
    )[[*_PARTS, "offset", "fraction"]]


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
    if not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
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

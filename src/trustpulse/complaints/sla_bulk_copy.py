"""Bulk reads and writes as numpy arrays, through PostgreSQL's binary COPY.

A million cases mean three million events and two million clock rows. Fetched as rows, each
costs a protocol message and a parse on our side (COPY in CSV: about half the warm
recompute). `read_groups` asks the server for one row per group instead, each value column
folded into an array (`array_agg`), in binary: integers and timestamps arrive as fixed-width
big-endian fields that numpy reads without a loop, and a timestamp is already an integer
(microseconds since 2000-01-01). Only the few group keys are decoded in Python.
SQLite has no COPY; there the rows are fetched as usual and shaped the same way.
`write_binary` goes the other way: fixed-width rows built as one numpy record array.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session

from trustpulse.db import UTCDateTime

NONE = np.iinfo(np.int64).max  # a NULL time; also PostgreSQL's binary 'infinity'
T = TypeVar("T")
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_Y2K = 946_684_800_000_000  # 2000-01-01 (PostgreSQL's timestamp epoch) in Unix microseconds
_COPY_SLICE = 100_000  # rows per write of `write_binary`
_TIMESTAMPTZ, _WIDTHS = 1184, {20: 8, 23: 4, 21: 2, 1184: 8}  # array element OIDs → bytes


@dataclass
class Groups:
    """What `read_groups` read: the distinct keys, and the values with their key's row."""

    keys: pd.DataFrame  # one row per group: the key columns (strings or None)
    values: pd.DataFrame  # one row per row read: the value columns, and `group` (a keys row)


def read_groups(
    session: Session,
    statement: Select[*tuple[Any, ...]],
    *,
    keys: int,
    sparse: Collection[str] = (),
) -> Groups:
    """The statement's rows, split into its first `keys` columns (strings or NULL) and the rest
    (integers or timestamps; times as int64 µs since the Unix epoch, NONE for NULL).

    `sparse` names time columns that are mostly NULL: without keys, PostgreSQL then sends only
    their values, each with the row's first value column, which must be unique. The rows come
    back in no particular order.
    """
    return prepare_groups(session, statement, keys=keys, sparse=sparse)()


def prepare_groups(
    session: Session,
    statement: Select[*tuple[Any, ...]],
    *,
    keys: int,
    sparse: Collection[str] = (),
) -> Callable[[], Groups]:
    """`read_groups` as a function to call later, which uses the session's psycopg connection
    but not the session (so it may run in another thread: see `in_background`). SQLite reads
    at once."""
    names = [c.name for c in statement.selected_columns]
    times = [isinstance(c.type, UTCDateTime) for c in statement.selected_columns]
    if session.get_bind().dialect.name != "postgresql":
        groups = _rows(session, statement, names, times, keys)
        return lambda: groups
    if sparse and keys:
        raise ValueError("sparse columns need a read without keys")
    inner = statement.subquery()
    columns = list(inner.c)
    values: list[Any] = [
        func.array_agg(func.coalesce(c, literal("infinity").cast(c.type)) if is_time else c)
        for c, name, is_time in zip(columns[keys:], names[keys:], times[keys:], strict=True)
        if name not in sparse
    ]
    fetched = [n for n in names if n not in sparse]
    for c, name in zip(columns[keys:], names[keys:], strict=True):
        if name in sparse:
            values += [
                func.array_agg(columns[keys]).filter(c.is_not(None)),
                func.array_agg(c).filter(c.is_not(None)),
            ]
            fetched += [f"{name} of", name]
    grouped = select(*columns[:keys], *values)
    if keys:
        grouped = grouped.group_by(*columns[:keys])
    sql = str(
        grouped.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    )
    raw = _driver(session)
    return lambda: _groups(_copy_out(raw, sql, grouped=keys > 0), names, fetched, keys, sparse)


def in_background(session: Session, work: Callable[[], T]) -> Future[T]:
    """Run `work` (see `prepare_groups`) in a thread on PostgreSQL, where a COPY leaves the
    client idle while the server works; elsewhere at once. Until the future is done the
    caller must not use the session: the connection is busy."""
    if session.get_bind().dialect.name == "postgresql":
        pool = ThreadPoolExecutor(max_workers=1)
        future = pool.submit(work)
        pool.shutdown(wait=False)  # the thread ends with the work
        return future
    done: Future[T] = Future()
    done.set_result(work())
    return done


def _copy_out(raw: Any, sql: str, *, grouped: bool) -> memoryview:
    data = bytearray()
    with raw.cursor() as cursor:
        if grouped:
            # a few groups, estimated as many: without this the planner sorts every row
            cursor.execute(
                "SELECT current_setting('enable_sort'), set_config('enable_sort', 'off', true)"
            )
            (previous, _) = cursor.fetchone()
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
            for block in copy:
                data += block
        if grouped:
            cursor.execute("SELECT set_config('enable_sort', %s, true)", (previous,))
    return memoryview(data)


def _groups(
    data: memoryview, names: list[str], fetched: list[str], keys: int, sparse: Collection[str]
) -> Groups:
    key_rows, arrays, sizes = _parse(data, fetched, keys)
    if sparse:
        ids = arrays[names[keys]]
        order = np.argsort(ids, kind="stable")
        for name in sparse:
            full = np.full(len(ids), NONE, dtype=np.int64)
            full[order[np.searchsorted(ids[order], arrays.pop(f"{name} of"))]] = arrays[name]
            arrays[name] = full
    group = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    return Groups(
        pd.DataFrame(key_rows, columns=names[:keys], dtype=object),
        pd.DataFrame({n: arrays[n] for n in names[keys:]}).assign(group=group),
    )


def _rows(
    session: Session,
    statement: Select[*tuple[Any, ...]],
    names: list[str],
    times: list[bool],
    keys: int,
) -> Groups:
    """SQLite: fetch the rows, then group them here."""
    frame = pd.DataFrame([tuple(r) for r in session.execute(statement)], columns=names)
    for name, is_time in zip(names[keys:], times[keys:], strict=True):
        frame[name] = _micros(frame[name]) if is_time else frame[name].astype(np.int64)
    group = np.zeros(len(frame), np.int64)
    if keys and len(frame):
        numbers = frame.groupby(names[:keys], dropna=False, sort=False).ngroup()
        group[:] = numbers.to_numpy()
    _, first = np.unique(group, return_index=True)
    key_frame = frame.iloc[first][names[:keys]].astype(object).reset_index(drop=True)
    key_frame = key_frame.where(key_frame.notna(), None)
    return Groups(key_frame, frame[names[keys:]].assign(group=group))


def _parse(
    data: memoryview, names: list[str], keys: int
) -> tuple[list[list[str | None]], dict[str, npt.NDArray[np.int64]], list[int]]:
    """A binary COPY of (key…, array…) rows: the keys of each row, each array column's
    elements concatenated, and how many elements each row's first array has."""
    if bytes(data[:11]) != _SIGNATURE:
        raise ValueError("not a binary COPY stream")
    (extension,) = struct.unpack_from(">i", data, 15)
    at = 19 + extension
    key_rows: list[list[str | None]] = []
    arrays: list[list[npt.NDArray[np.int64]]] = [[] for _ in names[keys:]]
    while True:
        (fields,) = struct.unpack_from(">h", data, at)
        at += 2
        if fields == -1:
            break
        row: list[str | None] = []
        for number in range(fields):
            (length,) = struct.unpack_from(">i", data, at)
            at += 4
            value = data[at : at + max(length, 0)]
            at += max(length, 0)
            if number < keys:
                row.append(None if length < 0 else bytes(value).decode())
            else:
                arrays[number - keys].append(_array(value, length))
        key_rows.append(row)
    columns = {
        name: np.concatenate(parts) if parts else np.zeros(0, np.int64)
        for name, parts in zip(names[keys:], arrays, strict=True)
    }
    return key_rows, columns, [len(a) for a in arrays[0]]


def _array(value: memoryview, length: int) -> npt.NDArray[np.int64]:
    """One binary array of fixed-width integers or timestamps without NULLs, as int64."""
    if length < 0:  # array_agg over no rows
        return np.zeros(0, np.int64)
    dims, nulls, oid = struct.unpack_from(">iii", value, 0)
    if dims == 0:
        return np.zeros(0, np.int64)
    if dims != 1 or nulls or oid not in _WIDTHS:
        raise ValueError(f"expected a one-dimensional array of integers without NULLs: {oid}")
    (count,) = struct.unpack_from(">i", value, 12)
    width = _WIDTHS[oid]
    items = np.frombuffer(
        value, dtype=np.dtype([("length", ">i4"), ("value", f">i{width}")]), count=count, offset=20
    )
    out = items["value"].astype(np.int64)
    if oid == _TIMESTAMPTZ:
        out = np.where(out == NONE, NONE, out + _Y2K)
    return out


HIGH = 1 << 32  # two int4 values travel as one int8: high × HIGH + low
_FORMATS = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "time": ">i8", "time?": ">i8"}


def write_binary(
    session: Session,
    table: str,
    columns: Mapping[str, tuple[str, npt.NDArray[np.int64]]],
    *,
    names: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """COPY columns into `table` in PostgreSQL's binary format, one numpy record per row: no
    formatting and no parsing. Kinds: integers ("int2", "int4", "int8"); times ("time": µs
    since the Unix epoch, NONE for 'infinity'; "time?": NONE for NULL); "name": an index into
    `names[column]`, sent as that text.

    With only fixed-width kinds every row has the same bytes. NULLs and names make rows differ
    in length: each row is then built at its widest and the unused bytes are cut out with one
    mask per slice, which keeps the work in numpy.
    """
    names = names or {}
    kinds = [kind for kind, _ in columns.values()]
    vocabularies = {
        column: np.array([n.encode() for n in names[column]] or [b""])
        for column, (kind, _) in columns.items()
        if kind == "name"
    }
    layout: list[tuple[str, str]] = [("fields", ">i2")]
    for i, (column, (kind, _)) in enumerate(columns.items()):
        value = vocabularies[column].dtype.str if kind == "name" else _FORMATS[kind]
        layout += [(f"n{i}", ">i4"), (f"v{i}", value)]
    dtype = np.dtype(layout)
    variable = any(kind in ("name", "time?") for kind in kinds)
    total = len(next(iter(columns.values()))[1])
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)"
    with _driver(session).cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(_SIGNATURE + struct.pack(">ii", 0, 0))
        # a slice at a time: the server parses one while the next is built (2M rows: 1.6 s
        # of building that had kept the server waiting)
        for start in range(0, total, _COPY_SLICE):
            end = min(start + _COPY_SLICE, total)
            rows = np.zeros(end - start, dtype=dtype)
            rows["fields"] = len(kinds)
            keep: dict[int, npt.NDArray[np.int64]] = {}  # bytes kept of a variable value
            for i, (column, (kind, values)) in enumerate(columns.items()):
                part = values[start:end]
                if kind == "name":
                    vocabulary = vocabularies[column]
                    rows[f"v{i}"] = vocabulary[part]
                    keep[i] = np.char.str_len(vocabulary)[part]
                    rows[f"n{i}"] = keep[i]
                    continue
                width = np.dtype(_FORMATS[kind]).itemsize
                if kind == "time?":
                    missing = part == NONE
                    keep[i] = np.where(missing, 0, width)
                    rows[f"n{i}"] = np.where(missing, -1, width)
                    part = np.where(missing, 0, part - _Y2K)
                else:
                    rows[f"n{i}"] = width
                    if kind == "time":
                        part = np.where(part == NONE, NONE, part - _Y2K)
                rows[f"v{i}"] = part
            copy.write(_cut(rows, keep) if variable else rows.tobytes())
        copy.write(struct.pack(">h", -1))


def _cut(rows: npt.NDArray[np.void], keep: Mapping[int, npt.NDArray[np.int64]]) -> bytes:
    """The rows' bytes without what a variable value leaves unused (`keep`: bytes kept of
    value field i, per row)."""
    width = rows.dtype.itemsize
    fields: Mapping[str, tuple[Any, ...]] = rows.dtype.fields or {}
    mask = np.ones((len(rows), width), dtype=bool)
    for i, kept in keep.items():
        offset = fields[f"v{i}"][1]
        size = rows.dtype[f"v{i}"].itemsize
        mask[:, offset : offset + size] = np.arange(size) < kept[:, None]
    return rows.view(np.uint8).reshape(len(rows), width)[mask].tobytes()


def _driver(session: Session) -> Any:
    """The psycopg connection under the session's (for COPY)."""
    raw = session.connection().connection.driver_connection
    if raw is None:
        raise RuntimeError("no DBAPI connection for COPY")
    return raw


def split(packed: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The (high, low) int4 pair of each `high × HIGH + low` (exact for any signs)."""
    low = (packed + (1 << 31)) % HIGH - (1 << 31)
    return (packed - low) // HIGH, low


def _micros(series: pd.Series) -> npt.NDArray[np.int64]:
    values = pd.to_datetime(series, utc=True).dt.as_unit("us")
    out = values.astype("int64").to_numpy()
    return np.where(values.isna().to_numpy(), NONE, out)

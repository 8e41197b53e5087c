"""Streaming readers for CSV, XLSX and JSON Lines files: encoding detection, chunks of str rows.

Every reader yields the file's data records in order, numbered from 1 (the header is not
counted). A record that cannot be parsed (an unterminated quote at the end of the file, a JSON
line that is not an object, a wrong number of fields) is yielded as a `BadRecord` with a reason,
so the importer can reject it and still account for it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from charset_normalizer import from_bytes

from trustpulse.errors import InvalidInputError

CHINESE_ENCODINGS = {"gbk", "gb2312", "gb18030", "hz", "cp936", "big5", "big5hkscs"}
_SAMPLE_BYTES = 1 << 20

# csv's default field limit (128 KiB) is far below a long complaint narrative.
csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class BadRecord:
    row_number: int
    reason: str
    raw: dict[str, str] = field(default_factory=dict)


@dataclass
class Chunk:
    """Consecutive records: `frame` (all str, one column per header) holds the parseable ones."""

    frame: pd.DataFrame
    row_numbers: list[int]
    bad: list[BadRecord]
    records: int  # parseable + bad records in this chunk
    bytes_read: int


@dataclass(frozen=True)
class FileInfo:
    path: Path
    format: str  # csv | xlsx | jsonl
    encoding: str | None
    sha256: str
    size: int


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    return "csv"


def inspect_file(path: Path, *, encoding: str | None = None) -> FileInfo:
    """Hash the file and settle its encoding (named, or detected) in one pass over its bytes.

    Raises InvalidInputError for a missing, unreadable or empty file or an unknown encoding.
    """
    if not path.is_file():
        raise InvalidInputError(f"cannot read {path}: no such file", field="file")
    fmt = file_format(path)
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, size, sample = True, 0, b""
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
                if len(sample) < _SAMPLE_BYTES:
                    sample += block[: _SAMPLE_BYTES - len(sample)]
                if utf8_ok and fmt != "xlsx":
                    try:
                        utf8.decode(block)
                    except UnicodeDecodeError:
                        utf8_ok = False
                size += len(block)
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}", field="file") from exc
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InvalidInputError(f"{path.name} is empty", field="file")
    if fmt == "xlsx":
        return FileInfo(path, fmt, None, digest.hexdigest(), size)
    encoding = _settle_encoding(encoding, sample, utf8_ok=utf8_ok)
    return FileInfo(path, fmt, encoding, digest.hexdigest(), size)


def _settle_encoding(encoding: str | None, sample: bytes, *, utf8_ok: bool) -> str:
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError as exc:
            raise InvalidInputError(f"unknown encoding {encoding!r}", field="encoding") from exc
        if encoding in CHINESE_ENCODINGS - {"big5", "big5hkscs"}:
            encoding = "gb18030"  # a superset of GBK and GB2312
    elif sample.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif utf8_ok:
        encoding = "utf-8"
    else:
        encoding = _detect_non_utf8(sample)
    return encoding


def _detect_non_utf8(sample: bytes) -> str:
    try:
        # GB18030 decodes almost any byte soup, so only trust it when the sample is clean.
        sample.decode("gb18030")
    except UnicodeDecodeError:
        best = from_bytes(sample).best()
        if best is None:
            raise InvalidInputError(
                "cannot detect the file's encoding; name it with --encoding", field="encoding"
            ) from None
        name = codecs.lookup(best.encoding).name
        return "gb18030" if name in CHINESE_ENCODINGS - {"big5", "big5hkscs"} else name
    return "gb18030"


@dataclass
class _Tracker:
    """The open binary file, so chunks can report how far into the file they are."""

    raw: BinaryIO | None = None

    def position(self, size: int) -> int:
        if self.raw is None or self.raw.closed:
            return size
        return min(self.raw.tell(), size)


def _open_text(info: FileInfo, tracker: _Tracker) -> tuple[BinaryIO, io.TextIOWrapper]:
    raw = info.path.open("rb")
    tracker.raw = raw
    return raw, io.TextIOWrapper(raw, encoding=info.encoding or "utf-8", newline="")


def read_header(info: FileInfo) -> list[str]:
    """The column names (CSV/XLSX header row; JSONL: keys of the first 1,000 objects)."""
    for chunk in iter_chunks(info, chunk_rows=1000, header_only=True):
        return list(chunk.frame.columns)
    return []


def iter_chunks(
    info: FileInfo,
    *,
    chunk_rows: int,
    skip_rows: int = 0,
    usecols: Sequence[str] | None = None,
    header_only: bool = False,
) -> Iterator[Chunk]:
    """Chunks of at most `chunk_rows` records, after the first `skip_rows` records."""
    tracker = _Tracker()
    if info.format == "xlsx":
        records: Iterator[tuple[int, list[str] | BadRecord]] = _xlsx_records(info)
    elif info.format == "jsonl":
        records = _jsonl_records(info, tracker)
    else:
        records = _csv_records(info, tracker)
    header_item = next(records, None)
    if header_item is None or isinstance(header_item[1], BadRecord):
        raise InvalidInputError(f"{info.path.name} has no header row", field="file")
    header = _unique_header(header_item[1])
    if header_only:
        yield Chunk(pd.DataFrame(columns=header, dtype=str), [], [], 0, 0)
        return
    keep = [header.index(c) for c in usecols] if usecols is not None else None
    columns = list(usecols) if usecols is not None else header
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    bad: list[BadRecord] = []
    count = 0
    for number, item in records:
        if number <= skip_rows:
            continue
        count += 1
        if isinstance(item, BadRecord):
            bad.append(item)
        elif len(item) != width:
            bad.append(_width_error(number, item, header))
        else:
            rows.append([item[i] for i in keep] if keep is not None else item)
            numbers.append(number)
        if count >= chunk_rows:
            yield _make_chunk(rows, columns, numbers, bad, count, tracker.position(info.size))
            rows, numbers, bad, count = [], [], [], 0
    if count or not numbers:
        yield _make_chunk(rows, columns, numbers, bad, count, tracker.position(info.size))


def _make_chunk(  # noqa: PLR0917 -- private; the parts of one chunk
    rows: list[list[str]],
    columns: list[str],
    numbers: list[int],
    bad: list[BadRecord],
    count: int,
    position: int,
) -> Chunk:
    frame = pd.DataFrame(rows, columns=columns, dtype=object) if rows else None
    if frame is None:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    return Chunk(frame, numbers, bad, count, position)


def _width_error(number: int, item: list[str], header: list[str]) -> BadRecord:
    raw = dict(zip(header, item, strict=False))
    if len(item) > len(header):
        raw["_extra"] = json.dumps(item[len(header) :], ensure_ascii=False)
    reason = f"expected {len(header)} fields, found {len(item)}"
    return BadRecord(number, reason, raw)


def _unique_header(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    header = []
    for position, name in enumerate(names):
        clean = str(name).strip() or f"column_{position + 1}"
        if clean in seen:
            seen[clean] += 1
            clean = f"{clean}.{seen[clean]}"
        else:
            seen[clean] = 0
        header.append(clean)
    return header


def _csv_records(info: FileInfo, tracker: _Tracker) -> Iterator[tuple[int, list[str] | BadRecord]]:
    raw, text = _open_text(info, tracker)
    try:
        reader = csv.reader(text, strict=True)
        number = -1  # the header is record 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                yield number, BadRecord(number, _csv_reason(exc, reader.line_num))
                continue
            except UnicodeDecodeError as exc:
                raise InvalidInputError(
                    f"cannot decode {info.path.name} as {info.encoding} near line "
                    f"{reader.line_num + 1}; name the encoding with --encoding",
                    field="encoding",
                ) from exc
            if not row:
                continue  # a blank line is not a record
            number += 1
            yield number, row
    finally:
        text.close()
        raw.close()


def _csv_reason(exc: csv.Error, line: int) -> str:
    message = str(exc)
    if "unexpected end of data" in message:
        return f"unterminated quoted field at end of file (line {line})"
    return f"malformed CSV at line {line}: {message}"


def _jsonl_records(
    info: FileInfo, tracker: _Tracker
) -> Iterator[tuple[int, list[str] | BadRecord]]:
    raw, text = _open_text(info, tracker)
    try:
        lines = (line for line in text if line.strip())
        buffered: list[tuple[int, dict[str, Any] | BadRecord]] = []
        keys: dict[str, None] = {}
        number = 0
        try:
            for line in lines:
                number += 1
                parsed = _parse_json_line(number, line)
                if isinstance(parsed, dict):
                    keys.update(dict.fromkeys(parsed))
                buffered.append((number, parsed))
                if number >= 1000:
                    break
            header = list(keys)
            yield 0, header
            for item_number, item in buffered:
                yield item_number, _json_row(item_number, item, header)
            for line in lines:
                number += 1
                yield number, _json_row(number, _parse_json_line(number, line), header)
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"cannot decode {info.path.name} as {info.encoding}; name it with --encoding",
                field="encoding",
            ) from exc
    finally:
        text.close()
        raw.close()


def _parse_json_line(number: int, line: str) -> dict[str, Any] | BadRecord:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return BadRecord(number, f"invalid JSON: {exc.msg} at column {exc.colno}", {"_line": line})
    if not isinstance(value, dict):
        return BadRecord(number, "a JSON line must hold an object", {"_line": line})
    return value


def _json_row(
    number: int, item: dict[str, Any] | BadRecord, header: list[str]
) -> list[str] | BadRecord:
    if isinstance(item, BadRecord):
        return item
    extra = [k for k in item if k not in header]
    if extra:
        return BadRecord(
            number, f"unknown keys {extra} (not in the first 1,000 lines)", _stringify_dict(item)
        )
    return [_cell(item.get(k)) for k in header]


def _stringify_dict(item: dict[str, Any]) -> dict[str, str]:
    return {str(k): _cell(v) for k, v in item.items()}


def _cell(value: object) -> str:  # noqa: PLR0911 -- one return per value type
    """A JSON or spreadsheet value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _xlsx_records(info: FileInfo) -> Iterator[tuple[int, list[str] | BadRecord]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # noqa: PLC0415 -- lazy

    try:
        book = load_workbook(info.path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError) as exc:
        raise InvalidInputError(f"cannot read {info.path.name} as XLSX: {exc}") from exc
    except Exception as exc:  # zipfile.BadZipFile and openpyxl's own errors
        raise InvalidInputError(f"cannot read {info.path.name} as XLSX: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        number = -1
        width = 0
        for values in sheet.iter_rows(values_only=True):
            cells = [_cell(v) for v in values]
            if number < 0:
                while cells and cells[-1] == "":
                    cells.pop()
                if not cells:
                    continue
                width = len(cells)
            elif not any(cells):
                continue
            else:
                cells = (cells + [""] * width)[:width] if len(cells) != width else cells
            number += 1
            yield number, cells
    finally:
        book.close()

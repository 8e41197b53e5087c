"""Any dashboard table as Excel (openpyxl) or CSV: pages answer `?export=xlsx|csv` with it.

A page builds an ExportTable (translated headers, plain values) from the same rows it renders,
so the download always matches the screen. A page with several tables names them: the first is
its default, `&table=<id>` picks another (`pick_table`); such a table carries its own file
name. CSV is UTF-8 with a BOM, which Excel needs to read Chinese; cells that start with
= + - @ are prefixed with ' so a spreadsheet never runs them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs, as in imports/readers
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

from trustpulse.errors import InvalidInputError

ExportFormat = Literal["xlsx", "csv"]
Cell = str | int | float | Decimal | date | datetime | None
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class ExportTable:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    filename: str | None = None  # without extension; None: the page's default name


def parse_format(value: str | None) -> ExportFormat | None:
    if value is None or value == "":
        return None
    if value == "xlsx":
        return "xlsx"
    if value == "csv":
        return "csv"
    raise InvalidInputError(f"export: {value!r} is not xlsx or csv", field="export")


def pick_table(tables: Mapping[str, ExportTable], name: str | None) -> ExportTable:
    """The table `?table=` names, the first one when none is named.

    Raises InvalidInputError (field table) for a name the page does not have."""
    if name is None or name == "":
        return next(iter(tables.values()))
    if name not in tables:
        raise InvalidInputError(f"table: {name!r} is not one of {', '.join(tables)}", field="table")
    return tables[name]


def _safe_text(value: str) -> str:
    return "'" + value if _FORMULA.match(value) else value


def _plain(value: Cell) -> str | int | float | datetime | date | None:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; values are shown as given
    if isinstance(value, str):
        return _safe_text(value)
    return value


def to_xlsx(table: ExportTable) -> bytes:
    """Written in openpyxl's write-only mode (streams rows; ~3x faster on 50,000 verbatims)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31] or "export")
    sheet.freeze_panes = "A2"
    header = []
    for title in table.headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([_plain(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(table: ExportTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if v is None else _plain(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_response(table: ExportTable, fmt: ExportFormat, *, filename: str) -> Response:
    body = to_xlsx(table) if fmt == "xlsx" else to_csv(table)
    name = f"{table.filename or filename}.{fmt}"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=_MEDIA[fmt], headers={"Content-Disposition": disposition})

"""Table exports: headers and rows as shown, Excel-safe text, UTF-8 CSV that Excel reads."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs

from trustpulse.web.export import ExportTable, to_csv, to_xlsx

TABLE = ExportTable(
    title="渠道: NPS",
    headers=["渠道", "n", "value", "when"],
    rows=[
        ['=HYPERLINK("http://x")', 3, Decimal("1.50"), datetime(2026, 3, 5, 8, tzinfo=UTC)],
        ["天猫", 10, None, None],
    ],
)


def test_xlsx_holds_headers_and_typed_values() -> None:
    sheet = load_workbook(BytesIO(to_xlsx(TABLE))).active
    assert sheet is not None
    assert sheet.title == "渠道  NPS"
    assert [c.value for c in sheet[1]] == ["渠道", "n", "value", "when"]
    assert sheet["B2"].value == 3
    assert sheet["C2"].value == 1.5
    assert sheet["D2"].value == datetime(2026, 3, 5, 8)  # noqa: DTZ001 -- Excel has no zones


def test_text_that_looks_like_a_formula_is_neutralised() -> None:
    sheet = load_workbook(BytesIO(to_xlsx(TABLE))).active
    assert sheet is not None
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")'
    assert "'=HYPERLINK" in to_csv(TABLE).decode("utf-8")


def test_csv_is_utf8_with_bom() -> None:
    body = to_csv(TABLE)
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "渠道,n,value,when"
    assert lines[2] == "天猫,10,,"

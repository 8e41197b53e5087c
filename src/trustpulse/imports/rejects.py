"""The rejects file: every rejected row with its row number, field and reason, safe to open."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.imports.models import ImportReject

# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def neutralise(cell: str) -> str:
    """Prefix a formula-looking cell with a single quote so a spreadsheet shows it as text.

    Signed plain numbers (-1, +3.5) are left alone: they are data, not formulas.
    """
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(cell):
        return "'" + cell
    return cell


def write_rejects_file(
    session: Session, import_run_id: int, path: Path, *, header: Sequence[str] = ()
) -> Path:
    """Write the run's rejects (from import_rejects, in row order) as CSV; returns the path.

    Written from the table at the end of the run, so a resumed run's file covers the whole
    file exactly once.
    """
    rejects = session.scalars(
        select(ImportReject)
        .where(ImportReject.import_run_id == import_run_id)
        .order_by(ImportReject.row_number, ImportReject.id)
        .execution_options(yield_per=5000)
    )
    columns: dict[str, None] = dict.fromkeys(header)  # the file's own column order first
    for reject in session.scalars(
        select(ImportReject.raw).where(ImportReject.import_run_id == import_run_id).limit(1000)
    ):
        columns.update(dict.fromkeys(reject))
    header = ["row", "field", "reason", *columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for reject in rejects:
            raw = reject.raw or {}
            cells = [str(raw.get(c, "")) for c in columns]
            cells += [f"{k}={v}" for k, v in raw.items() if k not in columns]
            writer.writerow(
                [reject.row_number, reject.field or "", neutralise(reject.reason)]
                + [neutralise(c) for c in cells]
            )
    return path

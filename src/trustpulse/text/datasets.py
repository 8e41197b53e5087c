"""Labelled and unlabelled text files for training, evaluation and scoring (CSV/TSV/XLSX/JSONL)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd

from trustpulse.errors import InvalidInputError

SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".xlsx": "xlsx", ".jsonl": "jsonl"}


def read_table(path: Path) -> pd.DataFrame:
    """The whole file as strings; InvalidInputError (one line) when it cannot be read."""
    kind = SUFFIXES.get("".join(path.suffixes[-2:]).removesuffix(".gz")) or SUFFIXES.get(
        path.suffix.lower()
    )
    if not path.is_file():
        raise InvalidInputError(f"cannot read {path}: no such file", file=str(path))
    if kind is None:
        raise InvalidInputError(
            f"cannot read {path}: use .csv, .tsv, .xlsx or .jsonl", file=str(path)
        )
    try:
        if kind == "xlsx":
            frame = pd.read_excel(path, dtype=str)
        elif kind == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        elif kind == "tsv":
            # Tab-separated files are not quoted: a lone `"` in a text would otherwise open a
            # quoted field that swallows the rows after it (ChnSentiCorp's train.tsv lost 437).
            frame = pd.read_csv(path, sep="\t", dtype=str, quoting=csv.QUOTE_NONE)
        else:
            frame = pd.read_csv(path, sep=",", dtype=str)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInputError(f"cannot read {path}: {reason}", file=str(path)) from exc
    frame.columns = [str(c) for c in frame.columns]
    return frame


def column(frame: pd.DataFrame, name: str, path: Path) -> list[str]:
    """Column `name` as strings (missing cells are empty strings; 1.0 from JSON stays 1)."""
    if name not in frame.columns:
        raise InvalidInputError(
            f"{path}: no column {name!r} (columns: {', '.join(frame.columns)})",
            file=str(path),
            field=name,
        )
    return [_as_text(v) for v in frame[name].tolist()]


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def labelled(path: Path, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    """(texts, labels) of the rows where both cells are filled."""
    frame = read_table(path)
    texts = column(frame, text_column, path)
    labels = column(frame, label_column, path)
    rows = [(t, y.strip()) for t, y in zip(texts, labels, strict=True) if t.strip() and y.strip()]
    if not rows:
        raise InvalidInputError(f"{path}: no rows with both {text_column!r} and {label_column!r}")
    return [t for t, _ in rows], [y for _, y in rows]


def write_table(frame: pd.DataFrame, path: Path) -> None:
    kind = SUFFIXES.get(path.suffix.lower(), "csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "xlsx":
        frame.to_excel(path, index=False)
    elif kind == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif kind == "tsv":
        # Written the way read_table reads it, unquoted: tabs and line breaks inside a text
        # become spaces; the quote character is one no text keeps (csv insists on having one).
        cleaned = frame.replace(r"[\t\r\n\x1f]+", " ", regex=True)
        cleaned.to_csv(path, sep="\t", index=False, quoting=csv.QUOTE_NONE, quotechar="\x1f")
    else:
        frame.to_csv(path, sep=",", index=False)

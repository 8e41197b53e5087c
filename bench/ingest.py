"""Ingest benchmark: validated `trustpulse import` vs. the baselines a user would otherwise use.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--out docs/benchmarks.md]

Generates a CSV of survey feedback (id, customer, time, channel, text, NPS, CSAT, CES), then in
one run, side by side on the same file:
  - PostgreSQL raw `COPY` into a bare table (the ceiling: no validation, no keys, no upsert);
  - `trustpulse import` into PostgreSQL (validated, idempotent upsert, long-form scores);
  - pandas `read_csv` + `to_sql` into SQLite (what an analyst would script);
  - `trustpulse import` into SQLite.
Each is a separate process; peak memory is its max resident set size (GNU time). Results are
printed as a Markdown table and, with --out, written into the benchmarks doc between markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

OPENERS = [
    "这次购物",
    "整体体验",
    "The delivery",
    "客服态度",
    "Product quality",
    "安装师傅",
    "价格",
]
MIDDLES = ["非常满意", "还可以", "很失望", "超出预期", "was late again", "is great", "一般般"]
DETAILS = ["，下次还会买", "，希望改进", "!", "。", " – would recommend", "，物流太慢了", "？"]


def generate_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2025, 5, 1, tzinfo=UTC)
    channels = ["survey_email", "survey_sms", "wechat", "app"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("external_id,customer_id,occurred_at,channel,text,nps,csat,ces\n")
        for i in range(rows):
            at = start + timedelta(seconds=rng.randrange(0, 540 * 86400))
            text = f"{rng.choice(OPENERS)}{rng.choice(MIDDLES)}{rng.choice(DETAILS)} #{i % 9973}"
            fh.write(
                f"S{i:08d},C{rng.randrange(200_000):06d},{at:%Y-%m-%d %H:%M:%S},"
                f'{rng.choice(channels)},"{text}",{rng.randrange(11)},{rng.randint(1, 5)},'
                f"{rng.randint(1, 7)}\n"
            )


@dataclass
class Result:
    name: str
    database: str
    seconds: float
    peak_mb: float
    rows: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run cmd under GNU time; return (wall seconds, peak RSS in MB, stdout)."""
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS %M", *cmd],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    match = re.search(r"MAXRSS (\d+)", proc.stderr)
    peak_mb = int(match.group(1)) / 1024 if match else float("nan")
    return seconds, peak_mb, proc.stdout


def fresh_pg_database(name: str) -> str:
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", PG_ADMIN, "-q", "-c", sql], check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def bench_raw_copy(csv_path: Path, rows: int) -> Result:
    url = fresh_pg_database("trustpulse_bench_copy").replace("+psycopg", "")
    subprocess.run(
        [
            "psql",
            url,
            "-q",
            "-c",
            "CREATE TABLE raw_feedback (external_id text, customer_id text, occurred_at text, "
            "channel text, text text, nps text, csat text, ces text)",
        ],
        check=True,
    )
    seconds, peak, _ = measured(
        ["psql", url, "-q", "-c", f"\\copy raw_feedback FROM '{csv_path}' CSV HEADER"]
    )
    return Result("raw COPY (psql \\copy, no validation)", "PostgreSQL", seconds, peak, rows)


def bench_import(csv_path: Path, rows: int, database_url: str, label: str, home: Path) -> Result:
    env = {"TRUSTPULSE_HOME": str(home), "TRUSTPULSE_DATABASE_URL": database_url}
    subprocess.run(
        [str(VENV_BIN / "trustpulse"), "migrate"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    seconds, peak, out = measured(
        [
            str(VENV_BIN / "trustpulse"),
            "import",
            str(csv_path),
            "--kind",
            "survey",
            "--brand",
            "bench",
            "--json",
        ],
        env,
    )
    summary = json.loads(out.strip().splitlines()[-1])
    if summary["imported"] != rows:
        raise SystemExit(f"{label}: expected {rows} imported, got {summary}")
    return Result("trustpulse import (validated upsert + scores)", label, seconds, peak, rows)


def bench_pandas_sqlite(csv_path: Path, rows: int, work: Path) -> Result:
    code = (
        "import sqlite3, pandas as pd\n"
        f"con = sqlite3.connect({str(work / 'pandas.db')!r})\n"
        f"for chunk in pd.read_csv({str(csv_path)!r}, chunksize=100_000, dtype=str,"
        " keep_default_na=False):\n"
        "    chunk.to_sql('feedback', con, if_exists='append', index=False)\n"
        "con.commit()\n"
    )
    seconds, peak, _ = measured([sys.executable, "-c", code])
    return Result("pandas read_csv + to_sql (no validation)", "SQLite", seconds, peak, rows)


def render(results: list[Result], rows: int, file_mb: float) -> str:
    copy = next(r for r in results if r.name.startswith("raw COPY"))
    pandas_row = next(r for r in results if r.name.startswith("pandas"))
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.node()} ({os.cpu_count()} cores, "
        f"Python {platform.python_version()}), {rows:,} rows, {file_mb:.0f} MB CSV.",
        "",
        "| what | database | seconds | rows/s | peak MB | vs raw COPY (time) | vs pandas (time) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        vs_copy = f"{r.seconds / copy.seconds:.2f}×" if r.database == "PostgreSQL" else "–"
        vs_pandas = f"{r.seconds / pandas_row.seconds:.2f}×" if r.database == "SQLite" else "–"
        lines.append(
            f"| {r.name} | {r.database} | {r.seconds:.1f} | {r.rows_per_s:,.0f} | "
            f"{r.peak_mb:,.0f} | {vs_copy} | {vs_pandas} |"
        )
    return "\n".join(lines) + "\n"


def write_doc(doc: Path, table: str) -> None:
    begin, end = "<!-- ingest:begin -->", "<!-- ingest:end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"{begin}\n{end}\n"
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    doc.write_text(f"{head}{begin}\n{table}{end}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, help="benchmarks doc to update")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tp-bench-"))
    try:
        csv_path = work / "feedback.csv"
        started = time.perf_counter()
        generate_csv(csv_path, args.rows)
        file_mb = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows ({file_mb:.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        results = [bench_raw_copy(csv_path, args.rows)]
        print(results[-1])
        pg_url = fresh_pg_database("trustpulse_bench_import")
        results.append(bench_import(csv_path, args.rows, pg_url, "PostgreSQL", work / "pg"))
        print(results[-1])
        results.append(bench_pandas_sqlite(csv_path, args.rows, work))
        print(results[-1])
        sqlite_url = f"sqlite:///{work / 'sqlite' / 'trustpulse.db'}"
        results.append(bench_import(csv_path, args.rows, sqlite_url, "SQLite", work / "sqlite"))
        print(results[-1])
        table = render(results, args.rows, file_mb)
        print(table)
        if args.out:
            write_doc(args.out, table)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

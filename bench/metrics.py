"""Metrics benchmark: NPS, CSAT and the trust index by brand x segment x month, cold and warm.

    .venv/bin/python bench/metrics.py [--rows 1000000] [--repeat 15] [--out docs/benchmarks.md]

For SQLite and PostgreSQL: a fresh database at `head`, `--rows` survey responses (each with nps
and csat; a tenth also with the five dim_* trust items) written by Core bulk inserts (SQLite)
or COPY (PostgreSQL), not the importer. Then, on the same tables:
  - cold: `compute_metric(..., source="raw")` (SQL over feedback + scores);
  - warm: the daily rollups (`build_rollups`, timed once) then `source="rollup"`;
  - pandas: read feedback, scores, customers and brands with read_sql (read included) and
    compute the same NPS / CSAT per brand x segment x month.
p50/p95 over --repeat runs; the table goes between <!-- metrics:begin --> / <!-- metrics:end -->.
The trust index has no rollup (its interval needs per-customer parts): cold only, 3 runs.
"""

from __future__ import annotations

import argparse
import io
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from trustpulse import db, migrations
from trustpulse.config import Settings
from trustpulse.customers.models import Brand, Customer
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.rollups import build_rollups

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BY = ["brand", "segment", "month"]
SEGMENTS = ["family", "business", "student", "senior", "young_pro"]
DIMS = [f"dim_{d}" for d in ("product_reliability", "service_responsiveness",
        "information_transparency", "professionalism", "responsibility")]  # fmt: skip
START = datetime(2025, 5, 1, tzinfo=UTC).timestamp()


def _frames(rows: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    customers = 50_000
    stamps = START + rng.integers(0, 540 * 86400, rows)
    feedback = pd.DataFrame(
        {
            "id": np.arange(1, rows + 1),
            "brand_id": rng.integers(1, 3, rows),
            "customer_id": rng.integers(1, customers + 1, rows),
            "channel": rng.choice(["survey_email", "survey_sms"], rows),
            "occurred_at": pd.to_datetime(stamps, unit="s"),  # naive UTC
        }
    )
    nps = rng.integers(0, 11, rows)
    csat = rng.integers(1, 6, rows)
    parts = [
        pd.DataFrame({"feedback_id": feedback["id"], "metric": "nps", "value": nps}),
        pd.DataFrame({"feedback_id": feedback["id"], "metric": "csat", "value": csat}),
    ]
    rated = feedback["id"][rng.random(rows) < 0.1]
    for dim in DIMS:
        values = rng.integers(1, 6, len(rated))
        parts.append(pd.DataFrame({"feedback_id": rated, "metric": dim, "value": values}))
    return feedback, pd.concat(parts, ignore_index=True)


def _base(engine: Engine) -> None:
    with Session(engine) as session:
        session.add_all(Brand(id=i, code=f"b{i}", name=f"B{i}") for i in (1, 2))
        session.flush()
        rng = np.random.default_rng(1)
        segs = rng.choice(SEGMENTS, 50_000)
        session.execute(
            insert(Customer),
            [
                {"id": i + 1, "brand_id": 1 + i % 2, "external_id": f"c{i}",
                 "segment": str(segs[i]), "attributes": {}}
                for i in range(50_000)
            ],
        )  # fmt: skip
        session.commit()


def _load(engine: Engine, feedback: pd.DataFrame, scores: pd.DataFrame) -> float:
    started = time.perf_counter()
    fb = feedback.assign(
        kind="survey", source="bench", external_id="S" + feedback["id"].astype(str),
        content_hash="h", raw="{}", created_at=feedback["occurred_at"],
        updated_at=feedback["occurred_at"],
    )  # fmt: skip
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            for table, frame in (("feedback", fb), ("scores", scores)):
                buffer = io.StringIO()
                frame.to_csv(buffer, index=False, header=False)
                columns = ", ".join(frame.columns)
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(buffer.getvalue())
            cur.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    else:
        fb["occurred_at"] = fb["occurred_at"].dt.strftime("%Y-%m-%d %H:%M:%S.000000")
        fb["created_at"] = fb["updated_at"] = fb["occurred_at"]
        with engine.begin() as conn:
            for table, frame in (("feedback", fb), ("scores", scores)):
                columns = list(frame.columns)
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                sql += "(" + ", ".join(f":{c}" for c in columns) + ")"
                records = frame.to_dict("records")
                for i in range(0, len(records), 100_000):
                    conn.execute(text(sql), records[i : i + 100_000])
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def _pandas(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        fb = pd.read_sql("SELECT id, brand_id, customer_id, occurred_at FROM feedback", conn)
        sc = pd.read_sql("SELECT feedback_id, metric, value FROM scores "
                         "WHERE metric IN ('nps', 'csat')", conn)  # fmt: skip
        cu = pd.read_sql("SELECT id, segment FROM customers", conn)
        br = pd.read_sql("SELECT id, code FROM brands", conn)
    frame = sc.merge(fb, left_on="feedback_id", right_on="id").merge(
        cu, left_on="customer_id", right_on="id", suffixes=("", "_c")
    )
    frame = frame.merge(br, left_on="brand_id", right_on="id", suffixes=("", "_b"))
    local = pd.to_datetime(frame["occurred_at"], utc=True).dt.tz_convert("Asia/Shanghai")
    frame["month"] = local.dt.strftime("%Y-%m")
    value = frame["value"]
    frame["promoter"] = (frame["metric"] == "nps") & (value >= 9)
    frame["detractor"] = (frame["metric"] == "nps") & (value <= 6)
    frame["satisfied"] = (frame["metric"] == "csat") & (value >= 4)
    grouped = frame.groupby(["code", "segment", "month", "metric"])
    return grouped[["promoter", "detractor", "satisfied"]].sum()


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def bench(kind: str, rows: int, repeat: int, home: Path) -> list[dict[str, object]]:
    if kind == "postgresql":
        name = f"trustpulse_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{home / 'bench.db'}"
    settings = Settings(home=home, database_url=url, config_dir=home / "config")
    engine = db.make_engine(settings)
    migrations.upgrade(engine, "head")
    _base(engine)
    feedback, scores = _frames(rows)
    load_s = _load(engine, feedback, scores)
    out: list[dict[str, object]] = []
    with Session(engine) as session:
        started = time.perf_counter()
        build_rollups(session, full=True)
        session.commit()
        rollup_s = time.perf_counter() - started
        pandas_p50, _ = _timed(lambda: _pandas(engine), max(3, repeat // 5))
        for metric in ("nps", "csat"):
            for source in ("raw", "rollup"):
                p50, p95 = _timed(
                    lambda m=metric, s=source: compute_metric(  # type: ignore[misc]
                        session, m, settings=settings, by=BY, source=s
                    ),
                    repeat,
                )
                out.append({"db": kind, "metric": metric, "path": source, "p50": p50,
                            "p95": p95, "pandas_p50": pandas_p50})  # fmt: skip
        p50, p95 = _timed(
            lambda: compute_metric(session, "trust_index", settings=settings, by=BY), 3
        )
        out.append({"db": kind, "metric": "trust_index", "path": "raw", "p50": p50, "p95": p95,
                    "pandas_p50": None})  # fmt: skip
    engine.dispose()
    print(f"{kind}: load {load_s:.1f} s, rollup build {rollup_s:.1f} s", file=sys.stderr)
    for row in out:
        row |= {"load_s": load_s, "rollup_s": rollup_s}
    if kind == "postgresql":
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return out


def table(rows: list[dict[str, object]], responses: int) -> str:
    lines = [
        f"{responses:,} responses, by brand x segment x month; {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}; p50 / p95 in ms; pandas = read_sql + groupby "
        "(NPS and CSAT parts together, read included).",
        "",
        "| database | metric | path | p50 ms | p95 ms | pandas p50 ms | pandas ÷ this |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        pandas_p50 = r["pandas_p50"]
        ratio = f"{float(pandas_p50) / float(str(r['p50'])):.1f}×" if pandas_p50 else "—"  # type: ignore[arg-type]
        path = "warm (rollups)" if r["path"] == "rollup" else "cold (raw)"
        lines.append(
            f"| {r['db']} | {r['metric']} | {path}"
            f" | {float(str(r['p50'])):.0f} | {float(str(r['p95'])):.0f} | "
            f"{'—' if pandas_p50 is None else f'{float(str(pandas_p50)):.0f}'} | {ratio} |"
        )
    loads = {str(r["db"]): (r["load_s"], r["rollup_s"]) for r in rows}
    lines.append("")
    lines += [
        f"- {k}: bulk load {v[0]:.1f} s, full rollup build {v[1]:.1f} s" for k, v in loads.items()
    ]  # type: ignore[str-format]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    for kind in args.databases.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            rows += bench(kind, args.rows, args.repeat, Path(tmp))
    report = table(rows, args.rows)
    print(report)
    if args.out:
        doc = args.out.read_text(encoding="utf-8")
        block = f"<!-- metrics:begin -->\n{report}\n<!-- metrics:end -->"
        if "<!-- metrics:begin -->" not in doc:
            doc = doc.rstrip() + "\n\n## Metrics: `bench/metrics.py`\n\n" + block + "\n"
        else:
            doc = re.sub(r"<!-- metrics:begin -->.*?<!-- metrics:end -->", lambda _m: block,
                         doc, flags=re.DOTALL)  # fmt: skip
        args.out.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()

"""Metrics benchmark: NPS, CSAT and the trust index by brand x segment x month, cold and warm.

    .venv/bin/python bench/metrics.py [--rows 1000000] [--repeat 15] [--cold-repeat 5]
        [--databases sqlite,postgresql] [--out docs/benchmarks.md]

For each database: a fresh database at `head`, `--rows` survey responses (each with nps and
csat; a tenth also with the five dim_* trust items) written by Core bulk inserts (SQLite) or
COPY (PostgreSQL), not the importer. Then, on the same tables:
  - cold: `compute_metric(..., source="raw")` (SQL over feedback + scores);
  - warm, NPS and CSAT: the daily rollups (`build_rollups`, timed once), `source="rollup"`;
  - warm, trust index: a hit of the dashboard's result cache (`cache.cached_metric`, a new
    session per call, as per request). It has no rollup: its interval is a bootstrap over
    customers, which needs per-customer parts the daily rollups do not keep;
  - pandas: read_sql of feedback, scores, customers and brands (read included), then the same
    result per brand x segment x month. NPS and CSAT: counts per group, then the engine's own
    interval functions. Trust index: per-customer item sums and counts per group, then the
    engine's own `trust_index.estimate` (the same numpy bootstrap, 1,000 resamples), so the
    comparison is SQL vs pandas for the aggregation with an identical bootstrap on both sides.
    Every pandas result is checked equal to the engine's (value and interval).
Fast paths run --repeat times, cold paths and pandas --cold-repeat times; p95 is nearest-rank
(with 5 runs it is the slowest). The table goes between <!-- metrics-1m:begin --> and
<!-- metrics-1m:end --> (one block per --rows, so a 10M run keeps the 1M table).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
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
from trustpulse.metrics import cache, trust_index
from trustpulse.metrics.engine import compute_metric, load_metrics_config
from trustpulse.metrics.estimate import Estimate
from trustpulse.metrics.nps import DETRACTOR_MAX, PROMOTER_MIN, nps_estimate
from trustpulse.metrics.proportions import csat_estimate
from trustpulse.metrics.query import Slice
from trustpulse.metrics.rollups import build_rollups
from trustpulse.metrics.schemas import MetricsConfig

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BY = ["brand", "segment", "month"]
SEGMENTS = ["family", "business", "student", "senior", "young_pro"]
DIMS = [f"dim_{d}" for d in ("product_reliability", "service_responsiveness",
        "information_transparency", "professionalism", "responsibility")]  # fmt: skip
START = datetime(2025, 5, 1, tzinfo=UTC).timestamp()
ZONE = "Asia/Shanghai"  # the brands' default time zone
Key = tuple[str | None, ...]


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
                columns = ", ".join(frame.columns)
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                    for i in range(0, len(frame), 1_000_000):  # bounded memory at 10M
                        buffer = io.StringIO()
                        frame.iloc[i : i + 1_000_000].to_csv(buffer, index=False, header=False)
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
                names = [str(c) for c in frame.columns]
                sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                sql += "(" + ", ".join(f":{c}" for c in names) + ")"
                for i in range(0, len(frame), 100_000):
                    records = frame.iloc[i : i + 100_000].to_dict("records")
                    conn.execute(text(sql), records)  # type: ignore[arg-type]  # str column names
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def _read(engine: Engine, metrics: list[str]) -> pd.DataFrame:
    """Scores of `metrics` joined to their feedback, customer and brand, with the local month."""
    names = ", ".join(f"'{m}'" for m in metrics)
    with engine.connect() as conn:
        fb = pd.read_sql("SELECT id, brand_id, customer_id, occurred_at FROM feedback", conn)
        sc = pd.read_sql(
            f"SELECT feedback_id, metric, value FROM scores WHERE metric IN ({names})",
            conn,
        )
        cu = pd.read_sql("SELECT id, segment FROM customers", conn)
        br = pd.read_sql("SELECT id, code FROM brands", conn)
    frame = sc.merge(fb, left_on="feedback_id", right_on="id").merge(
        cu, left_on="customer_id", right_on="id", suffixes=("", "_c")
    )
    frame = frame.merge(br, left_on="brand_id", right_on="id", suffixes=("", "_b"))
    local = pd.to_datetime(frame["occurred_at"], utc=True).dt.tz_convert(ZONE)
    frame["month"] = local.dt.strftime("%Y-%m")
    return frame


def _key(value: object) -> Key:
    """A pandas group label (a tuple of brand code, segment, month) as the engine's group key."""
    assert isinstance(value, tuple)  # noqa: S101 -- grouped by three columns
    return tuple(None if v is None else str(v) for v in value)


def _pandas_score(engine: Engine, metric: str, config: MetricsConfig) -> dict[Key, Estimate]:
    """NPS or CSAT per brand x segment x month from pandas counts and the engine's formulas."""
    name = config.nps_metric if metric == "nps" else config.csat_metric
    frame = _read(engine, [name])
    value = frame["value"]
    if metric == "nps":
        frame["promoter"] = value >= PROMOTER_MIN
        frame["detractor"] = value <= DETRACTOR_MAX
        counts = frame.groupby(["code", "segment", "month"])[["promoter", "detractor"]].agg(
            ["sum", "count"]
        )
        return {
            _key(key): nps_estimate(
                int(r[("promoter", "sum")]),
                int(r[("promoter", "count")] - r[("promoter", "sum")] - r[("detractor", "sum")]),
                int(r[("detractor", "sum")]),
                min_n=config.min_n,
            )
            for key, r in counts.iterrows()
        }
    frame["satisfied"] = value >= config.csat_top_box_min
    counts = frame.groupby(["code", "segment", "month"])["satisfied"].agg(["sum", "count"])
    return {
        _key(key): csat_estimate(int(r["sum"]), int(r["count"]), min_n=config.min_n)
        for key, r in counts.iterrows()
    }


def _pandas_trust(engine: Engine, settings: Settings, config: MetricsConfig) -> dict[Key, Estimate]:
    """The trust index per brand x segment x month: per-customer sums and counts of every survey
    leaf by pandas, then the engine's `trust_index.estimate` (same bootstrap). The bench has no
    text analyses, KPI measures or complaints, so those leaves are missing (NaN) on both sides;
    survey leaves with a filter are not supported here (the default tree has none)."""
    tree = trust_index.IndexTree(trust_index.load_trust_config(settings))
    survey = [tree.leaves[i] for i in tree.survey]
    assert not any(leaf.filter for leaf in survey), "leaf filters are not benchmarked"  # noqa: S101 -- a bench precondition
    metrics = sorted({leaf.metric for leaf in survey if leaf.source == "survey"})
    frame = _read(engine, metrics)
    totals = frame.groupby(["code", "segment", "month", "customer_id", "metric"])["value"].agg(
        ["sum", "count"]
    )
    wide = totals.unstack("metric", fill_value=0)
    fixed = (np.full(len(tree.kpi), np.nan), np.full(len(tree.complaints), np.nan))
    out: dict[Key, Estimate] = {}
    for group_key, unsorted in wide.groupby(level=[0, 1, 2], sort=False):
        group = unsorted.sort_index(level="customer_id")  # the engine's cluster order
        sums = np.zeros((len(group), len(survey)))
        counts = np.zeros((len(group), len(survey)))
        for position, leaf in enumerate(survey):
            if leaf.source == "survey" and ("sum", leaf.metric) in group.columns:
                sums[:, position] = group[("sum", leaf.metric)].to_numpy(dtype=np.float64)
                counts[:, position] = group[("count", leaf.metric)].to_numpy(dtype=np.float64)
        out[_key(group_key)] = trust_index.estimate(tree, sums, counts, fixed, config)
    return out


def _difference(engine_rows: list[dict[str, object]], pandas_out: Mapping[Key, Estimate]) -> float:
    """The largest |engine - pandas| over value and interval bounds; inf if the groups differ."""
    ours = {tuple(dict(r["group"]).values()): r for r in engine_rows}  # type: ignore[call-overload]  # group is a dict
    if set(ours) != set(pandas_out):
        return float("inf")
    worst = 0.0
    for key, est in pandas_out.items():
        for name in ("value", "ci_low", "ci_high"):
            a, b = ours[key][name], getattr(est, name)
            if (a is None) != (b is None):
                return float("inf")
            if a is not None:
                worst = max(worst, abs(float(a) - float(b)))  # type: ignore[arg-type]  # numbers
    return worst


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, int]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    p95 = times[max(0, -(-95 * len(times) // 100) - 1)]  # nearest rank
    return statistics.median(times), p95, repeat


def _cache_hit(engine: Engine, settings: Settings, metric: str) -> None:
    with Session(engine) as session:  # a new session per call, like a request
        cache.cached_metric(session, metric, settings=settings, by=BY, flt=Slice())


def bench(kind: str, rows: int, repeat: int, cold: int, home: Path) -> dict[str, object]:
    load_before = os.getloadavg()[0]
    if kind == "postgresql":
        name = f"trustpulse_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{home / 'bench.db'}"
    settings = Settings(home=home, database_url=url, config_dir=home / "config")
    config = load_metrics_config(settings)
    engine = db.make_engine(settings)
    migrations.upgrade(engine, "head")
    _base(engine)
    feedback, scores = _frames(rows)
    load_s = _load(engine, feedback, scores)
    del feedback, scores
    print(f"{kind}: loaded in {load_s:.1f} s", file=sys.stderr, flush=True)
    timings: list[dict[str, object]] = []
    checks: dict[str, float] = {}
    with Session(engine) as session:
        started = time.perf_counter()
        build_rollups(session, full=True)
        session.commit()
        rollup_s = time.perf_counter() - started
    # every read below asks SQLite for a deferred transaction (as GET pages do), so the
    # long-lived session, pandas and the per-call cache sessions read side by side
    engine = engine.execution_options(**{db.SQLITE_BEGIN_OPTION: "DEFERRED"})
    with Session(engine) as session:
        watermark_ms = _timed(lambda: cache._read_watermark(session, url), repeat)[0]
        for metric in ("nps", "csat", "trust_index"):
            pandas_fn: Callable[[], dict[Key, Estimate]]
            if metric == "trust_index":
                pandas_fn = lambda: _pandas_trust(engine, settings, config)  # noqa: E731
            else:
                pandas_fn = lambda m=metric: _pandas_score(engine, m, config)  # type: ignore[misc]  # noqa: E731
            pandas_t = _timed(pandas_fn, cold)
            checks[metric] = _difference(
                compute_metric(session, metric, settings=settings, by=BY), pandas_fn()
            )
            paths: list[tuple[str, Callable[[], object], int]] = [
                ("cold (raw SQL)", lambda m=metric: compute_metric(  # type: ignore[misc]
                    session, m, settings=settings, by=BY, source="raw"), cold),
            ]  # fmt: skip
            if metric == "trust_index":
                cache.clear()
                _cache_hit(engine, settings, metric)  # fills the cache
                paths.append(
                    ("warm (result cache)", lambda: _cache_hit(engine, settings, "trust_index"),
                     repeat)
                )  # fmt: skip
            else:
                paths.append(
                    ("warm (rollups)", lambda m=metric: compute_metric(  # type: ignore[misc]
                        session, m, settings=settings, by=BY, source="rollup"), repeat)
                )  # fmt: skip
            for path, fn, runs in paths:
                p50, p95, n = _timed(fn, runs)
                timings.append({"metric": metric, "path": path, "p50": p50, "p95": p95, "runs": n,
                                "pandas": pandas_t})  # fmt: skip
            print(f"{kind}: {metric} done", file=sys.stderr, flush=True)
    engine.dispose()
    if kind == "postgresql":
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return {"db": kind, "timings": timings, "load_s": load_s, "rollup_s": rollup_s,
            "watermark_ms": watermark_ms, "checks": checks,
            "load": (load_before, os.getloadavg()[0])}  # fmt: skip


def report(results: list[dict[str, object]], responses: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        f"Measured {when} on {platform.node()} ({os.cpu_count()} cores, shared), Python "
        f"{platform.python_version()}; {responses:,} responses (a tenth with the five trust "
        "items), 50,000 customers, 2 brands, by brand × segment × month (180 groups). "
        "p50 / p95 in ms; pandas = read_sql + groupby + the same estimate functions (read "
        "included); ratio = pandas p50 ÷ this p50.",
        "",
        "| database | metric | path | runs | p50 ms | p95 ms | pandas p50 ms | pandas ÷ this |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for t in result["timings"]:  # type: ignore[attr-defined]  # list of dicts
            pandas_p50 = t["pandas"][0]
            lines.append(
                f"| {result['db']} | {t['metric']} | {t['path']} | {t['runs']} "
                f"| {t['p50']:,.0f} | {t['p95']:,.0f} | {pandas_p50:,.0f} "
                f"| {pandas_p50 / t['p50']:,.1f}× |"
            )
    lines.append("")
    for r in results:
        checks = ", ".join(
            f"{m} {'equal' if d < 1e-6 else f'DIFFER by {d:.3g}'}"
            for m, d in r["checks"].items()  # type: ignore[attr-defined]  # dict
        )
        lines.append(
            f"- {r['db']}: bulk load {r['load_s']:.1f} s, full rollup build "
            f"{r['rollup_s']:.1f} s, full cache watermark read {r['watermark_ms']:.0f} ms; "
            f"load average {r['load'][0]:.1f} before, {r['load'][1]:.1f} after; "  # type: ignore[index]  # a pair
            f"pandas vs engine (value, interval): {checks}"
        )
    return "\n".join(lines)


def scale(rows: int) -> str:
    """Block name of a run size: 1000000 -> 1m, 10000000 -> 10m, 200000 -> 200k."""
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}m"
    return f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)


def write_block(doc: str, name: str, body: str) -> str:
    """Replace block `name` of docs/benchmarks.md, or add it after the last metrics block (or
    as a new section at the end)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body}\n{end}"
    if begin in doc:
        pattern = re.escape(begin) + ".*?" + re.escape(end)
        return re.sub(pattern, lambda _m: block, doc, flags=re.DOTALL)
    ends = list(re.finditer(r"<!-- metrics-\w+:end -->", doc))
    if ends:
        at = ends[-1].end()
        return doc[:at] + "\n\n" + block + doc[at:]
    return doc.rstrip() + "\n\n## Metrics: `bench/metrics.py`\n\n" + block + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15, help="runs of the warm paths")
    parser.add_argument("--cold-repeat", type=int, default=5, help="runs of raw SQL and pandas")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = []
    for kind in args.databases.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(bench(kind, args.rows, args.repeat, args.cold_repeat, Path(tmp)))
    body = report(results, args.rows)
    print(body)
    if args.out:
        doc = args.out.read_text(encoding="utf-8")
        doc = write_block(doc, f"metrics-{scale(args.rows)}", body)
        args.out.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()

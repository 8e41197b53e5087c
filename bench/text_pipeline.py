"""Text pipeline benchmark: `trustpulse text analyze` in-process and on 2 / 4 RQ workers, against
the baselines a user would otherwise run (snownlp sentiment alone, jieba segmentation alone).

    .venv/bin/python bench/text_pipeline.py [--texts 1000000] [--workers 2,4] \
        [--out docs/benchmarks.md]

Feedback rows are real texts repeated: waimai_10k reviews (zh) and US airline tweets (en) from
../shared/data, 70 % zh / 30 % en, COPYed into a fresh PostgreSQL database. Then, each run
starting from no analyses:
  - `trustpulse text analyze` (one process: redact, detect, normalise, segment, sentiment,
    aspects, watch lists, keywords, stored per feedback);
  - `trustpulse text analyze --enqueue --batch-size B` + K x `trustpulse worker --burst
    --no-fork` on Redis (TRUSTPULSE_REDIS_URL, a database of its own); wall time from the
    enqueue to the last worker's exit, memory summed over the workers;
  - baselines on the first --baseline-texts texts read from a file (no database): the pipeline
    functions alone, jieba `lcut` alone, snownlp `SnowNLP(t).sentiments` alone.
Every process runs under GNU time: wall and CPU seconds, peak RSS. The machine is shared, so
docs per CPU-second (user + sys of our processes; PostgreSQL's own CPU not included) is the
per-core figure that load does not distort.
"""

from __future__ import annotations

import argparse
import csv
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

import psycopg

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
DATA = ROOT.parent / "shared" / "data"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "trustpulse_bench_text"
REDIS_URL = os.environ.get("TRUSTPULSE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
ZH_SHARE = 0.7
BEGIN, END = "<!-- text:begin -->", "<!-- text:end -->"


def real_texts() -> tuple[list[str], list[str]]:
    with (DATA / "waimai_10k" / "waimai_10k.csv").open(encoding="utf-8") as fh:
        zh = [row["review"].strip() for row in csv.DictReader(fh) if row["review"].strip()]
    tweets = DATA / "twitter_us_airline_sentiment" / "Tweets.csv"
    with tweets.open(encoding="utf-8") as fh:
        en = [row["text"].strip() for row in csv.DictReader(fh) if row["text"].strip()]
    return zh, en


def corpus(n: int, seed: int = 5) -> list[str]:
    zh, en = real_texts()
    rng = random.Random(seed)
    return [rng.choice(zh) if rng.random() < ZH_SHARE else rng.choice(en) for _ in range(n)]


@dataclass
class Measured:
    wall: float
    cpu: float
    peak_mb: float
    stdout: str


def timed(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["/usr/bin/time", "-f", "TIMING %e %U %S %M", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def finish(proc: subprocess.Popen[str]) -> Measured:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"failed: {proc.args}\n{out[-2000:]}\n{err[-4000:]}")
    match = re.search(r"TIMING ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", err)
    if match is None:
        raise SystemExit(f"no timing in: {err[-2000:]}")
    wall, user, system, rss = match.groups()
    return Measured(float(wall), float(user) + float(system), int(rss) / 1024, out)


def run(cmd: list[str], env: dict[str, str]) -> Measured:
    return finish(timed(cmd, env))


def fresh_database() -> str:
    for sql in (
        f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)',
        f'CREATE DATABASE "{DB_NAME}"',
    ):
        subprocess.run(["psql", PG_ADMIN, "-q", "-c", sql], check=True)
    return f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"


def load_feedback(url: str, texts: list[str]) -> float:
    """COPY the texts in as review feedback of brand `bench`; returns seconds."""
    started = time.perf_counter()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO brands (code, name, timezone, locale, created_at) "
            "VALUES ('bench', 'Bench', 'Asia/Shanghai', 'zh-CN', now()) RETURNING id"
        )
        row = cur.fetchone()
        assert row is not None  # noqa: S101 -- RETURNING always returns the row
        brand_id = row[0]
        columns = (
            "brand_id, kind, channel, occurred_at, text, source, external_id, content_hash, "
            "raw, created_at, updated_at"
        )
        with cur.copy(f"COPY feedback ({columns}) FROM STDIN") as copy:
            for i, text in enumerate(texts):
                stamp = at + timedelta(seconds=i * 17)
                copy.write_row(
                    (brand_id, "review", "app", stamp, text, "bench", f"T{i:08d}",
                     f"{i:064x}", "{}", stamp, stamp)
                )  # fmt: skip
        cur.execute("ANALYZE feedback")
    return time.perf_counter() - started


def reset_analyses(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("TRUNCATE feedback_analysis, text_watch_hits")


def count_analyses(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM feedback_analysis").fetchone()
    return int(row[0]) if row else 0


@dataclass
class Result:
    name: str
    docs: int
    wall: float
    cpu: float
    peak_mb: float
    note: str = ""

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.wall

    @property
    def docs_per_cpu_s(self) -> float:
        return self.docs / self.cpu


def bench_in_process(env: dict[str, str], url: str, n: int) -> Result:
    reset_analyses(url)
    m = run([str(VENV_BIN / "trustpulse"), "text", "analyze"], env)
    if count_analyses(url) != n:
        raise SystemExit(f"in-process: {count_analyses(url)} analyses, expected {n}")
    return Result("`text analyze`, 1 process", n, m.wall, m.cpu, m.peak_mb)


def bench_workers(env: dict[str, str], url: str, n: int, workers: int, batch: int) -> Result:
    from redis import Redis  # noqa: PLC0415 -- only this part of the bench needs Redis

    reset_analyses(url)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()  # our own Redis database (see REDIS_URL), nobody else's queue
    rq_env = {**env, "TRUSTPULSE_REDIS_URL": REDIS_URL}
    started = time.perf_counter()
    enq = run(
        [str(VENV_BIN / "trustpulse"), "text", "analyze", "--enqueue", "--batch-size", str(batch)],
        rq_env,
    )
    procs = [
        timed(
            [
                str(VENV_BIN / "trustpulse"),
                "worker",
                "--burst",
                "--no-fork",
                "--scheduler-every",
                "0",
            ],
            rq_env,
        )
        for _ in range(workers)
    ]
    done = [finish(p) for p in procs]
    wall = time.perf_counter() - started
    redis.flushdb()
    failed = count_analyses(url)
    if failed != n:
        raise SystemExit(f"{workers} workers: {failed} analyses, expected {n}")
    return Result(
        f"`text analyze --enqueue --batch-size {batch}` + {workers} × `worker --no-fork`",
        n,
        wall,
        enq.cpu + sum(d.cpu for d in done),
        sum(d.peak_mb for d in done),
        f"enqueue {enq.wall:.0f} s; peak MB summed over workers",
    )


PIPELINE_ONLY = """
import json, sys
from pathlib import Path
from trustpulse.config import Settings
from trustpulse.text.config import load_text_config
from trustpulse.pii import PLACEHOLDER_PATTERN
from trustpulse.text.service import aspect_results, build_analyzer, keywords, prepare, text_hash
texts = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
settings = Settings(home=Path(sys.argv[2]))
analyzer = build_analyzer(settings, load_text_config(settings))
for start in range(0, len(texts), 500):
    batch = texts[start : start + 500]
    prepared = [prepare(t, to_simplified=analyzer.to_simplified) for t in batch]
    analyzer.sentiment([PLACEHOLDER_PATTERN.sub(" ", p.redacted_text) for p in prepared],
                       [p.language for p in prepared])
    aspect_results(analyzer, prepared)
    for text, p in zip(batch, prepared):
        keywords(p.tokens, p.language, analyzer.keywords_per_text)
        analyzer.watch.hits(p.comparable) if analyzer.watch else None
        text_hash(text)
"""
JIEBA_ONLY = """
import json, sys, jieba
texts = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
jieba.initialize()
for t in texts:
    jieba.lcut(t)
"""
SNOWNLP_ONLY = """
import json, sys
from snownlp import SnowNLP
texts = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
for t in texts:
    SnowNLP(t).sentiments
"""


def bench_baselines(texts: list[str], work: Path, home: Path) -> list[Result]:
    sample = work / "sample.jsonl"
    sample.write_text(
        "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8"
    )
    results = []
    for name, code in (
        ("pipeline functions alone, no database (same process work)", PIPELINE_ONLY),
        ("baseline: jieba `lcut` alone", JIEBA_ONLY),
        ("baseline: snownlp `SnowNLP(t).sentiments` alone", SNOWNLP_ONLY),
    ):
        m = run([sys.executable, "-c", code, str(sample), str(home)], {})
        results.append(
            Result(name, len(texts), m.wall, m.cpu, m.peak_mb, "includes start-up (imports, model)")
        )
        print(results[-1], flush=True)
    return results


def render(results: list[Result], n: int, baseline_n: int) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.node()} ({os.cpu_count()} cores, "
        f"shared: load average {load:.1f} at the end), Python {platform.python_version()}, "
        f"PostgreSQL; {n:,} feedback texts (70 % waimai_10k reviews, 30 % airline tweets, "
        f"repeated); baselines on the first {baseline_n:,}.",
        "",
        "| what | texts | wall s | docs/s | CPU s | docs per CPU-s | peak MB | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.docs:,} | {r.wall:.1f} | {r.docs_per_s:,.0f} | {r.cpu:.1f} | "
            f"{r.docs_per_cpu_s:,.0f} | {r.peak_mb:,.0f} | {r.note} |"
        )
    return "\n".join(lines) + "\n"


def write_doc(doc: Path, table: str) -> None:
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{table}{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--texts", type=int, default=1_000_000)
    parser.add_argument("--workers", default="2,4", help="worker counts, comma-separated")
    parser.add_argument("--batch-size", type=int, default=10_000, help="texts per queued job")
    parser.add_argument("--baseline-texts", type=int, default=10_000)
    parser.add_argument("--out", type=Path, help="benchmarks doc to update")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tp-bench-text-"))
    try:
        started = time.perf_counter()
        texts = corpus(args.texts)
        url = fresh_database()
        home = work / "home"
        env = {
            "TRUSTPULSE_HOME": str(home),
            "TRUSTPULSE_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
        }
        subprocess.run(
            [str(VENV_BIN / "trustpulse"), "migrate"],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        copy_s = load_feedback(url, texts)
        print(f"{args.texts:,} texts generated and COPYed in {time.perf_counter() - started:.1f} s "
              f"(COPY {copy_s:.1f} s)", flush=True)  # fmt: skip
        # train / cache the default sentiment model once, outside every measurement
        subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; "
             "from trustpulse.text.default_model import load_default; "
             "load_default(Path(sys.argv[1]))", str(home / "models")],
            check=True,
        )  # fmt: skip
        baseline_n = min(args.baseline_texts, args.texts)
        results = [bench_in_process(env, url, args.texts)]
        print(results[-1], flush=True)
        for workers in (int(w) for w in args.workers.split(",") if w):
            results.append(bench_workers(env, url, args.texts, workers, args.batch_size))
            print(results[-1], flush=True)
        results += bench_baselines(texts[:baseline_n], work, home)
        table = render(results, args.texts, baseline_n)
        print(table)
        if args.out:
            write_doc(args.out, table)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

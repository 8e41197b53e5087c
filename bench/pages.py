"""Dashboard page benchmark: server time per page, cold (first request) and warm, p50/p95.

    .venv/bin/python bench/pages.py --database sqlite:////tmp/tpperf/trustpulse.db \\
        --label "demo, SQLite" [--repeat 20] [--out docs/benchmarks.md]

Point --database at a built demo company (`trustpulse demo --no-serve`, `text analyze`; the
demo command builds the rollups) or at a larger one (`--scale 8.2` on PostgreSQL gives about
1,000,000 feedback). Each page is requested through the ASGI app in-process with Starlette's
TestClient; the time is measured around the request, so it is server time plus a few
milliseconds of in-process transport, no network. `cold` is the first request after the
in-process caches are cleared (rollups already built); `warm` is p50/p95 over --repeat more
requests of the same address (the result cache answers unless the data changed).
Rows are appended between <!-- pages:begin --> / <!-- pages:end --> with --out.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from trustpulse.app import create_app
from trustpulse.config import Settings
from trustpulse.metrics import cache

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "overview": "/?brand={brand}",
    "voc": "/voc?brand={brand}",
    "drivers": "/drivers?brand={brand}",
    "breakdown": "/breakdown?brand={brand}&metric=nps&by=channel",
    "breakdown (trust index)": "/breakdown?brand={brand}&metric=trust_index&by=segment",
    "transparency": "/transparency?brand={brand}",
}
BEGIN, END = "<!-- pages:begin -->", "<!-- pages:end -->"


def _get(client: TestClient, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    return elapsed


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench(database: str, brand: str, repeat: int) -> list[tuple[str, float, float, float]]:
    home = Path(tempfile.mkdtemp(prefix="tp-bench-pages-"))  # config: the shipped defaults
    settings = Settings(home=home, database_url=database)
    app = create_app(settings)
    rows = []
    with TestClient(app) as client:
        _get(client, "/static/charts.js")  # start-up work out of the first page's time
        for name, template in PAGES.items():
            path = template.format(brand=brand)
            cache.clear()
            cold = _get(client, path)
            warm = [_get(client, path) for _ in range(repeat)]
            rows.append((name, cold, statistics.median(warm), _p95(warm)))
            sys.stderr.write(f"{name:<24} cold {cold:>8.0f}  warm p50 {rows[-1][2]:>6.0f}\n")
    return rows


def table(label: str, rows: list[tuple[str, float, float, float]], repeat: int) -> str:
    lines = [
        f"**{label}** — {datetime.now(UTC).date().isoformat()}, {platform.node()}, Python "
        f"{platform.python_version()}; ms of server time (TestClient in-process); warm = "
        f"{repeat} requests after the first.",
        "",
        "| page | cold (first) ms | warm p50 ms | warm p95 ms | warm p95 < 300 ms |",
        "|---|---:|---:|---:|---|",
    ]
    for name, cold, p50, p95 in rows:
        lines.append(
            f"| {name} | {cold:,.0f} | {p50:,.0f} | {p95:,.0f} | {'yes' if p95 < 300 else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def write(out: Path, text: str) -> None:
    """Append `text` inside the pages markers (creating them at the end if missing)."""
    doc = out.read_text(encoding="utf-8") if out.exists() else ""
    if BEGIN not in doc:
        doc = doc.rstrip() + f"\n\n## Dashboard pages: `bench/pages.py`\n\n{BEGIN}\n{END}\n"
    before, rest = doc.split(BEGIN, 1)
    inside, after = rest.split(END, 1)
    inside = inside.strip("\n")
    inside = f"{inside}\n\n{text}" if inside else text
    out.write_text(f"{before}{BEGIN}\n{inside.strip()}\n{END}{after}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a demo company")
    parser.add_argument("--label", default="demo company")
    parser.add_argument("--brand", default="aurora")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--reset", action="store_true", help="empty the section before writing")
    args = parser.parse_args()
    rows = bench(args.database, args.brand, args.repeat)
    text = table(args.label, rows, args.repeat)
    sys.stdout.write(text)
    if args.out is not None:
        if args.reset and args.out.exists():
            doc = args.out.read_text(encoding="utf-8")
            doc = re.sub(
                re.escape(BEGIN) + ".*?" + re.escape(END), f"{BEGIN}\n{END}", doc, flags=re.S
            )
            args.out.write_text(doc, encoding="utf-8")
        write(args.out, text)


if __name__ == "__main__":
    main()

"""Dashboard page benchmark: server time per page, cold (first request), cold with other filters,
and warm p50/p95.

    .venv/bin/python bench/pages.py --database sqlite:////tmp/tpperf/trustpulse.db \\
        --label "demo, SQLite" [--repeat 20] [--prepare] [--out docs/benchmarks.md]

Point --database at a built demo company (`trustpulse demo --no-serve`, `text analyze`; the
demo command builds the rollups) or at a larger one (`--scale 8.2` on PostgreSQL gives about
1,000,000 feedback). Each page is requested through the ASGI app in-process with Starlette's
TestClient; the time is measured around the request, so it is server time plus a few
milliseconds of in-process transport, no network.

Before measuring, the dashboard's expensive results are prepared as the `web.prepare` job does
after each rollup build (its time is reported above the table; --no-prepared skips it, to see
what a first load costs without them). Per page: `cold` is the first request after the
in-process caches are cleared (rollups built, results prepared); `other filters` are the next
requests, each with filters not asked before (the other brand, single months, a channel, other
quarters or other complaints), so each computes its own results while what does not depend on
the filters (the watermark, filter choices) is shared, as when users browse; `warm` is p50/p95
over --repeat more requests of the first address (the result cache answers unless the data
changed); `not prepared` (overview, drivers, trust-index breakdown) are first requests of filter
combinations the job does not prepare (an older month, a channel within a month, a channel
within a segment): what a first click off the prepared paths costs.

The demo publishes no transparency quarter and issues no customer links. With --prepare the
benchmark publishes each brand's latest finished quarter (through the transparency service: a
snapshot is permanent, so never use --prepare on a database that matters) and gives a few
complaints a customer link; without it those two pages are left out.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.app import create_app
from trustpulse.complaints.models import Complaint
from trustpulse.complaints.notices import new_status_token
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.db import session_scope
from trustpulse.errors import TrustPulseError
from trustpulse.feedback.models import Feedback
from trustpulse.metrics import cache
from trustpulse.reports.choices import filter_choices
from trustpulse.reports.service import latest_quarter, previous_quarter
from trustpulse.runtime import build_runtime
from trustpulse.transparency import service as snapshots
from trustpulse.web.prepare import prepare_dashboard

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- pages:begin -->", "<!-- pages:end -->"
LINKS = 4  # customer links requested per brand (--prepare gives the newest complaints one)


@dataclass(frozen=True)
class Data:
    """What the page addresses are built from, read from the database once."""

    brands: list[str]
    months: list[tuple[date, date]]  # the last three months with feedback, first and last day
    quarters: list[str]  # latest quarter with feedback first, then the two before
    published: dict[str, str]  # brand -> a published quarter
    complaints: dict[str, list[int]]  # brand -> a few complaint ids, newest first
    tokens: list[str]  # customer links
    segment: str  # a customer segment of the first brand


def _months(latest: date) -> list[tuple[date, date]]:
    out = []
    year, month = latest.year, latest.month
    for _ in range(3):  # the latest two are prepared, the third is not
        first = date(year, month, 1)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        out.append((first, date.fromordinal(nxt.toordinal() - 1)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


def read_data(session: Session, *, settings: Settings, brand: str, prepare: bool) -> Data:
    codes = [brand, *sorted(set(session.scalars(select(Brand.code))) - {brand})]
    latest = session.scalar(select(func.max(Feedback.occurred_at)))
    if latest is None:
        raise SystemExit("no feedback: build the demo company first")
    quarter = latest_quarter(session, brand=brand) or "2026Q1"
    quarters = [quarter, previous_quarter(quarter), previous_quarter(previous_quarter(quarter))]
    published: dict[str, str] = {}
    for code in codes:
        done = sorted({s.quarter for _c, s in snapshots.list_snapshots(session, brand=code)})
        if not done and prepare:
            try:
                snapshots.publish_snapshot(
                    session, settings=settings, brand=code, quarter=quarters[1]
                )
                done = [quarters[1]]
            except TrustPulseError as exc:  # e.g. the quarter is not over in the brand's zone
                sys.stderr.write(f"{code}: not published ({exc.message})\n")
        if done:
            published[code] = done[-1]
    complaints = {
        code: list(
            session.scalars(
                select(Complaint.id)
                .join(Brand, Brand.id == Complaint.brand_id)
                .where(Brand.code == code)
                .order_by(Complaint.opened_at.desc())
                .limit(4)
            )
        )
        for code in codes
    }
    linked = select(Complaint.status_token).where(Complaint.status_token.is_not(None))
    tokens = [t for t in session.scalars(linked.limit(LINKS * len(codes))) if t is not None]
    if not tokens and prepare:
        # the demo bulk-loads complaints without links (intake issues them); bench-only setup
        for ids in complaints.values():
            for complaint in session.scalars(select(Complaint).where(Complaint.id.in_(ids))):
                token = new_status_token()
                complaint.status_token = token
                tokens.append(token)
    session.flush()
    _channels, segments = filter_choices(session, brand=brand)
    segment = segments[0] if segments else ""
    return Data(codes, _months(latest.date()), quarters, published, complaints, tokens, segment)


def _dashboard(path: str, data: Data, extra: str = "") -> list[str]:
    """The first brand, then the other brands, single months and a channel."""
    first, *others = data.brands
    sep = "&" if "?" in path else "?"
    urls = [f"{path}{sep}brand={first}{extra}"]
    urls += [f"{path}{sep}brand={b}{extra}" for b in others]
    urls += [
        f"{path}{sep}brand={first}{extra}&since={a.isoformat()}&until={b.isoformat()}"
        for a, b in data.months[:2]
    ]
    urls.append(f"{path}{sep}brand={first}{extra}&channel=tmall")
    return urls


def _combinations(path: str, data: Data, extra: str = "") -> list[str]:
    """Views `web.prepare` does not prepare: an older month, a channel within a month and a
    survey channel within a segment; each a first load that computes its figures."""
    sep = "&" if "?" in path else "?"
    base = f"{path}{sep}brand={data.brands[0]}{extra}"
    (latest, latest_end), _previous, (older, older_end) = data.months
    return [
        f"{base}&since={older.isoformat()}&until={older_end.isoformat()}",
        f"{base}&channel=survey_sms&since={latest.isoformat()}&until={latest_end.isoformat()}",
        f"{base}&channel=survey_email&segment={data.segment}",
    ]


def _transparency(data: Data) -> list[str]:
    """Quarters not published (the live preview) first, then published ones."""
    urls = []
    for quarter in data.quarters:
        for brand in data.brands:
            if data.published.get(brand) != quarter:
                urls.append(f"/transparency?brand={brand}&quarter={quarter}")
    urls += [f"/transparency?brand={b}&quarter={q}" for b, q in data.published.items()]
    return urls


def _detail(data: Data) -> list[str]:
    return [f"/complaints/{cid}?brand={b}" for b, ids in data.complaints.items() for cid in ids]


COMBINED: dict[str, Callable[[Data], list[str]]] = {
    "overview": lambda d: _combinations("/", d),
    "drivers": lambda d: _combinations("/drivers", d),
    "breakdown (trust index)": lambda d: _combinations(
        "/breakdown?metric=trust_index&by=segment", d
    ),
}

PAGES: dict[str, Callable[[Data], list[str]]] = {
    "overview": lambda d: _dashboard("/", d),
    "voc": lambda d: _dashboard("/voc", d),
    "drivers": lambda d: _dashboard("/drivers", d),
    "breakdown": lambda d: _dashboard("/breakdown?metric=nps&by=channel", d),
    "breakdown (trust index)": lambda d: _dashboard("/breakdown?metric=trust_index&by=segment", d),
    "complaints queue": lambda d: [
        *_dashboard("/complaints", d),
        f"/complaints?brand={d.brands[0]}&severity=P2",
        f"/complaints?brand={d.brands[0]}&breaching=1",
    ],
    "complaint detail": _detail,
    "improvements": lambda d: _dashboard("/improvements", d),
    "transparency": _transparency,
    "public transparency": lambda d: [
        f"/public/{b}/transparency?lang={lang}" for b in d.published for lang in ("zh-CN", "en")
    ],
    "customer case page": lambda d: [f"/case/{token}" for token in d.tokens],
}


@dataclass(frozen=True)
class Row:
    name: str
    cold: float
    other: list[float]  # first requests of other filters
    warm: list[float]
    unprepared: list[float]  # first requests of filter combinations not prepared


def _get(client: TestClient, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    return elapsed


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench(
    database: str, brand: str, repeat: int, *, prepare: bool, prepared: bool
) -> tuple[list[Row], str]:
    home = Path(tempfile.mkdtemp(prefix="tp-bench-pages-"))  # config: the shipped defaults
    settings = Settings(home=home, database_url=database)
    app = create_app(settings)  # imports every model before the session below flushes
    runtime = build_runtime(settings)
    with session_scope(runtime.session_factory) as session:
        data = read_data(session, settings=settings, brand=brand, prepare=prepare)
    note = "results not prepared (--no-prepared)"
    if prepared:
        done = prepare_dashboard(runtime.session_factory, settings, force=True)
        note = (
            f"dashboard results prepared before measuring (the `web.prepare` job): "
            f"{done.results} results for {len(done.brands)} brands in {done.seconds:,.1f} s"
        )
        sys.stderr.write(note + "\n")
    runtime.engine.dispose()
    rows = []
    with TestClient(app) as client:
        _get(client, "/static/charts.js")  # start-up work out of the first page's time
        for name, addresses in PAGES.items():
            urls = addresses(data)
            if not urls:
                sys.stderr.write(f"{name:<24} skipped (run with --prepare)\n")
                continue
            cache.clear()
            cold = _get(client, urls[0])
            other = [_get(client, u) for u in urls[1:]]
            warm = [_get(client, urls[0]) for _ in range(repeat)]
            combined = COMBINED.get(name)
            unprepared = [_get(client, u) for u in combined(data)] if combined else []
            rows.append(Row(name, cold, other, warm, unprepared))
            sys.stderr.write(
                f"{name:<24} cold {cold:>8.0f}  other max {max(other, default=0):>8.0f}  "
                f"warm p50 {statistics.median(warm):>6.0f}\n"
            )
    return rows, note


def table(label: str, rows: Sequence[Row], repeat: int, note: str) -> str:
    lines = [
        f"**{label}** — {datetime.now(UTC).date().isoformat()}, {platform.node()}, Python "
        f"{platform.python_version()}; ms of server time (TestClient in-process); other "
        f"filters = first requests of other brands, months, channels, quarters or cases "
        f"(n each); warm = {repeat} requests of the first address after it; {note}.",
        "",
        "| page | cold (first) ms | other filters p50 / max ms (n) | warm p50 ms | warm p95 ms "
        "| warm p95 < 300 ms | not prepared: ms each |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        other = (
            f"{statistics.median(row.other):,.0f} / {max(row.other):,.0f} ({len(row.other)})"
            if row.other
            else "—"
        )
        p95 = _p95(row.warm)
        lines.append(
            f"| {row.name} | {row.cold:,.0f} | {other} | {statistics.median(row.warm):,.0f} "
            f"| {p95:,.0f} | {'yes' if p95 < 300 else 'no'} "
            f"| {' / '.join(f'{v:,.0f}' for v in row.unprepared) or '—'} |"
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
    parser.add_argument(
        "--prepare",
        action="store_true",
        help="publish the latest finished quarter and issue customer links (writes!)",
    )
    parser.add_argument(
        "--no-prepared",
        dest="prepared",
        action="store_false",
        help="do not prepare the dashboard results first (first loads compute everything)",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--reset", action="store_true", help="empty the section before writing")
    args = parser.parse_args()
    rows, note = bench(
        args.database, args.brand, args.repeat, prepare=args.prepare, prepared=args.prepared
    )
    text = table(args.label, rows, args.repeat, note)
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

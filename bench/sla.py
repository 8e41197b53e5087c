"""SLA benchmark: bulk recompute of 1,000,000 cases, and case writes through the HTTP API.

    .venv/bin/python bench/sla.py [--cases 1000000] [--http-cases 5000] [--clients 50]
                                  [--listen reuseport|shared] [--out docs/benchmarks.md]

1. Recompute (PostgreSQL): a fresh database at `head` holds `--cases` complaints with their
   lifecycle logs (mixed open and resolved/closed, 10 % paused at least once), written by COPY,
   not the services. `complaints sla recompute --bulk` (sla_bulk.recompute_bulk) then runs
   three times: cold (no clock rows yet: 2 inserts per case), warm with nothing changed (writes
   nothing) and warm after 1 % of the cases changed severity (writes only theirs). The
   per-case replay (`sync_sla`) is timed on a 2,000-case sample for comparison.
2. HTTP (PostgreSQL): `--workers` uvicorn processes (default 2, one per core) of the app each
   process of `trustpulse serve --workers N` runs, in subprocesses; `--clients` async httpx
   clients each open a case and post the agent's first reply, `--http-cases` cases in all
   (2 writes each). Throughput (writes/s), p50/p99 latency per request, and the rows counted
   afterwards (nothing lost). The same clients then drive bench/sla_floor_app.py (FastAPI +
   one INSERT per write, nothing else) on as many processes: the floor of the stack on this
   machine, which TrustPulse's figure is read against. `--listen reuseport` (default) gives
   each process its own socket so the clients' connections are spread evenly; `shared` is
   uvicorn's one socket, where one process ends up with most connections (see `_serve`).
   Wall-clock throughput is noisy when other work shares the cores, so each HTTP run also
   reports CPU per write: the server processes' and the load generator's (this process, while
   it drives). PostgreSQL's is not: the pool opens and closes overflow connections all through
   a run, and a backend's CPU is gone with it.
`--cases 0` skips the recompute and runs the HTTP part alone.
The table goes between <!-- sla:begin --> / <!-- sla:end --> in --out.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx  # dev dependency (pyproject: httpx2, the maintained httpx)
import numpy as np
import pandas as pd
import psutil
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from trustpulse import migrations
from trustpulse.accounts.models import User
from trustpulse.complaints.config import sla_config
from trustpulse.complaints.models import Complaint, ComplaintEvent
from trustpulse.complaints.sla_bulk import recompute_bulk
from trustpulse.complaints.sla_store import sync_sla
from trustpulse.config import Settings
from trustpulse.customers.models import Brand

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "TRUSTPULSE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NOW = datetime(2025, 9, 1, tzinfo=UTC)


def _database() -> tuple[Engine, str]:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"tp_bench_sla_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    migrations.upgrade(engine, "head")
    return engine, url


def _drop(url: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = url.rsplit("/", 1)[1]
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _frames(cases: int, brand_id: int, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complaints and their logs: 85 % acknowledged, 10 % paused once, 60 % resolved; 5 % get a
    customer message after the first response (answered by the agent: a next-reply cycle) and
    2 % of the resolved ones are reopened."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, cases + 1)
    opened = NOW - pd.to_timedelta(rng.integers(0, 90 * 86400, cases), unit="s")
    severity = rng.choice(["p1", "p2", "p3", "p4"], cases, p=[0.05, 0.25, 0.5, 0.2])
    acked = rng.random(cases) < 0.85
    paused = acked & (rng.random(cases) < 0.118)  # ≈ 10 % of all cases
    resolved = acked & (rng.random(cases) < 0.7)
    closed = resolved & (rng.random(cases) < 0.5)
    messaged = acked & ~paused & (rng.random(cases) < 0.06)
    reopened = resolved & ~closed & (rng.random(cases) < 0.058)

    def gap() -> pd.TimedeltaIndex:
        return pd.to_timedelta(rng.integers(60, 36 * 3600, cases), unit="s")

    t_ack = opened + gap()
    t_wait, t_back = t_ack + gap(), t_ack + gap() * 2
    t_res = t_back + gap()
    t_close = t_res + gap()
    t_customer, t_answer = t_ack + (t_res - t_ack) / 3, t_ack + (t_res - t_ack) * 2 / 3
    t_reopen = t_res + gap()
    state = np.where(
        closed, "closed", np.where(resolved, "resolved", np.where(acked, "acknowledged", "new"))
    )
    state = np.where(reopened, "in_progress", state)
    complaints = pd.DataFrame(
        {
            "id": ids, "brand_id": brand_id, "source": "bench", "external_id": ids.astype(str),
            "content_hash": "0" * 64, "channel": "hotline", "severity": severity,
            "state": state, "opened_at": opened, "is_complex": False,
            "reopen_count": reopened.astype(int),
            "raw": "{}", "version": 1, "created_at": NOW, "updated_at": NOW,
        }
    )  # fmt: skip
    customer, agent = '{"author": "customer"}', '{"author": "agent"}'
    steps = [
        ("opened", np.ones(cases, bool), opened, None, "new"),
        ("acknowledged", acked, t_ack, "new", "acknowledged"),
        ("replied", messaged, t_customer, None, None, customer),
        ("replied", messaged, t_answer, None, None, agent),
        ("state_changed", paused, t_wait, "acknowledged", "waiting_on_customer"),
        ("state_changed", paused, t_back, "waiting_on_customer", "in_progress"),
        ("resolved", resolved & ~paused, t_res, "acknowledged", "resolved"),
        ("resolved", resolved & paused, t_res, "in_progress", "resolved"),
        ("closed", closed, t_close, "resolved", "closed"),
        ("reopened", reopened, t_reopen, "resolved", "in_progress"),
    ]
    parts = []
    for order, (kind, mask, at, from_state, to_state, *data) in enumerate(steps):
        parts.append(
            pd.DataFrame(
                {
                    "complaint_id": ids[mask],
                    "order": order,
                    "kind": kind,
                    "at": at[mask],
                    "from_state": from_state,
                    "to_state": to_state,
                    "data": data[0] if data else "{}",
                }
            )
        )
    events = pd.concat(parts).sort_values(["complaint_id", "order"], kind="stable")
    events["seq"] = events.groupby("complaint_id").cumcount() + 1
    events["recorded_at"] = NOW
    return complaints, events.drop(columns="order")


def _copy(engine: Engine, table: str, frame: pd.DataFrame) -> None:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M:%S+00:00")
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, header=False, na_rep="")
    raw = engine.raw_connection()
    try:
        with (
            raw.cursor() as cursor,
            cursor.copy(  # type: ignore[attr-defined] -- psycopg
                f"COPY {table} ({', '.join(out.columns)}) FROM STDIN WITH (FORMAT csv)"
            ) as copy,
        ):
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()


def bench_recompute(cases: int) -> dict[str, float]:
    engine, url = _database()
    try:
        with Session(engine) as session:
            brand = Brand(code="bench", name="Bench", timezone="Asia/Shanghai")
            session.add(brand)
            session.commit()
            brand_id = brand.id
        complaints, events = _frames(cases, brand_id)
        started = time.perf_counter()
        _copy(engine, "complaints", complaints)
        _copy(engine, "complaint_events", events)
        with engine.begin() as conn:
            conn.execute(
                text("SELECT setval('complaints_id_seq', (SELECT max(id) FROM complaints))")
            )
            conn.execute(text("ANALYZE complaints; ANALYZE complaint_events"))
        load = time.perf_counter() - started
        config = sla_config(Settings(home=Path(tempfile.mkdtemp())))
        timings: dict[str, float] = {"cases": cases, "events": len(events), "load_s": load}
        for label in ("cold", "warm", "changed"):
            if label == "changed":
                # 1 % of the cases move to another severity: their policy and deadlines change
                with engine.begin() as conn:
                    conn.execute(
                        text(
                            "UPDATE complaints SET severity = CASE severity WHEN 'p1' THEN 'p2' "
                            "ELSE 'p1' END WHERE id % 100 = 7"
                        )
                    )
            with Session(engine) as session:
                started = time.perf_counter()
                result = recompute_bulk(session, brand_id=brand_id, config=config, now=NOW)
                session.commit()
                timings[f"{label}_s"] = time.perf_counter() - started
                timings[f"{label}_rows"] = result.rows
            timings["per_case_fallbacks"] = result.per_case
        with Session(engine) as session:
            timings["clock_rows"] = session.scalar(
                text("SELECT count(*) FROM complaint_sla_targets")
            )
            sample = list(session.scalars(select(Complaint).order_by(Complaint.id).limit(2000)))
            started = time.perf_counter()
            for complaint in sample:
                sync_sla(session, complaint, config=config, now=NOW)
            session.rollback()
            timings["replay_per_case_ms"] = (time.perf_counter() - started) / len(sample) * 1000
        return timings
    finally:
        engine.dispose()
        _drop(url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _client(
    http: httpx.AsyncClient, queue: asyncio.Queue[int], agent: int, latencies: list[float]
) -> None:
    while True:
        try:
            number = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        started = time.perf_counter()
        opened = await http.post("/api/complaints?brand=bench", json={"title": f"b{number}"})
        latencies.append(time.perf_counter() - started)
        opened.raise_for_status()
        case = opened.json()
        started = time.perf_counter()
        reply = await http.post(
            f"/api/complaints/{case['id']}/replies?brand=bench",
            json={
                "author": "agent",
                "actor_id": agent,
                "message": "on it",
                "version": case["version"],
            },
        )
        latencies.append(time.perf_counter() - started)
        reply.raise_for_status()


async def _drive(base: str, cases: int, clients: int, agent: int) -> tuple[float, list[float]]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(cases):
        queue.put_nowait(number)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        started = time.perf_counter()
        await asyncio.gather(*(_client(http, queue, agent, latencies) for _ in range(clients)))
        return time.perf_counter() - started, latencies


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far (0 for one already gone)."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _database_cpu_seconds() -> float:
    """User + system CPU of every PostgreSQL process on this machine so far: the backends
    come and go with the pools, so they are summed by name, not by pid."""
    total = 0.0
    for process in psutil.process_iter(["name", "cpu_times"]):
        if process.info["name"] == "postgres" and process.info["cpu_times"] is not None:
            times = process.info["cpu_times"]
            total += times.user + times.system
    return total


def _measured_drive(
    base: str,
    cases: int,
    clients: int,
    agent: int,
    *,
    servers: list[subprocess.Popen[bytes]],
) -> dict[str, float]:
    """Drive the servers; latencies, throughput and the CPU the run cost per write (the
    servers' own, counted from the start of the drive, and this process's)."""
    pids = [s.pid for s in servers]
    server_before = _cpu_seconds(pids)
    database_before = _database_cpu_seconds()
    client_before = time.process_time()
    elapsed, latencies = asyncio.run(_drive(base, cases, clients, agent))
    client = time.process_time() - client_before
    server = _cpu_seconds(pids) - server_before
    database = _database_cpu_seconds() - database_before
    writes = len(latencies)
    return {
        **_timed(latencies, elapsed, cases, clients, len(servers)),
        "server_cpu_ms": server / writes * 1000,
        "client_cpu_ms": client / writes * 1000,
        "database_cpu_ms": database / writes * 1000,
    }


def _serve(
    app: list[str], *, workers: int, listen: str, env: dict[str, str], log: Path, port: int
) -> list[subprocess.Popen[bytes]]:
    """`workers` uvicorn processes of `app` on 127.0.0.1:port, started the way `listen` says.

    shared: `uvicorn --workers N`, one listening socket for all. The first process to wake
    accepts the whole burst of keep-alive connections, so one did ~90 % of the requests when
    measured. reuseport (default, and what `trustpulse serve --workers N` does: see
    trustpulse/server.py): one process per socket, each socket bound with SO_REUSEPORT, so the
    kernel spreads the connections evenly over the processes. Both apps run the same way, at
    log level warning.
    """
    uvicorn = str(ROOT / ".venv/bin/uvicorn")
    options = ["--log-level", "warning"]
    if listen == "shared":
        commands = [[uvicorn, *app, "--port", str(port), "--workers", str(workers), *options]]
        sockets: list[socket.socket] = []
    else:
        sockets = [_reuseport_socket(port) for _ in range(workers)]
        commands = [[uvicorn, *app, "--fd", str(sock.fileno()), *options] for sock in sockets]
    stderr = log.open("w")
    servers = [
        subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            pass_fds=[sock.fileno() for sock in sockets],
        )
        for command in commands
    ]
    for sock in sockets:
        sock.close()  # the servers hold their copies
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health").is_success:
                return servers
        except httpx.TransportError:
            time.sleep(0.1)
    _stop(servers)
    raise SystemExit(f"server did not start: see {log}")


def _reuseport_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _stop(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait(timeout=30)


def _timed(
    latencies: list[float], elapsed: float, cases: int, clients: int, workers: int
) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "cases": cases, "clients": clients, "workers": workers, "seconds": elapsed,
        "writes_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
    }  # fmt: skip


def seed_bench_desk(engine: Engine) -> int:
    """The brand `bench` and its one agent in a fresh database; returns the agent's id."""
    with Session(engine) as session:
        session.add(Brand(code="bench", name="Bench", timezone="Asia/Shanghai"))
        agent = User(username="bench-agent", display_name="Bench Agent", is_active=True)
        session.add(agent)
        session.commit()
        return agent.id


def bench_http(cases: int, clients: int, workers: int, listen: str) -> dict[str, float]:
    engine, url = _database()
    home = Path(tempfile.mkdtemp())
    try:
        agent_id = seed_bench_desk(engine)
        port = _free_port()
        env = os.environ | {
            "TRUSTPULSE_HOME": str(home),
            "TRUSTPULSE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        }
        # what each process of `trustpulse serve --workers N` runs (the schema is at head)
        app = ["trustpulse.system_cli:worker_app", "--factory"]
        servers = _serve(
            app, workers=workers, listen=listen, env=env, log=home / "server.log", port=port
        )
        try:
            measured = _measured_drive(
                f"http://127.0.0.1:{port}",
                cases,
                clients,
                agent_id,
                servers=servers,
            )
        finally:
            _stop(servers)
        with Session(engine) as session:
            opened = session.scalar(select(func.count()).select_from(Complaint))
            replies = session.scalar(
                select(func.count())
                .select_from(ComplaintEvent)
                .where(ComplaintEvent.kind == "replied")
            )
        return {
            **measured,
            "complaints_counted": opened or 0,
            "replies_counted": replies or 0,
        }
    finally:
        engine.dispose()
        _drop(url)


FLOOR_TABLES = (
    "CREATE TABLE floor_cases (id serial PRIMARY KEY, title text NOT NULL, "
    "opened_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE floor_replies (id serial PRIMARY KEY, "
    "case_id integer NOT NULL REFERENCES floor_cases(id), message text NOT NULL, "
    "at timestamptz NOT NULL DEFAULT now())",
)


def bench_http_floor(cases: int, clients: int, workers: int, listen: str) -> dict[str, float]:
    """The same clients against bench/sla_floor_app.py: one INSERT per write, nothing else."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"tp_bench_floor_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for ddl in FLOOR_TABLES:
                conn.execute(text(ddl))
        port = _free_port()
        servers = _serve(
            ["sla_floor_app:app", "--app-dir", "bench"],
            workers=workers,
            listen=listen,
            env=os.environ | {"SLA_FLOOR_DATABASE_URL": url},
            log=Path(tempfile.mkdtemp()) / "floor.log",
            port=port,
        )
        try:
            measured = _measured_drive(
                f"http://127.0.0.1:{port}",
                cases,
                clients,
                0,
                servers=servers,
            )
        finally:
            _stop(servers)
        with engine.connect() as conn:
            opened = conn.execute(text("SELECT count(*) FROM floor_cases")).scalar_one()
            replies = conn.execute(text("SELECT count(*) FROM floor_replies")).scalar_one()
        return {
            **measured,
            "complaints_counted": opened,
            "replies_counted": replies,
        }
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _table(
    recompute: dict[str, float] | None,
    http: dict[str, float] | None,
    floor: dict[str, float] | None,
    listen: str,
) -> str:
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, PostgreSQL (local).",
        "",
        "| measurement | value |",
        "|---|---|",
    ]
    if recompute is not None:
        lines += _recompute_rows(recompute)
    if http is not None:
        lines += [
            f"| HTTP: {http['cases']:,.0f} cases × (open + first reply), "
            f"{http['clients']:.0f} clients, {http['workers']:.0f} uvicorn processes "
            f"({listen}) | "
            f"{http['writes_per_s']:.0f} writes/s, p50 {http['p50_ms']:.0f} ms, "
            f"p99 {http['p99_ms']:.0f} ms |",
            f"| CPU per write: server processes / load generator / PostgreSQL | {_cpu(http)} |",
            f"| rows counted after the HTTP run | {http['complaints_counted']:,.0f} complaints, "
            f"{http['replies_counted']:,.0f} replies (expected {http['cases']:,.0f} each) |",
        ]
    if floor is not None:
        lines += [
            f"| floor of the stack (bench/sla_floor_app.py: one INSERT per write, nothing "
            f"else), same clients and processes | {floor['writes_per_s']:.0f} writes/s, p50 "
            f"{floor['p50_ms']:.0f} ms, p99 {floor['p99_ms']:.0f} ms; rows "
            f"{floor['complaints_counted']:,.0f} + {floor['replies_counted']:,.0f} |",
            "| floor's CPU per write: server processes / load generator / PostgreSQL | "
            f"{_cpu(floor)} |",
        ]
        if http is not None:
            share = http["writes_per_s"] / floor["writes_per_s"]
            lines.append(f"| TrustPulse ÷ floor | {share:.2f} |")
    return "\n".join(lines)


def _cpu(run: dict[str, float]) -> str:
    return (
        f"{run['server_cpu_ms']:.2f} / {run['client_cpu_ms']:.2f} / {run['database_cpu_ms']:.2f} ms"
    )


def _recompute_rows(recompute: dict[str, float]) -> list[str]:
    return [
        f"| cases / lifecycle events | {recompute['cases']:,.0f} / {recompute['events']:,.0f} |",
        f"| of which per-case replay (contract cases, irregular logs) | "
        f"{recompute['per_case_fallbacks']:,.0f} cases |",
        f"| bulk recompute, cold (writes {recompute['cold_rows']:,.0f} clock rows) | "
        f"{recompute['cold_s']:.1f} s |",
        f"| bulk recompute, warm, nothing changed (writes {recompute['warm_rows']:,.0f}) | "
        f"{recompute['warm_s']:.1f} s |",
        f"| bulk recompute, warm, 1 % of cases changed (writes "
        f"{recompute['changed_rows']:,.0f}) | {recompute['changed_s']:.1f} s |",
        f"| per-case replay (`sync_sla`), for comparison | "
        f"{recompute['replay_per_case_ms']:.2f} ms/case "
        f"(≈ {recompute['replay_per_case_ms'] * recompute['cases'] / 1000:,.0f} s for all) |",
    ]


def _write(out: Path, table: str) -> None:
    current = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n"
    block = f"<!-- sla:begin -->\n{table}\n<!-- sla:end -->"
    if "<!-- sla:begin -->" in current:
        current = re.sub(r"<!-- sla:begin -->.*?<!-- sla:end -->", block, current, flags=re.S)
    else:
        current = current.rstrip("\n") + "\n\n" + SECTION + block + "\n"
    out.write_text(current, encoding="utf-8")


SECTION = """## SLA clocks: `bench/sla.py`

```bash
.venv/bin/python bench/sla.py --cases 1000000 --http-cases 5000 --clients 50 \\
    --out docs/benchmarks.md
```

Targets (issue #3): recompute SLA state for 1,000,000 complaints on PostgreSQL in under 10 s;
case writes through the API at ≥ 500 writes/s on 2 cores with nothing lost.

"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--cases", type=int, default=1_000_000, help="0: skip the recompute (HTTP part alone)"
    )
    parser.add_argument("--http-cases", type=int, default=5000, help="0: skip the HTTP part")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--listen",
        choices=["reuseport", "shared"],
        default="reuseport",
        help="a socket per process (SO_REUSEPORT), or one shared (uvicorn --workers)",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    recompute = bench_recompute(args.cases) if args.cases else None
    sys.stdout.write(f"recompute: {recompute}\n")
    http = floor = None
    if args.http_cases:  # 0: the recompute alone
        http = bench_http(args.http_cases, args.clients, args.workers, args.listen)
        sys.stdout.write(f"http: {http}\n")
        floor = bench_http_floor(args.http_cases, args.clients, args.workers, args.listen)
        sys.stdout.write(f"floor: {floor}\n")
    table = _table(recompute, http, floor, args.listen)
    sys.stdout.write(table + "\n")
    if args.out is not None:
        _write(args.out, table)


if __name__ == "__main__":
    main()

"""Count the server's instructions per complaint write under callgrind (deterministic, unlike
CPU seconds on shared cores).

    .venv/bin/python bench/sla_callgrind.py [--cases 300] [--clients 4] [--src DIR]

One uvicorn process runs the app of `trustpulse serve --workers N` (through
bench/sla_callgrind_app.py, which puts off the scheduler's passes after its first: they would
add work in proportion to how long the run takes under callgrind) under
`valgrind --tool=callgrind --instr-atstart=no`, on a fresh PostgreSQL database. 10 cases are
opened and answered to warm up; then instrumentation is switched on, `--cases` cases are
opened and answered by `--clients` clients over real HTTP (bench/sla.py's clients), the
in-process delivery jobs are given 1.5 s to finish, and instrumentation is switched off.
PostgreSQL and the client are not counted. `--src` runs another checkout's `src` (to count the
tree before a change side by side). Needs valgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sla  # bench/sla.py: the database, the clients

from trustpulse.complaints.models import Complaint, ComplaintEvent

WARM_UP = 10


def count(cases: int, clients: int, src: str | None) -> dict[str, float]:
    engine, url = sla._database()
    home = Path(tempfile.mkdtemp())
    try:
        agent_id = sla.seed_bench_desk(engine)
        env = os.environ | {
            "TRUSTPULSE_HOME": str(home),
            "TRUSTPULSE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        }
        if src:
            env["PYTHONPATH"] = src
        port = sla._free_port()
        out = home / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
            str(sla.ROOT / ".venv/bin/python"), "-m", "uvicorn", "sla_callgrind_app:worker_app",
            "--factory", "--app-dir", "bench", "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
        with (home / "server.log").open("w") as log:
            server = subprocess.Popen(
                command, env=env, cwd=sla.ROOT, stdout=subprocess.DEVNULL, stderr=log
            )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(base, server)
            asyncio.run(sla._drive(base, WARM_UP, 2, agent_id))
            time.sleep(3)
            _instrument(server.pid, "on")
            elapsed, latencies = asyncio.run(sla._drive(base, cases, clients, agent_id))
            time.sleep(1.5)  # the in-process delivery jobs of the last replies
            _instrument(server.pid, "off")
        finally:
            server.terminate()
            server.wait(timeout=300)
        instructions = sum(
            int(line.split()[1])
            for path in home.glob("callgrind.out*")
            for line in path.read_text().splitlines()
            if line.startswith("totals:")
        )
        with Session(engine) as session:
            opened = session.scalar(select(func.count()).select_from(Complaint)) or 0
            replies = session.scalar(
                select(func.count())
                .select_from(ComplaintEvent)
                .where(ComplaintEvent.kind == "replied")
            )
        return {
            "writes": len(latencies),
            "instructions": instructions,
            "per_write": instructions / len(latencies),
            "seconds": elapsed,
            "complaints_counted": opened - WARM_UP,
            "replies_counted": (replies or 0) - WARM_UP,
        }
    finally:
        engine.dispose()
        sla._drop(url)


def _wait_for(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(1200):
        if server.poll() is not None:
            raise SystemExit("server exited: see its log")
        try:
            if httpx.get(f"{base}/api/health").is_success:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def _instrument(pid: int, state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(pid)], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--src", help="another checkout's src directory to run instead")
    args = parser.parse_args()
    result = count(args.cases, args.clients, args.src)
    print(
        f"{result['per_write'] / 1e6:.2f} M instructions per write "
        f"({result['instructions']:,} for {result['writes']} writes, {result['seconds']:.0f} s); "
        f"rows: {result['complaints_counted']} cases, {result['replies_counted']} replies"
    )


if __name__ == "__main__":
    main()

"""`trustpulse serve --workers N`: one SO_REUSEPORT socket per process, all stopped together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
import uvloop
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from trustpulse.runtime import Runtime
from trustpulse.server import reuseport_supported, worker_config


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _serve(
    runtime: Runtime, port: int, *, stderr: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRUSTPULSE_HOME": str(runtime.settings.home),
        "TRUSTPULSE_DATABASE_URL": runtime.settings.effective_database_url,
    }
    command = [sys.executable, "-m", "trustpulse", "serve", "--workers", "2", "--port", str(port)]
    return subprocess.Popen(  # noqa: S603 -- this interpreter, fixed arguments
        command, env=env, stdout=subprocess.DEVNULL, stderr=stderr
    )


@pytest.mark.skipif(not reuseport_supported(), reason="SO_REUSEPORT")
def test_two_workers_answer_on_one_port_and_stop_with_the_parent(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("several server processes are for PostgreSQL")
    port = _free_port()
    server = _serve(runtime, port)
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health").is_success:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer")
        workers = _children(server.pid)
        assert len(workers) == 2
        answers = [httpx.get(f"http://127.0.0.1:{port}/api/health") for _ in range(20)]
        assert all(a.is_success for a in answers)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        for pid in workers:
            assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid)
    finally:
        if server.poll() is None:
            server.kill()


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]


@pytest.mark.skipif(not reuseport_supported(), reason="SO_REUSEPORT")
def test_a_port_in_use_fails_at_once_with_a_message(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("several server processes are for PostgreSQL")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        server = _serve(runtime, int(taken.getsockname()[1]), stderr=subprocess.PIPE)
        _out, err = server.communicate(timeout=60)
    assert server.returncode != 0
    assert b"cannot listen on 127.0.0.1" in err
    assert b"Traceback" not in err


def test_workers_parse_http_with_httptools_on_uvloop() -> None:
    config = worker_config()
    protocol = import_from_string(HTTP_PROTOCOLS[str(config.http)])
    loop_factory = config.get_loop_factory()

    assert loop_factory is not None
    loop = loop_factory()
    loop.close()
    assert protocol is HttpToolsProtocol
    assert isinstance(loop, uvloop.Loop)

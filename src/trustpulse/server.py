"""`trustpulse serve --workers N`: N uvicorn processes, each on its own SO_REUSEPORT socket.

uvicorn's own `--workers` shares one listening socket, and the first process to wake accepts a
whole burst of keep-alive connections: under 50 clients one of two processes served ~90 % of
the requests (bench/sla.py, `--listen shared`). With one socket per process, each bound with
SO_REUSEPORT, the kernel spreads new connections evenly over them. The parent binds every
socket first (a port in use fails at once, with uvicorn's message), forks the workers, starts
again any that dies, and stops them all on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

logger = logging.getLogger(__name__)
APP = "trustpulse.system_cli:worker_app"
STOP_SECONDS = 15  # a worker's graceful shutdown (uvicorn finishes open requests) before a kill
FAILED_START_SECONDS = 10  # a worker gone this soon did not start: give up instead of looping


def reuseport_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def bind_reuseport(host: str, port: int) -> socket.socket:
    """A listening socket other processes can bind to the same address (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def worker_config() -> uvicorn.Config:
    """A worker's uvicorn settings. http and loop stay "auto", so uvicorn takes httptools and
    uvloop (both pinned dependencies) over its pure-Python h11 parser and asyncio's loop; the
    other `serve` paths (uvicorn.run) default to "auto" as well."""
    return uvicorn.Config(APP, factory=True, http="auto", loop="auto")


def _run_worker(sock: socket.socket) -> None:
    uvicorn.Server(worker_config()).run(sockets=[sock])


def serve_processes(host: str, port: int, workers: int) -> None:
    """Run `workers` server processes until SIGTERM/SIGINT; restart any that exits early."""
    try:
        sockets = [bind_reuseport(host, port) for _ in range(workers)]
    except OSError as exc:
        raise SystemExit(f"error: cannot listen on {host}:{port}: {exc.strerror}") from None
    # fork: each worker inherits its socket (spawn would have to pickle it); the parent has
    # disposed of its engine and runs no threads at this point
    context = multiprocessing.get_context("fork")
    stopping = threading.Event()

    started: dict[int, float] = {}

    def start(index: int) -> BaseProcess:
        process = context.Process(target=_run_worker, args=(sockets[index],), daemon=False)
        process.start()
        started[index] = time.monotonic()
        return process

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    processes = [start(i) for i in range(workers)]
    try:
        while not stopping.wait(1.0):
            for index, process in enumerate(processes):
                if process.is_alive():
                    continue
                if time.monotonic() - started[index] < FAILED_START_SECONDS:
                    # it could not start (its error is above): restarting would only loop
                    raise SystemExit(f"a server process exited at start ({process.exitcode})")
                logger.warning(
                    "worker %s exited with %s; starting it again", process.pid, process.exitcode
                )
                processes[index] = start(index)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
        for sock in sockets:
            sock.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)

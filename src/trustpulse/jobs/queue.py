"""The one queue interface: `enqueue` / `enqueue_after_commit`, in-process or on Redis with RQ.

The backend follows settings: `redis_url` unset (embedded mode) runs jobs in a small thread pool
in this process; `redis_url` set (server mode) puts them on an RQ queue that `trustpulse worker`
processes. Either way the payload is JSON-encoded at enqueue time, so a payload that would not
survive Redis fails in embedded mode and in tests too.

Why RQ (see docs/architecture-decisions.md): our jobs are plain functions taking ids, our only
broker is Redis, and RQ is exactly that: mature, small, Redis-only, a worker CLI (`rq worker`)
and a failed-job registry for operators. Celery brings brokers, result backends and a config
surface we would not use; Dramatiq needs its own actor decorator and middleware to get the same;
arq is asyncio-only while our services are synchronous SQLAlchemy. Every job is enqueued through
one generic entry point, `trustpulse.jobs.worker.run_job(name, payload_json)`, so RQ never
pickles our objects and swapping the queue later touches this module only.

Delivery is at least once: job authors make their jobs idempotent (see jobs/registry.py).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from trustpulse.config import Settings
from trustpulse.jobs.registry import get_job, job_timeout, run_registered
from trustpulse.runtime import Runtime, get_runtime

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "trustpulse"
ENTRY_POINT = "trustpulse.jobs.worker.run_job"
_PENDING_KEY = "trustpulse.jobs.pending"


class JobPayloadError(TypeError):
    """A payload that is not JSON-serialisable: pass ids and plain values, not ORM objects."""


class JobEnqueueError(RuntimeError):
    """The backend could not accept the job (Redis down, pool shut down)."""


class Backend(Protocol):
    def enqueue_json(self, name: str, payload_json: str) -> None: ...

    def close(self) -> None: ...


def encode_payload(name: str, payload: dict[str, Any]) -> str:
    """JSON-encode a payload, refusing what Redis could not carry (NaN included)."""
    try:
        return json.dumps(payload, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise JobPayloadError(f"payload of job {name!r} is not JSON-serialisable: {exc}") from exc


class InProcessBackend:
    """Embedded mode: jobs run in a small thread pool; `drain()` waits for all of them.

    A job enqueued while the same job (same name and payload) waits to start is not queued
    again: the waiting one has not read anything yet, so it sees what the second enqueue's
    commit wrote, and jobs are idempotent (jobs/registry.py). Under load this turns the outbox
    delivery that every complaint write asks for into one run for many writes.
    """

    def __init__(self, max_workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="tp-job")
        self._lock = threading.Lock()
        self._futures: set[Future[None]] = set()
        self._errors: list[BaseException] = []
        self._waiting: set[tuple[str, str]] = set()  # queued, not started

    def enqueue_json(self, name: str, payload_json: str) -> None:
        key = (name, payload_json)
        with self._lock:
            if key in self._waiting:
                return
            self._waiting.add(key)
        try:
            future = self._pool.submit(self._run, name, payload_json)
        except RuntimeError as exc:  # submit after shutdown
            with self._lock:
                self._waiting.discard(key)
            raise JobEnqueueError(f"in-process queue is closed: {exc}") from exc
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _run(self, name: str, payload_json: str) -> None:
        with self._lock:
            self._waiting.discard((name, payload_json))
        try:
            run_registered(name, json.loads(payload_json))
        except BaseException as exc:
            # A failing job is a bug or an outage: log it like a worker would, keep it for drain().
            logger.exception("job %s failed", name)
            with self._lock:
                self._errors.append(exc)
            raise

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def drain(self, timeout: float | None = 30.0) -> None:
        """Wait until every job (including jobs enqueued by jobs) finished; re-raise a failure.

        `timeout` bounds the wait for each job; None waits as long as it takes."""
        while True:
            with self._lock:
                pending = list(self._futures)
            if not pending:
                break
            for future in pending:
                future.exception(timeout=timeout)
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=False)


class RQBackend:
    """Server mode: every job goes to one RQ queue through the generic entry point."""

    def __init__(self, redis_url: str, queue_name: str = DEFAULT_QUEUE) -> None:
        from redis import Redis  # noqa: PLC0415 -- embedded mode never needs redis
        from rq import Queue  # noqa: PLC0415

        self.redis_url, self.queue_name = redis_url, queue_name
        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(queue_name, connection=self.connection)

    def enqueue_json(self, name: str, payload_json: str) -> None:
        from redis.exceptions import RedisError  # noqa: PLC0415

        try:
            self.queue.enqueue(
                ENTRY_POINT, name, payload_json, description=name, job_timeout=job_timeout(name)
            )
        except RedisError as exc:
            raise JobEnqueueError(
                f"could not enqueue {name!r} on {self.queue_name}: {exc}"
            ) from exc

    def close(self) -> None:
        self.connection.close()


@dataclass
class _Installed:
    backend: Backend
    runtime: Runtime | None  # None: installed by use_backend(), not derived from a runtime


_installed: _Installed | None = None
_install_lock = threading.Lock()


def in_process_backend(settings: Settings) -> InProcessBackend:
    # SQLite has one writer: concurrent job threads would fail with "database is locked" when a
    # deferred transaction upgrades to a write, so embedded SQLite runs jobs one at a time.
    return InProcessBackend(max_workers=1 if settings.is_sqlite else 4)


def backend_for(runtime: Runtime) -> Backend:
    if runtime.settings.redis_url:
        return RQBackend(runtime.settings.redis_url)
    return in_process_backend(runtime.settings)


def get_backend() -> Backend:
    """The backend for the installed runtime (rebuilt when tests install another runtime)."""
    global _installed  # noqa: PLW0603 -- one queue per process, like the runtime
    with _install_lock:
        if _installed is not None and _installed.runtime is None:
            return _installed.backend
        runtime = get_runtime()
        if _installed is None or _installed.runtime is not runtime:
            if _installed is not None:
                _installed.backend.close()
            _installed = _Installed(backend_for(runtime), runtime)
        return _installed.backend


@contextmanager
def use_backend(backend: Backend) -> Iterator[Backend]:
    """Route every enqueue to `backend` for the duration of a block (tests, the worker)."""
    global _installed  # noqa: PLW0603 -- see get_backend
    with _install_lock:
        previous, _installed = _installed, _Installed(backend, None)
    try:
        yield backend
    finally:
        with _install_lock:
            _installed = previous


def drain(timeout: float | None = 30.0) -> None:
    """Wait for in-process jobs to finish (tests, CLI commands); no-op on Redis."""
    backend = get_backend()
    if isinstance(backend, InProcessBackend):
        backend.drain(timeout)


def enqueue(name: str, **payload: Any) -> None:
    """Enqueue a job now. Inside a transaction, use enqueue_after_commit instead."""
    get_job(name)  # unknown names fail here, not in the worker
    get_backend().enqueue_json(name, encode_payload(name, payload))


def enqueue_after_commit(session: Session, name: str, **payload: Any) -> None:
    """Enqueue a job once `session`'s transaction commits; drop it if it rolls back.

    A job enqueued inside a savepoint that rolls back is dropped too. The payload is checked
    now, so a bad payload fails in the caller's transaction. If the queue refuses the job after
    the commit (Redis down), the error is logged: work that must happen also needs a periodic
    sweep (the notification outbox has one).
    """
    get_job(name)
    payload_json = encode_payload(name, payload)
    if not session.in_transaction():
        session.begin()  # so a rollback before any SQL still fires the events that drop the job
    pending: list[tuple[SessionTransaction | None, str, str]] = session.info.setdefault(
        _PENDING_KEY, []
    )
    entry = (session.get_nested_transaction(), name, payload_json)
    if entry not in pending:  # the same job twice in one transaction runs once
        pending.append(entry)


# Listeners on the Session class, not on each session that enqueues: listening on an instance
# builds that session its own event dispatch, which cost as much as the rest of the enqueue.
# Sessions that never enqueued have no pending list and return at once.


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.get(_PENDING_KEY)
    if not pending or session.in_nested_transaction():
        return  # a savepoint was released; the outer transaction may still roll back
    session.info[_PENDING_KEY] = []
    for _txn, name, payload_json in pending:
        try:
            get_backend().enqueue_json(name, payload_json)
        except JobEnqueueError:
            logger.exception("job %s lost after commit", name)


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING_KEY)
    if not pending:
        return
    if not previous_transaction.nested:
        pending.clear()
        return
    pending[:] = [p for p in pending if not _within(p[0], previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # closed without commit (session.close()): nothing may leak into the next transaction
        pending = session.info.get(_PENDING_KEY)
        if pending:
            pending.clear()


def _within(txn: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while txn is not None:
        if txn is ancestor:
            return True
        txn = txn.parent
    return False

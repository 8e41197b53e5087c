"""Delayed and periodic jobs kept in the `scheduled_jobs` table, so they survive restarts.

`run_due` claims due rows with a conditional UPDATE (compare-and-set on status for delayed jobs,
on run_at for periodic ones; `FOR UPDATE SKIP LOCKED` first on PostgreSQL), commits the claim,
and only then enqueues. A delayed job is therefore enqueued at most once however many
schedulers race; if the queue refuses it the claim is undone and the next pass retries. The
jobs themselves must still be idempotent (see jobs/registry.py). Time comes from the injectable
clock, so tests move a ManualClock instead of sleeping.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from trustpulse.clock import utcnow
from trustpulse.config import Settings
from trustpulse.db import session_scope
from trustpulse.errors import InvalidInputError
from trustpulse.jobs.models import ScheduledJob, ScheduledJobStatus
from trustpulse.jobs.queue import JobEnqueueError, encode_payload, get_backend
from trustpulse.jobs.registry import UnknownJobError, get_job

logger = logging.getLogger(__name__)

# Modules whose import registers periodic schedules (strings: the jobs package imports no domain).
JOB_MODULES = (
    "trustpulse.notifications.jobs",
    "trustpulse.complaints.jobs",
    "trustpulse.metrics.jobs",
    "trustpulse.text.jobs",
    "trustpulse.web.jobs",
)

PeriodicSetup = Callable[[Session, Settings], None]
_periodic_setups: list[PeriodicSetup] = []


def periodic(setup: PeriodicSetup) -> PeriodicSetup:
    """Register a function that calls schedule_every() for its domain at scheduler start."""
    _periodic_setups.append(setup)
    return setup


def install_periodic_jobs(session_factory: sessionmaker[Session], settings: Settings) -> None:
    """Create or update every domain's periodic schedules (idempotent: by key)."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    with session_scope(session_factory) as session:
        for setup in _periodic_setups:
            setup(session, settings)


def find_scheduled(session: Session, key: str) -> ScheduledJob | None:
    return session.scalar(select(ScheduledJob).where(ScheduledJob.key == key))


def schedule_at(
    session: Session, name: str, run_at: datetime, key: str | None = None, **payload: Any
) -> ScheduledJob:
    """Run job `name` once at `run_at` (UTC-aware). With a key it is scheduled only once."""
    if run_at.tzinfo is None:
        raise InvalidInputError("run_at must be time-zone aware", field="run_at")
    return _insert(session, name, payload, run_at=run_at, every_seconds=None, key=key)


def schedule_every(
    session: Session,
    name: str,
    every_seconds: int,
    key: str,
    *,
    first_run_at: datetime | None = None,
    **payload: Any,
) -> ScheduledJob:
    """Run job `name` every `every_seconds`; calling again with the same key updates it."""
    if every_seconds <= 0:
        raise InvalidInputError("every_seconds must be positive", field="every_seconds")
    existing = find_scheduled(session, key)
    if existing is not None:
        encode_payload(name, payload)
        if existing.every_seconds != every_seconds:
            soonest = utcnow() + timedelta(seconds=every_seconds)
            existing.run_at = min(existing.run_at, soonest)
        existing.name, existing.payload, existing.every_seconds = name, payload, every_seconds
        session.flush()
        return existing
    run_at = first_run_at or utcnow()
    return _insert(session, name, payload, run_at=run_at, every_seconds=every_seconds, key=key)


def cancel(session: Session, key: str) -> bool:
    """Cancel a waiting schedule by key; returns whether one was cancelled."""
    row = find_scheduled(session, key)
    if row is None or row.status != ScheduledJobStatus.waiting:
        return False
    row.status = ScheduledJobStatus.cancelled
    session.flush()
    return True


def _insert(
    session: Session,
    name: str,
    payload: dict[str, Any],
    *,
    run_at: datetime,
    every_seconds: int | None,
    key: str | None,
) -> ScheduledJob:
    get_job(name)
    payload = json.loads(encode_payload(name, payload))
    if key is not None and (existing := find_scheduled(session, key)) is not None:
        return existing
    row = ScheduledJob(
        name=name, payload=payload, run_at=run_at, every_seconds=every_seconds, key=key
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # another transaction scheduled the same key first: theirs stands
        existing = find_scheduled(session, key) if key is not None else None
        if existing is None:
            raise
        return existing
    return row


@dataclass(frozen=True)
class _Claim:
    id: int
    name: str
    payload: dict[str, Any]
    periodic: bool


def run_due(session_factory: sessionmaker[Session], *, limit: int = 100) -> int:
    """Claim due schedules, commit the claims, then enqueue them; returns how many were enqueued."""
    now = utcnow()
    claims: list[_Claim] = []
    with session_scope(session_factory) as session:
        stmt = (
            select(
                ScheduledJob.id,
                ScheduledJob.name,
                ScheduledJob.payload,
                ScheduledJob.run_at,
                ScheduledJob.every_seconds,
            )
            .where(ScheduledJob.status == ScheduledJobStatus.waiting, ScheduledJob.run_at <= now)
            .order_by(ScheduledJob.run_at, ScheduledJob.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for row in session.execute(stmt).all():
            claim = update(ScheduledJob).where(
                ScheduledJob.id == row.id, ScheduledJob.status == ScheduledJobStatus.waiting
            )
            if row.every_seconds:
                next_run = _next_run(row.run_at, row.every_seconds, now)
                claim = claim.where(ScheduledJob.run_at == row.run_at).values(run_at=next_run)
            else:
                claim = claim.values(status=ScheduledJobStatus.enqueued)
            claim = claim.values(last_enqueued_at=now).returning(ScheduledJob.id)
            won = session.execute(claim, execution_options={"synchronize_session": False})
            if won.scalar_one_or_none() is not None:
                claims.append(_Claim(row.id, row.name, row.payload, bool(row.every_seconds)))
    return sum(_enqueue_claim(session_factory, claim) for claim in claims)


def _next_run(previous: datetime, every_seconds: int, now: datetime) -> datetime:
    """The first slot after now: after downtime a periodic job runs once, not once per miss."""
    step = timedelta(seconds=every_seconds)
    missed = (now - previous) // step
    return previous + step * (missed + 1)


def _enqueue_claim(session_factory: sessionmaker[Session], claim: _Claim) -> int:
    try:
        get_job(claim.name)
        get_backend().enqueue_json(claim.name, encode_payload(claim.name, claim.payload))
    except UnknownJobError as exc:
        logger.error("scheduled job %s names no registered job; cancelled", claim.id)
        _record_failure(session_factory, claim, exc.message, ScheduledJobStatus.cancelled)
        return 0
    except JobEnqueueError as exc:
        logger.warning("scheduled job %s not enqueued, will retry: %s", claim.id, exc)
        _record_failure(session_factory, claim, str(exc), ScheduledJobStatus.waiting)
        return 0
    return 1


def _record_failure(
    session_factory: sessionmaker[Session],
    claim: _Claim,
    error: str,
    status: ScheduledJobStatus,
) -> None:
    values: dict[str, Any] = {"last_error": error}
    if not claim.periodic or status == ScheduledJobStatus.cancelled:
        values["status"] = status
    with session_scope(session_factory) as session:
        session.execute(
            update(ScheduledJob).where(ScheduledJob.id == claim.id).values(**values),
            execution_options={"synchronize_session": False},
        )


class Scheduler:
    """Embedded mode's scheduler: a daemon thread calling run_due every `interval_seconds`.

    With `settings` it first installs every domain's periodic schedules. Server mode runs the
    same loop inside `trustpulse worker`.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        settings: Settings | None = None,
        interval_seconds: float = 5.0,
    ) -> None:
        self.session_factory, self.settings = session_factory, settings
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.settings is not None:
            install_periodic_jobs(self.session_factory, self.settings)
        self._thread = threading.Thread(target=self._loop, name="tp-scheduler", daemon=True)
        self._thread.start()

    def tick(self) -> int:
        """One pass; a database error is logged and retried on the next pass."""
        try:
            return run_due(self.session_factory)
        except OperationalError as exc:
            # embedded SQLite: a long job holds the one write lock past the busy timeout;
            # nothing was claimed, the next pass claims it. One line, not a traceback.
            logger.warning("scheduler pass skipped, retrying next pass: %s", exc.orig)
            return 0
        except SQLAlchemyError:
            logger.exception("scheduler pass failed")
            return 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.interval_seconds)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

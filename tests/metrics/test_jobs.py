"""The metrics.rollup job: fresh rollups after a run, idempotent, scheduled once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.metrics.conftest import add_late_response, insert_surveys
from trustpulse.db import session_scope
from trustpulse.jobs.models import ScheduledJob
from trustpulse.jobs.queue import InProcessBackend
from trustpulse.jobs.scheduler import install_periodic_jobs, run_due
from trustpulse.metrics import cache
from trustpulse.metrics.engine import compute_metric
from trustpulse.metrics.jobs import ROLLUP_JOB, ROLLUP_KEY, rollup
from trustpulse.metrics.query import Slice
from trustpulse.metrics.rollup_models import MetricRollup
from trustpulse.runtime import Runtime


def _rollup_rows(session: Session) -> list[tuple[object, ...]]:
    rows = session.execute(
        select(
            MetricRollup.brand_id,
            MetricRollup.day,
            MetricRollup.channel,
            MetricRollup.touchpoint,
            MetricRollup.segment,
            MetricRollup.metric,
            MetricRollup.n,
            MetricRollup.total,
        )
    ).all()
    return sorted((tuple(r) for r in rows), key=repr)


def _fresh(runtime: Runtime) -> bool:
    with session_scope(runtime.session_factory) as session:
        return cache.rollups_fresh(session)


def test_rollup_job_makes_rollups_fresh_and_a_second_run_changes_nothing(
    runtime: Runtime,
) -> None:
    cache.clear()
    with session_scope(runtime.session_factory) as session:
        insert_surveys(session, n=80)
    assert not _fresh(runtime)  # never built

    assert rollup()["full"] is True
    assert _fresh(runtime)
    with session_scope(runtime.session_factory) as session:
        # the cache answers from the rollups now; the numbers equal the raw rows'
        rows = cache.cached_metric(
            session, "nps", settings=runtime.settings, by=["month"], flt=Slice()
        )
        assert rows == compute_metric(session, "nps", settings=runtime.settings, by=["month"])
        before = _rollup_rows(session)

    with session_scope(runtime.session_factory) as session:
        add_late_response(session, nps=10.0)
    assert not _fresh(runtime)

    built = rollup()
    assert built["full"] is False
    assert built["days"] != 0
    assert _fresh(runtime)
    with session_scope(runtime.session_factory) as session:
        after = _rollup_rows(session)
    assert after != before

    # rows updated within UPDATE_OVERLAP are rebuilt again: harmless, the result is the same
    assert rollup()["full"] is False
    assert _fresh(runtime)
    with session_scope(runtime.session_factory) as session:
        assert _rollup_rows(session) == after


def test_rollup_schedule_is_installed_once(runtime: Runtime) -> None:
    install_periodic_jobs(runtime.session_factory, runtime.settings)
    install_periodic_jobs(runtime.session_factory, runtime.settings)
    with session_scope(runtime.session_factory) as session:
        rows = session.scalars(select(ScheduledJob).where(ScheduledJob.name == ROLLUP_JOB)).all()
        assert [(r.key, r.name, r.every_seconds) for r in rows] == [(ROLLUP_KEY, ROLLUP_JOB, 300)]


def test_the_scheduler_runs_the_rollup_job(runtime: Runtime, jobs: InProcessBackend) -> None:
    cache.clear()
    with session_scope(runtime.session_factory) as session:
        insert_surveys(session, n=40)
    install_periodic_jobs(runtime.session_factory, runtime.settings)
    assert run_due(runtime.session_factory) >= 1
    jobs.drain()
    assert _fresh(runtime)

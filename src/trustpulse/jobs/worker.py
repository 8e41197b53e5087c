"""The RQ entry point every job goes through, and the `trustpulse worker` command.

Server mode: `trustpulse worker` (or plain `rq worker trustpulse --url $TRUSTPULSE_REDIS_URL`
with TRUSTPULSE_* set) processes the queue. The command also runs the database scheduler loop
so delayed and periodic jobs are claimed; several workers may run it, claims are atomic.
Embedded mode needs no worker: jobs run in threads of the process that enqueues them.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer

from trustpulse.errors import InvalidInputError
from trustpulse.jobs.queue import DEFAULT_QUEUE
from trustpulse.jobs.registry import run_registered

logger = logging.getLogger(__name__)


def run_job(name: str, payload_json: str) -> None:
    """Decode the payload and run the registered job (RQ calls this by its dotted path)."""
    run_registered(name, json.loads(payload_json))


def work(
    *,
    queue_name: str = DEFAULT_QUEUE,
    burst: bool = False,
    scheduler_every: float = 5.0,
    fork: bool = True,
) -> bool:
    """Run an RQ worker on the configured Redis; returns whether any job was processed.

    `fork=False` runs each job in the worker process itself (RQ's SimpleWorker): what one job
    loads (sentiment models, the segmenter's dictionary) stays loaded for the next, at the cost
    of isolation: a job that crashes the interpreter takes the worker down with it.
    """
    from redis import Redis  # noqa: PLC0415 -- embedded installs never import redis
    from rq import Queue, SimpleWorker, Worker  # noqa: PLC0415

    from trustpulse.jobs.scheduler import Scheduler  # noqa: PLC0415 -- scheduler imports queue
    from trustpulse.runtime import get_runtime  # noqa: PLC0415

    runtime = get_runtime()
    if not runtime.settings.redis_url:
        raise InvalidInputError(
            "TRUSTPULSE_REDIS_URL is not set: in embedded mode jobs run in-process and no "
            "worker is needed",
            field="redis_url",
        )
    connection = Redis.from_url(runtime.settings.redis_url)
    queue = Queue(queue_name, connection=connection)
    scheduler = None
    if scheduler_every > 0 and not burst:
        scheduler = Scheduler(
            runtime.session_factory, settings=runtime.settings, interval_seconds=scheduler_every
        )
        scheduler.start()
    try:
        worker_class = Worker if fork else SimpleWorker
        return bool(worker_class([queue], connection=connection).work(burst=burst))
    finally:
        if scheduler is not None:
            scheduler.stop()


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker_command(
        queue: Annotated[str, typer.Option(help="RQ queue name.")] = DEFAULT_QUEUE,
        burst: Annotated[bool, typer.Option(help="Exit when the queue is empty.")] = False,
        scheduler_every: Annotated[
            float, typer.Option(help="Seconds between scheduler passes; 0 disables.")
        ] = 5.0,
        fork: Annotated[
            bool,
            typer.Option(
                help="Run each job in a forked child (isolated); --no-fork keeps loaded "
                "models between jobs (faster for text analysis)."
            ),
        ] = True,
    ) -> None:
        """Process background jobs from Redis (server mode only)."""
        work(queue_name=queue, burst=burst, scheduler_every=scheduler_every, fork=fork)

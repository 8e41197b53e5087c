"""The job registry: job names mapped to plain functions, filled by `@job` in `<domain>/jobs.py`.

A job is a plain function that takes ids and JSON-serialisable keyword arguments and opens its
own `session_scope(get_runtime().session_factory)`. It must be idempotent: queues deliver at
least once (a worker may die after the work but before acknowledging it), so the author makes
a second run harmless, e.g. by checking a status column before acting.

Names are `<domain>.<verb>`; looking up an unknown name imports `trustpulse.<domain>.jobs`
first, so a worker process finds jobs without a central import list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from trustpulse.errors import TrustPulseError

JobFunction = Callable[..., object]
F = TypeVar("F", bound=JobFunction)

_jobs: dict[str, JobFunction] = {}
_timeouts: dict[str, int] = {}


class UnknownJobError(TrustPulseError):
    code = "unknown_job"


def job(name: str, *, timeout_seconds: int | None = None) -> Callable[[F], F]:
    """Register a function as the job `name` (e.g. "notifications.deliver").

    `timeout_seconds`: how long a queue worker lets it run (None: the queue's default, RQ's
    180 s); a job that may legitimately run longer must say so, or the worker kills it.
    """
    if "." not in name:
        raise ValueError(f"job name {name!r} must be <domain>.<verb>")
    if timeout_seconds is not None:
        _timeouts[name] = timeout_seconds

    def register(function: F) -> F:
        existing = _jobs.get(name)
        if existing is not None and _qualname(existing) != _qualname(function):
            raise ValueError(f"job {name!r} is already registered to {_qualname(existing)}")
        _jobs[name] = function
        return function

    return register


def job_timeout(name: str) -> int | None:
    """The registered job's own time limit in seconds, None for the queue's default."""
    get_job(name)
    return _timeouts.get(name)


def get_job(name: str) -> JobFunction:
    """The function registered as `name`, importing its domain's jobs module on first use."""
    if name not in _jobs:
        domain = name.split(".", 1)[0]
        try:
            importlib.import_module(f"trustpulse.{domain}.jobs")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"trustpulse.{domain}.jobs", f"trustpulse.{domain}"):
                raise
    try:
        return _jobs[name]
    except KeyError:
        raise UnknownJobError(f"no job named {name!r}", job=name) from None


def registered_jobs() -> dict[str, JobFunction]:
    return dict(_jobs)


def run_registered(name: str, payload: dict[str, Any]) -> None:
    """Run a job by name with an already decoded payload (both backends end here)."""
    get_job(name)(**payload)


def _qualname(function: JobFunction) -> str:
    return f"{function.__module__}.{getattr(function, '__qualname__', repr(function))}"

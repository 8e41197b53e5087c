"""bench/sla_callgrind.py's app: what each process of `trustpulse serve --workers N` runs, with
the scheduler's passes after the first one put off, so that a count does not depend on how
long the run took under callgrind (a pass every 5 s, and the periodic jobs it starts, would
add work in proportion to the run's length)."""

from __future__ import annotations

from typing import Any

from trustpulse.jobs import scheduler
from trustpulse.system_cli import worker_app

__all__ = ["worker_app"]

_init = scheduler.Scheduler.__init__


def _one_pass(self: scheduler.Scheduler, *args: Any, **kwargs: Any) -> None:
    kwargs["interval_seconds"] = 10**6
    _init(self, *args, **kwargs)


scheduler.Scheduler.__init__ = _one_pass  # type: ignore[method-assign]  # bench only

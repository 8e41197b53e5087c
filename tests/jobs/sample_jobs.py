"""Jobs the job tests enqueue: their effect is a brand row, easy to assert on."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand
from trustpulse.db import session_scope
from trustpulse.jobs.registry import job
from trustpulse.runtime import get_runtime

CREATE_BRAND = "testjobs.create_brand"
ECHO = "testjobs.echo"
FAIL = "testjobs.fail"
HOLD = "testjobs.hold"

released = threading.Event()  # HOLD runs until a test sets it

echoed: list[dict[str, Any]] = []


@job(CREATE_BRAND)
def create_brand(code: str) -> None:
    with session_scope(get_runtime().session_factory) as session:
        customers.ensure_brand(session, code)


@job(ECHO)
def echo(**payload: Any) -> None:
    echoed.append(payload)


@job(HOLD)
def hold() -> None:
    released.wait(timeout=30)


@job(FAIL)
def fail() -> None:
    raise RuntimeError("this job always fails")


def brand_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Brand.code).order_by(Brand.code)))

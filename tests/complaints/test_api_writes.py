"""What a write answers and what it costs: the response is built from what was written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.complaints.conftest import Api, Desk
from tests.factories import make_customer
from trustpulse.clock import ManualClock


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    """The statements the session's connection runs inside the block, SAVEPOINTs included; the
    rows of one INSERT count once (SQLite sends them one by one, PostgreSQL in one statement)."""
    statements: list[str] = []
    connection = session.connection()

    def count(*args: Any) -> None:
        if not statements or statements[-1] != args[2]:
            statements.append(args[2])

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_each_write_answers_what_a_fresh_read_shows(
    api: Api, desk: Desk, session: Session, clock: ManualClock
) -> None:
    customer = make_customer(session)
    c = api.open(title="review", channel="tmall", severity="P2", customer_id=customer.id)
    assert c == api.get(c["id"])
    c = api.ok(c, "replies", author="agent", actor_id=desk.wang, message="sorry", channel="tmall")
    assert c == api.get(c["id"])
    c = api.ok(c, "waiting", actor_id=desk.wang, note="order number?")
    assert c == api.get(c["id"])
    clock.advance(timedelta(hours=3))
    c = api.ok(c, "replies", author="customer", message="order 42")
    assert c == api.get(c["id"])
    c = api.ok(c, "transfer", actor_id=desk.wang, to_user_id=desk.zhao, reason="shift")
    assert c == api.get(c["id"])
    c = api.ok(c, "severity", actor_id=desk.zhao, severity="P1", reason="escalated")
    assert c == api.get(c["id"])


def test_a_write_moves_the_version_one_step(api: Api, desk: Desk) -> None:
    c = api.open(title="parcel late")
    replied = api.ok(c, "replies", author="agent", actor_id=desk.wang, message="on it")
    assert replied["version"] == c["version"] + 1
    assert (
        api.act(c, "replies", author="agent", actor_id=desk.wang, message="x").json()[
            "current_version"
        ]
        == replied["version"]
    )


def test_open_and_first_reply_write_in_a_few_statements(
    api: Api, desk: Desk, session: Session
) -> None:
    # budget (issue #3 benchmark): open = brand, case, log entries, clock rows; a reply reads
    # case (with its brand and whether the agent exists), log and clocks, then writes case,
    # log, clock and the outbox notice (one INSERT … ON CONFLICT); plus the RELEASE of the
    # test's savepoint
    with counted(session) as opening:
        c = api.open(title="parcel late")
    with counted(session) as replying:
        api.ok(c, "replies", author="agent", actor_id=desk.wang, message="on it")
    assert len(opening) <= 4 + 1, opening
    assert len(replying) <= 7 + 1, replying


def test_a_reply_by_an_unknown_agent_is_refused_after_the_version_check(
    api: Api, desk: Desk
) -> None:
    c = api.open(title="parcel late")
    unknown = api.act(c, "replies", author="agent", actor_id=desk.zhao + 100, message="hi")
    assert (unknown.status_code, unknown.json()["detail"]) == (
        404,
        f"user {desk.zhao + 100} not found",
    )
    stale = api.act(c, "replies", author="agent", actor_id=desk.zhao + 100, message="hi", version=9)
    assert stale.json()["code"] == "stale_version"

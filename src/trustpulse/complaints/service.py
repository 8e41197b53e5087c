"""Complaint logic: bulk import of complaint cases with their event log and description feedback."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from trustpulse.accounts.models import Team, User
from trustpulse.complaints.models import Complaint, ComplaintEvent, ComplaintState, Severity
from trustpulse.complaints.reimport import DESCRIPTIVE, note_reimports, worked_cases
from trustpulse.customers import service as customers
from trustpulse.db import utcnow
from trustpulse.feedback import bulk
from trustpulse.feedback import service as feedback
from trustpulse.feedback.validation import (
    CONTENT_HASH_PREFIX,
    Checked,
    FeedbackRows,
    Reject,
    content_hashes,
    timestamp_text,
)

_SEVERITIES = {s.value.lower(): s.value for s in Severity} | {str(i): f"P{i}" for i in range(1, 5)}
_STATES = {s.value: s.value for s in ComplaintState}
_HANDLING = ("first_response_at", "resolved_at", "closed_at")
_WRITTEN = (
    "customer_id", "source", "external_id", "content_hash", "description", "category", "severity",
    "channel", "product", "region", "state", "team_id", "owner_id", "opened_at",
    "first_response_at", "resolved_at", "closed_at", "raw", "import_run_id", "updated_at",
)  # fmt: skip

_TABLE = cast("Table", Complaint.__table__)


@dataclass
class ComplaintRows:
    rows: pd.DataFrame
    rejects: list[Reject]


@dataclass
class ComplaintUpsert:
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    ids: dict[str, int] = field(default_factory=dict)


def complaint_rows(checked: Checked) -> ComplaintRows:
    """Complaint-specific checks (severity, state, handling order) and keys/hashes."""
    values, times = checked.values, checked.times
    opened = times["opened_at"].where(times["opened_at"].notna(), times["occurred_at"])
    occurred = times["occurred_at"].where(times["occurred_at"].notna(), opened)
    checked.fail(opened.isna(), "opened_at", "opened_at (or occurred_at) is required")
    for name in _HANDLING:
        checked.fail(times[name] < opened, name, f"{name} is before opened_at")
    severity = values["severity"].str.strip().str.lower().map(_SEVERITIES)
    checked.fail(
        (values["severity"].str.strip() != "") & severity.isna(),
        "severity",
        "severity must be one of P1, P2, P3, P4",
    )
    given_state = values["state"].str.strip().str.lower().map(_STATES)
    checked.fail(
        (values["state"].str.strip() != "") & given_state.isna(),
        "state",
        "state must be one of " + ", ".join(_STATES),
    )
    derived = pd.Series(ComplaintState.new.value, index=values.index, dtype=object)
    derived = derived.mask(times["first_response_at"].notna(), ComplaintState.acknowledged.value)
    derived = derived.mask(times["resolved_at"].notna(), ComplaintState.resolved.value)
    derived = derived.mask(times["closed_at"].notna(), ComplaintState.closed.value)
    state = given_state.where(given_state.notna(), derived)
    channel = values["channel"].where(values["channel"] != "", "complaint")
    assert checked.raw_json is not None  # noqa: S101 -- set by check_common
    hashes = content_hashes(
        [
            timestamp_text(opened),
            timestamp_text(occurred),
            *(timestamp_text(times[n]) for n in _HANDLING),
            values["customer_id"],
            channel,
            values["touchpoint"],
            values["language"],
            values["text"],
            values["product"],
            values["region"],
            severity.fillna("P3"),
            values["category"],
            state,
            values["owner"],
            values["team"],
            checked.raw_json,
        ]
    )
    rows = pd.DataFrame(
        {
            "row_number": checked.row_numbers,
            "external_id": values["external_id"].where(
                values["external_id"] != "", CONTENT_HASH_PREFIX + hashes
            ),
            "customer_ext": values["customer_id"],
            "occurred_at": occurred,
            "opened_at": opened,
            **{n: times[n] for n in _HANDLING},
            "channel": channel,
            "touchpoint": values["touchpoint"],
            "language": values["language"],
            "text": values["text"],
            "product": values["product"],
            "region": values["region"],
            "severity": severity.fillna("P3"),
            "category": values["category"],
            "state": state,
            "derived_state": derived,
            "owner": values["owner"],
            "team": values["team"],
            "content_hash": hashes,
            "raw": checked.raw_json,
        }
    )
    ok = checked.ok
    return ComplaintRows(rows[ok].reset_index(drop=True), checked.rejects())


def upsert_complaints(
    session: Session,
    data: ComplaintRows,
    *,
    brand_id: int,
    source: str,
    import_run_id: int | None = None,
) -> ComplaintUpsert:
    """Insert new, update changed (earlier version kept), skip identical complaint cases.

    Each written case gets its events rebuilt from the handling timestamps (opened,
    acknowledged, resolved, closed) and its description stored as `complaint` feedback.
    """
    frame = data.rows
    if frame.empty:
        return ComplaintUpsert()
    table = _TABLE
    stored = bulk.lookup_stored(
        session, table, brand_id=brand_id, source=source, keys=frame["external_id"]
    )
    plan = bulk.plan_upsert(frame["external_id"], frame["content_hash"], stored)
    result = ComplaintUpsert(
        plan.count(bulk.IMPORTED), plan.count(bulk.UPDATED), plan.count(bulk.DUPLICATE)
    )
    now = utcnow()
    stored_ids = sorted({stored[k][0] for k, prev in plan.versions if prev < 0})
    snapshots = bulk.stored_snapshots(session, table, stored_ids)
    written = frame.iloc[plan.write].reset_index(drop=True)
    if not written.empty:
        result.ids = _write(
            session,
            written,
            stored=stored,
            brand_id=brand_id,
            source=source,
            import_run_id=import_run_id,
            now=now,
        )
    bulk.record_versions(
        session,
        entity="complaint",
        plan=plan,
        ids={**{k: v[0] for k, v in stored.items()}, **result.ids},
        stored=stored,
        stored_snapshot=snapshots,
        chunk_snapshot=lambda i: _snapshot({str(k): v for k, v in frame.iloc[i].to_dict().items()}),
        hashes=frame["content_hash"].tolist(),
        import_run_id=import_run_id,
        now=now,
    )
    return result


def _snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: bulk.jsonable(v) for k, v in row.items() if k not in {"raw", "row_number"}}
    out["raw"] = json.loads(str(row["raw"]))
    return out


def _write(
    session: Session,
    written: pd.DataFrame,
    *,
    stored: Mapping[str, tuple[int, str]],
    brand_id: int,
    source: str,
    import_run_id: int | None,
    now: datetime,
) -> dict[str, int]:
    customer_ids = customers.customer_ids_by_external_id(
        session, brand_id, written["customer_ext"].tolist()
    )
    owners = _ensure_users(session, written["owner"].tolist())
    teams = _ensure_teams(session, brand_id, written["team"].tolist())
    described = written[written["text"] != ""]
    feedback_ids = feedback.upsert_feedback(
        session,
        FeedbackRows(
            described[
                ["row_number", "external_id", "customer_ext", "occurred_at", "channel",
                 "touchpoint", "language", "text", "product", "region", "content_hash", "raw"]
            ].assign(**{c: described[c].where(described[c] != "", None)
                        for c in ("touchpoint", "language", "product", "region")}),
            {},
            [],
        ),
        brand_id=brand_id,
        source=source,
        kind="complaint",
        import_run_id=import_run_id,
    ).ids  # fmt: skip
    records = []
    for row in written.to_dict("records"):
        key = row["external_id"]
        records.append(
            {
                "brand_id": brand_id,
                "customer_id": customer_ids.get(row["customer_ext"]),
                "feedback_id": feedback_ids.get(key),
                "source": source,
                "external_id": key,
                "content_hash": row["content_hash"],
                "description": row["text"] or None,
                "category": row["category"] or None,
                "severity": Severity(row["severity"]),
                "channel": row["channel"],
                "product": row["product"] or None,
                "region": row["region"] or None,
                "state": ComplaintState(row["state"]),
                "team_id": teams.get(row["team"]),
                "owner_id": owners.get(row["owner"]),
                **{n: _py_time(row[n]) for n in ("opened_at", *_HANDLING)},
                "raw": json.loads(row["raw"]),
                "import_run_id": import_run_id,
                "updated_at": now,
            }
        )
    table = _TABLE
    new = [r for r in records if r["external_id"] not in stored]
    changed = [r for r in records if r["external_id"] in stored]
    worked = worked_cases(session, [stored[r["external_id"]][0] for r in changed])
    ids: dict[str, int] = {}
    if new:
        returned = session.execute(
            insert(table).returning(table.c.external_id, table.c.id, sort_by_parameter_order=True),
            [{**r, "created_at": now, "version": 1} for r in new],
        )
        ids.update(dict(returned.all()))
    for columns, rows in (
        (
            (*_WRITTEN, "feedback_id"),
            [r for r in changed if stored[r["external_id"]][0] not in worked],
        ),
        (DESCRIPTIVE, [r for r in changed if stored[r["external_id"]][0] in worked]),
    ):
        if rows:
            _update(session, rows, columns, stored)
    ids.update({r["external_id"]: stored[r["external_id"]][0] for r in changed})
    replaced = [
        stored[r["external_id"]][0] for r in changed if stored[r["external_id"]][0] not in worked
    ]
    for start in range(0, len(replaced), 5000):
        batch = replaced[start : start + 5000]
        session.execute(delete(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(batch)))
    _insert_events(session, written, ids, owners, now, worked=worked)
    note_reimports(
        session, [r for r in changed if stored[r["external_id"]][0] in worked], stored, worked, now
    )
    return ids


def _update(
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    stored: Mapping[str, tuple[int, str]],
) -> None:
    table = _TABLE
    statement = (
        table.update()
        .where(table.c.id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}") for c in columns} | {"version": table.c.version + 1})
    )
    session.execute(
        statement,
        [{"b_id": stored[r["external_id"]][0], **{f"b_{c}": r[c] for c in columns}} for r in rows],
    )


def _py_time(value: object) -> datetime | None:
    if not isinstance(value, pd.Timestamp) or pd.isna(value):
        return None  # NaT or None: the column has no time for this row
    result: datetime = value.to_pydatetime()
    return result


def _insert_events(
    session: Session,
    written: pd.DataFrame,
    ids: Mapping[str, int],
    owners: Mapping[str, int],
    now: datetime,
    *,
    worked: Mapping[int, Complaint],
) -> None:
    """The event log implied by the handling timestamps; an explicit state ends the log.

    Worked cases keep the log they have (see `_note_reimports`).
    """
    events: list[dict[str, Any]] = []
    for row in written.to_dict("records"):
        if ids[row["external_id"]] in worked:
            continue
        steps: list[tuple[str, Any, str | None, str]] = [
            ("opened", row["opened_at"], None, ComplaintState.new.value)
        ]
        for kind, column, state in (
            ("acknowledged", "first_response_at", ComplaintState.acknowledged.value),
            ("resolved", "resolved_at", ComplaintState.resolved.value),
            ("closed", "closed_at", ComplaintState.closed.value),
        ):
            if not pd.isna(row[column]):
                steps.append((kind, row[column], steps[-1][3], state))
        if row["state"] != steps[-1][3]:
            steps.append(("state_changed", steps[-1][1], steps[-1][3], row["state"]))
        actor = owners.get(row["owner"])
        for seq, (kind, at, from_state, to_state) in enumerate(steps, start=1):
            events.append(
                {
                    "complaint_id": ids[row["external_id"]],
                    "seq": seq,
                    "kind": kind,
                    "at": _py_time(at),
                    "actor_id": actor if kind != "opened" else None,
                    "from_state": from_state,
                    "to_state": to_state,
                    "channel": row["channel"] if kind == "opened" else None,
                    "data": {"imported": True},
                    "recorded_at": now,
                }
            )
    if events:
        session.execute(insert(ComplaintEvent), events)


def slug(name: str) -> str:
    """A username from a display name: lower case, runs of non-word characters -> '-'."""
    return re.sub(r"[^\w]+", "-", name.strip().lower()).strip("-")[:80] or "user"


def _ensure_users(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Users by display name, created (username = slug of name) when missing."""
    wanted = {n.strip(): slug(n) for n in names if n and n.strip()}
    if not wanted:
        return {}
    found = {
        u.username: u.id
        for u in session.scalars(select(User).where(User.username.in_(set(wanted.values()))))
    }
    for name, username in wanted.items():
        if username not in found:
            user = User(username=username, display_name=name, is_active=True)
            session.add(user)
            session.flush()
            found[username] = user.id
    return {name: found[username] for name, username in wanted.items()} | {
        n: found[wanted[n.strip()]] for n in names if n and n.strip()
    }


def _ensure_teams(session: Session, brand_id: int, names: Sequence[str]) -> dict[str, int]:
    wanted = sorted({n.strip() for n in names if n and n.strip()})
    if not wanted:
        return {}
    found = {
        t.name: t.id
        for t in session.scalars(
            select(Team).where(Team.brand_id == brand_id, Team.name.in_(wanted))
        )
    }
    for name in wanted:
        if name not in found:
            team = Team(brand_id=brand_id, name=name)
            session.add(team)
            session.flush()
            found[name] = team.id
    return {n: found[n.strip()] for n in names if n and n.strip()}

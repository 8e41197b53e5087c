"""Bulk SLA recomputation: the clocks of many cases at once.

`sync_sla` replays one case's log at a time (a few queries each): right after an agent's
action, too slow for "recompute a million cases after a policy change". `recompute_bulk`
reads the lifecycle events of a brand in one query, derives the clocks with numpy
(sla_bulk_clocks.py: first response, next-reply cycles, resolution with its reopenings, pauses)
and writes `complaint_sla_targets` with one upsert (PostgreSQL: COPY into a temporary table,
then INSERT … ON CONFLICT). It gives the same rows as `sync_sla` (tests check it); cases with
a public reply clock or a contract policy, and irregular logs, go through `sync_sla` as before.

Facts recorded by the escalation runner (warned_at, escalation_level, breached_at) are kept
within a cycle and cleared by a new one; a clock met late gets its breached_at. Unlike
`sync_sla`, the bulk path appends no `sla_*` events to the log: those narrate single changes,
and a recompute changes deadlines only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, String, case, cast, extract, select
from sqlalchemy.orm import Session

from trustpulse.accounts.models import Team
from trustpulse.complaints.config import SlaConfig
from trustpulse.complaints.models import (
    Complaint,
    ComplaintContract,
    ComplaintEvent,
    Severity,
    SlaStatus,
    SlaTarget,
)
from trustpulse.complaints.sla import Subject, clock_name, match_policy
from trustpulse.complaints.sla_bulk_clocks import AUTHORS, KINDS, NONE, STATES, derive_bulk
from trustpulse.complaints.sla_bulk_io import TIMES, read_frame, read_targets, write_targets
from trustpulse.complaints.sla_store import read_case_facts, sync_sla
from trustpulse.complaints.sla_vector import VectorClock
from trustpulse.customers.models import Customer

_REPLAY_CHUNK = 2000  # cases replayed one by one, their facts read together
_NONE = NONE


@dataclass
class BulkResult:
    vectorised: int = 0
    per_case: int = 0
    rows: int = 0  # clock rows written: new or changed (a warm run over unchanged cases: 0)


def recompute_bulk(
    session: Session, *, brand_id: int, config: SlaConfig, now: datetime
) -> BulkResult:
    """Recompute every case of a brand; the caller commits."""
    cases = _cases(session, brand_id, config)
    events = _events(session, brand_id)
    clocks = derive_bulk(events, cases, config)
    fallback = clocks.fallback
    result = BulkResult(per_case=len(fallback))
    if not clocks.frame.empty:
        rows = _rows(clocks.frame, clocks.vectors, config)
        existing = read_targets(session, brand_id)
        rows = _next_checks(rows, existing, clocks.vectors, config)
        stored = cases.set_index("complaint_id")["sla_policy"]
        result.rows = write_targets(session, _changed(rows, stored), now=now)
        result.vectorised = int(clocks.frame["complaint_id"].nunique())
    for start in range(0, len(fallback), _REPLAY_CHUNK):
        chunk = list(
            session.scalars(
                select(Complaint).where(Complaint.id.in_(fallback[start : start + _REPLAY_CHUNK]))
            )
        )
        facts = read_case_facts(session, chunk)
        for complaint in chunk:
            sync_sla(session, complaint, config=config, now=now, facts=facts[complaint.id])
        session.flush()
    return result


def _cases(session: Session, brand_id: int, config: SlaConfig) -> pd.DataFrame:
    """complaint_id, contract (0/1), channel, stored sla_policy, policy and clock name per case.

    Three plain reads joined here (a window function over the join in SQL cost 8 s per
    million cases); policies are matched once per distinct (category, severity, channel,
    tier, team calendar).
    """
    cases = read_frame(
        session,
        select(
            Complaint.id.label("complaint_id"),
            Complaint.customer_id,
            Complaint.team_id,
            Complaint.category,
            cast(Complaint.severity, String).label("severity"),
            Complaint.channel,
            Complaint.sla_policy,
        ).where(Complaint.brand_id == brand_id),
    )
    contract = (
        select(ComplaintContract.id).where(ComplaintContract.customer_id == Customer.id).exists()
    )
    customers = read_frame(
        session,
        select(
            Customer.id.label("customer_id"),
            Customer.tier,
            case((contract, 1), else_=0).label("contract"),
        ).where(
            Customer.id.in_(select(Complaint.customer_id).where(Complaint.brand_id == brand_id))
        ),
    )
    teams = read_frame(session, select(Team.id.label("team_id"), Team.calendar))
    for frame, key in ((cases, "customer_id"), (cases, "team_id"), (customers, "customer_id")):
        frame[key] = pd.to_numeric(frame[key]).astype("Int64")
    teams["team_id"] = pd.to_numeric(teams["team_id"]).astype("Int64")
    cases = cases.merge(customers, on="customer_id", how="left").merge(
        teams, on="team_id", how="left"
    )
    keys = ["category", "severity", "channel", "tier", "calendar"]
    combo = cases.groupby(keys, dropna=False, sort=False).ngroup()
    policies: dict[int, str] = {}
    names: dict[int, str] = {}
    firsts = cases.assign(combo=combo).groupby("combo", sort=False).head(1)  # one row per combo
    for number, category, severity, channel, tier, team_calendar in zip(
        firsts["combo"], *(firsts[k] for k in keys), strict=True
    ):
        policy = match_policy(
            config, Subject(_opt(category), _severity(severity), str(channel), _opt(tier))
        )
        policies[int(number)] = policy.name
        names[int(number)] = clock_name(config, policy, _opt(team_calendar))
    return cases.assign(
        complaint_id=pd.to_numeric(cases["complaint_id"]).astype(np.int64),
        contract=cases["contract"].fillna(0).astype(np.int64),
        policy=combo.map(policies),
        clock=combo.map(names),
    )


def _severity(value: object) -> Severity:
    """An ORM row gives the enum; PostgreSQL's COPY gives the stored name ("p3")."""
    return value if isinstance(value, Severity) else Severity[str(value)]


def _opt(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _code(column: Any, codes: dict[str, int]) -> Any:
    return case(codes, value=column, else_=0)


def _events(session: Session, brand_id: int) -> pd.DataFrame:
    """The lifecycle events as integers (sla_bulk_clocks' codes; `t` in µs since the epoch)."""
    e = ComplaintEvent
    postgres = session.get_bind().dialect.name == "postgresql"
    at = cast(extract("epoch", e.at) * 1_000_000, BigInteger) if postgres else e.at
    frame = read_frame(
        session,
        select(
            e.complaint_id,
            e.seq,
            at.label("t"),
            _code(e.kind, KINDS).label("kind"),
            _code(e.to_state, STATES).label("to"),
            # only replies carry an author: the JSON is parsed for them alone
            case(
                (e.kind == "replied", _code(e.data["author"].as_string(), AUTHORS)), else_=0
            ).label("author"),
        )
        .join(Complaint, Complaint.id == e.complaint_id)
        .where(
            Complaint.brand_id == brand_id,
            e.to_state.is_not(None) | e.kind.in_(list(KINDS)),
        ),
    )
    if not postgres:
        frame["t"] = _micros(frame["t"])
    frame = frame.astype(np.int64)
    # sorted here rather than in the database: one numpy sort beats ORDER BY over the join
    order = np.lexsort((frame["seq"].to_numpy(), frame["complaint_id"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _micros(series: pd.Series) -> np.ndarray:
    values = pd.to_datetime(series, utc=True).dt.as_unit("us")
    out = values.astype("int64").to_numpy()
    return np.where(values.isna().to_numpy(), _NONE, out)


def _rows(clocks: pd.DataFrame, vectors: dict[str, VectorClock], config: SlaConfig) -> pd.DataFrame:
    """Deadlines, status and late breaches of each clock."""
    policies = {p.name: p for p in config.policies}
    parts = []
    for name, group in clocks.groupby("clock", sort=False):
        vector, clock = vectors[str(name)], config.clock(str(name))
        lengths = {
            (p, t): policies[p].duration(SlaTarget(t), clock) // timedelta(microseconds=1)
            for p, t in group[["policy", "target"]].drop_duplicates().itertuples(index=False)
        }
        duration = np.array(
            [lengths[key] for key in zip(group["policy"], group["target"], strict=True)],
            dtype=np.int64,
        )
        start, paused = group["start"].to_numpy(), group["paused"].to_numpy()
        due = vector.add(start, duration + paused)
        fulfilled, paused_at = group["fulfilled"].to_numpy(), group["paused_at"].to_numpy()
        done = fulfilled != _NONE
        waiting = ~done & (paused_at != _NONE)
        status = np.where(done, SlaStatus.fulfilled.value, SlaStatus.active.value)
        parts.append(
            group.assign(
                duration=duration,
                target_seconds=duration // 1_000_000,
                due_at=np.where(waiting, _NONE, due),
                breached_at=np.where(done & (fulfilled > due), due, _NONE),
                status=np.where(waiting, SlaStatus.paused.value, status),
                paused_at=np.where(done, _NONE, paused_at),
            )
        )
    return pd.concat(parts, ignore_index=True)


def _next_checks(
    rows: pd.DataFrame,
    existing: pd.DataFrame,
    vectors: dict[str, VectorClock],
    config: SlaConfig,
) -> pd.DataFrame:
    """When the escalation runner must look next, keeping what already fired in this cycle."""
    keys = ["complaint_id", "target"]
    existing = existing.rename(columns={c: f"{c}_was" for c in existing.columns if c not in keys})
    rows = rows.merge(existing, on=keys, how="left")
    for column in (*TIMES, "warned_at"):
        # via Int64: a float NaN filled with _NONE would overflow int64
        rows[f"{column}_was"] = rows[f"{column}_was"].astype("Int64").fillna(_NONE).astype(np.int64)
    # a new cycle (or a first row) starts with nothing fired, as sync_sla's _fresh_row
    rows["reset_facts"] = rows["cycle_was"].notna() & (rows["cycle_was"] != rows["cycle"])
    warned = (rows["warned_at_was"].to_numpy() != _NONE) & ~rows["reset_facts"].to_numpy()
    level = np.where(rows["reset_facts"], 0, rows["escalation_level_was"].fillna(0)).astype(int)
    levels = np.array([e.at for e in config.escalations] + [np.inf])
    share = np.where(warned, levels[np.minimum(level, len(levels) - 1)], config.warn_at)
    active = (rows["status"] == SlaStatus.active.value).to_numpy() & np.isfinite(share)
    offset = np.rint(np.where(active, share, 0) * rows["duration"].to_numpy()).astype(np.int64)
    next_at = np.full(len(rows), _NONE, dtype=np.int64)
    for name, index in rows.groupby("clock", sort=False).indices.items():
        vector = vectors[str(name)]
        at = vector.add(
            rows["start"].to_numpy()[index], offset[index] + rows["paused"].to_numpy()[index]
        )
        next_at[index] = np.where(active[index], at, _NONE)
    return rows.assign(next_check_at=next_at)


def _changed(rows: pd.DataFrame, stored_policy: pd.Series) -> pd.DataFrame:
    """The rows whose stored values the upsert would change (new rows included).

    Mirrors write_targets' upsert: in the same cycle breached_at keeps what is stored; a case
    whose complaints.sla_policy differs is rewritten so that column is set too.
    """
    was = rows["cycle_was"].notna().to_numpy()
    same_cycle = was & ~rows["reset_facts"].to_numpy()
    kept = rows["breached_at_was"].to_numpy()
    breached = np.where(same_cycle & (kept != _NONE), kept, rows["breached_at"].to_numpy())
    differs = ~same_cycle | (breached != kept)
    for column, stored in (
        ("policy", "policy_was"),
        ("clock", "calendar_was"),
        ("target_seconds", "target_seconds_was"),
        ("start", "started_at_was"),
        ("due_at", "due_at_was"),
        ("paused_at", "paused_at_was"),
        ("fulfilled", "fulfilled_at_was"),
        ("next_check_at", "next_check_at_was"),
        ("status", "status_was"),
    ):
        differs |= rows[column].to_numpy() != rows[stored].to_numpy()
    differs |= rows["paused"].to_numpy() // 1_000_000 != rows["paused_seconds_was"].to_numpy()
    policy = stored_policy.reindex(rows["complaint_id"]).to_numpy()
    differs |= rows["policy"].to_numpy() != policy
    # a case is written whole: its two rows share the complaints.sla_policy update
    ids = rows["complaint_id"].to_numpy()
    differs = np.isin(ids, ids[differs])
    return rows[differs]

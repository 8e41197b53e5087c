"""Writes a generated demo into the database in one transaction, replacing earlier demo data.

Only the demo brands' rows (and the demo.* users) are removed first; other brands are untouched.
Rows are inserted with explicit ids shifted past the ids in use, in batches of BATCH rows; on
PostgreSQL the scores go through COPY and the id sequences are moved past the new rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from sqlalchemy import Connection, Table, delete, func, insert, select, text
from sqlalchemy.engine import Engine

import trustpulse.models  # noqa: F401 -- fills Base.metadata with every table
from trustpulse.clock import utcnow
from trustpulse.db import Base
from trustpulse.demo.generate import DemoData, fingerprint
from trustpulse.demo.model import BRANDS, DemoConfig
from trustpulse.demo.voice import METRICS
from trustpulse.imports.models import ImportStatus

if TYPE_CHECKING:
    import psycopg

BATCH = 50_000
DEMO_USER_PATTERN = "demo.%"
ID_TABLES = ("brands", "users", "teams", "import_runs", "customers", "feedback", "complaints")
# table -> foreign key column -> the generated table its local ids point into
FOREIGN: dict[str, dict[str, str]] = {
    "teams": {"brand_id": "brands", "lead_id": "users"},
    "team_members": {"team_id": "teams", "user_id": "users"},
    "import_runs": {"brand_id": "brands"},
    "customers": {"brand_id": "brands"},
    "orders": {"brand_id": "brands", "customer_id": "customers"},
    "feedback": {"brand_id": "brands", "customer_id": "customers", "import_run_id": "import_runs"},
    "complaints": {
        "brand_id": "brands",
        "customer_id": "customers",
        "feedback_id": "feedback",
        "team_id": "teams",
        "owner_id": "users",
    },
    "complaint_events": {"complaint_id": "complaints", "actor_id": "users"},
    "kpi_measures": {"brand_id": "brands"},
}
Progress = Callable[[str, int], None]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def find_loaded(engine: Engine) -> dict[str, Any] | None:
    """The fingerprint (seed, scale, version) of the demo in the database, if complete."""
    runs, brands = _table("import_runs"), _table("brands")
    query = (
        select(brands.c.code, runs.c.mapping, runs.c.status)
        .join(runs, runs.c.brand_id == brands.c.id)
        .where(runs.c.kind == "demo", brands.c.code.in_([b.code for b in BRANDS]))
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    marks = {(code, str(status)) for code, _, status in rows}
    prints = [dict(mapping) for _, mapping, _ in rows]
    complete = {(b.code, str(ImportStatus.completed)) for b in BRANDS} <= marks
    if not complete or any(p != prints[0] for p in prints):
        return None
    return prints[0]


def is_loaded(engine: Engine, config: DemoConfig) -> bool:
    return find_loaded(engine) == fingerprint(config)


def clear_demo(conn: Connection) -> None:
    """Delete the demo brands' rows (children first, so no slow cascades) and demo users."""
    t = {name: _table(name) for name in Base.metadata.tables}
    brand_ids = select(t["brands"].c.id).where(t["brands"].c.code.in_([b.code for b in BRANDS]))
    feedback_ids = select(t["feedback"].c.id).where(t["feedback"].c.brand_id.in_(brand_ids))
    complaint_ids = select(t["complaints"].c.id).where(t["complaints"].c.brand_id.in_(brand_ids))
    team_ids = select(t["teams"].c.id).where(t["teams"].c.brand_id.in_(brand_ids))
    conn.execute(delete(t["scores"]).where(t["scores"].c.feedback_id.in_(feedback_ids)))
    events = t["complaint_events"]
    conn.execute(delete(events).where(events.c.complaint_id.in_(complaint_ids)))
    for name in ("complaints", "feedback", "orders", "customers", "kpi_measures", "import_runs"):
        conn.execute(delete(t[name]).where(t[name].c.brand_id.in_(brand_ids)))
    conn.execute(delete(t["team_members"]).where(t["team_members"].c.team_id.in_(team_ids)))
    conn.execute(delete(t["teams"]).where(t["teams"].c.brand_id.in_(brand_ids)))
    conn.execute(delete(t["brands"]).where(t["brands"].c.id.in_(brand_ids)))
    conn.execute(delete(t["users"]).where(t["users"].c.username.like(DEMO_USER_PATTERN)))


def load(engine: Engine, data: DemoData, *, progress: Progress | None = None) -> dict[str, int]:
    """Replace the demo in the database with `data`; returns rows written per table."""
    report = progress or (lambda _name, _n: None)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        clear_demo(conn)
        _replace_catalogue(conn, data)
        offsets = {
            name: conn.execute(select(func.coalesce(func.max(_table(name).c.id), 0))).scalar_one()
            for name in ID_TABLES
        }
        now = utcnow()
        for name, rows in data.tables.items():
            if name in ("channels", "touchpoints"):
                continue
            stamped = rows
            if name == "import_runs":
                stamped = [
                    {**r, "status": ImportStatus.completed, "started_at": now, "finished_at": now}
                    for r in rows
                ]
            shifted = _shift(stamped, name, offsets)
            for batch in _batches(shifted):
                conn.execute(insert(_table(name)), batch)
            counts[name] = len(rows)
            report(name, len(rows))
            if name == "feedback":
                counts["scores"] = _insert_scores(conn, data, offsets["feedback"])
                report("scores", counts["scores"])
        if conn.dialect.name == "postgresql":
            for name in ID_TABLES:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 -- table names are ours
                        f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                    )
                )
    return counts


def _replace_catalogue(conn: Connection, data: DemoData) -> None:
    for name in ("channels", "touchpoints"):
        table = _table(name)
        rows = data.tables[name]
        conn.execute(delete(table).where(table.c.code.in_([r["code"] for r in rows])))
        conn.execute(insert(table), rows)


def _shift(
    rows: Sequence[dict[str, Any]], name: str, offsets: dict[str, int]
) -> list[dict[str, Any]]:
    """Local ids -> database ids: add each referenced table's offset (None stays None)."""
    columns = [(col, offsets[ref]) for col, ref in FOREIGN.get(name, {}).items()]
    if name in offsets:
        columns.append(("id", offsets[name]))
    if all(off == 0 for _, off in columns):
        return list(rows)
    out = []
    for row in rows:
        new = dict(row)
        for col, off in columns:
            value = new.get(col)
            if value is not None:
                new[col] = value + off
        out.append(new)
    return out


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert_scores(conn: Connection, data: DemoData, feedback_offset: int) -> int:
    feedback_ids = (data.score_feedback + feedback_offset).tolist()
    metrics = np.array(METRICS, dtype=object)[data.score_metric].tolist()
    rows = list(zip(feedback_ids, metrics, data.score_value.tolist(), strict=True))
    if conn.dialect.name == "postgresql":
        cursor = cast("psycopg.Cursor[Any]", conn.connection.cursor())
        with cursor, cursor.copy("COPY scores (feedback_id, metric, value) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = "feedback_id, metric, value"
    sql = f"INSERT INTO scores ({columns}) VALUES ({marker}, {marker}, {marker})"  # noqa: S608 -- no user input
    for start in range(0, len(rows), BATCH):
        conn.exec_driver_sql(sql, rows[start : start + BATCH])
    return len(rows)

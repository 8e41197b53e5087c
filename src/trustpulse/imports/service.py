"""The import run: read a file in chunks, validate, write, count, reject, and resume.

Each chunk commits together with `ImportRun.rows_done`, so a run interrupted by Ctrl-C or a
crash resumes after the last committed chunk and ends with the same database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.db import refresh_statistics, session_scope, utcnow
from trustpulse.errors import InvalidInputError
from trustpulse.feedback.datetimes import DateOrder, date_order_evidence, order_matters
from trustpulse.feedback.validation import TIME_FIELDS, Checked, Reject, check_common
from trustpulse.imports import kinds
from trustpulse.imports.mapping import ColumnMap, MappingFile, load_mapping, resolve_columns
from trustpulse.imports.models import ImportReject, ImportRun, ImportStatus
from trustpulse.imports.readers import Chunk, FileInfo, inspect_file, iter_chunks, read_header
from trustpulse.imports.rejects import write_rejects_file

logger = logging.getLogger(__name__)

KINDS = ("survey", "review", "social", "complaint", "kpi")
Progress = Callable[[int, int, int], None]  # (bytes done, bytes total, records done)
# a run that wrote this many rows refreshes PostgreSQL's planner statistics (db.refresh_statistics)
ANALYZE_AFTER_ROWS = 50_000


@dataclass
class ImportSummary:
    import_run_id: int
    read: int
    imported: int
    updated: int
    rejected: int
    duplicates: int
    rejects_file: str | None
    resumed_from_row: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "imported": self.imported,
            "updated": self.updated,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "rejects_file": self.rejects_file,
            "import_run_id": self.import_run_id,
            "resumed_from_row": self.resumed_from_row,
        }


@dataclass
class _Plan:
    info: FileInfo
    kind: str
    columns: ColumnMap
    brand_code: str
    source: str
    timezone: str | None
    mapping: MappingFile
    header: list[str]


def run_import(
    factory: sessionmaker[Session],
    path: Path,
    *,
    kind: str,
    brand: str | None = None,
    mapping_path: Path | None = None,
    encoding: str | None = None,
    source: str | None = None,
    chunk_rows: int = 20_000,
    rejects_dir: Path,
    default_timezone: str = "Asia/Shanghai",
    progress: Progress | None = None,
    settings: Settings | None = None,
) -> ImportSummary:
    """Import a CSV/XLSX/JSONL file of one kind; commits after every chunk (a job-style edge).

    With `settings`, the run also does what the kind owes afterwards (`kinds.after_import`:
    imported complaints get their SLA clocks).

    Raises InvalidInputError (nothing written) for an unreadable or empty file, an unknown
    kind or encoding, a bad mapping, or a missing required column.
    """
    if kind not in KINDS:
        raise InvalidInputError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    plan = _plan(
        path, kind=kind, brand=brand, mapping_path=mapping_path, encoding=encoding, source=source
    )
    run_id, resumed_from, timezone = _start_run(factory, plan, default_timezone)
    try:
        orders = _DateOrders(plan, chunk_rows)
        _process(
            factory,
            plan,
            run_id=run_id,
            skip=resumed_from or 0,
            timezone=timezone,
            orders=orders,
            chunk_rows=chunk_rows,
            progress=progress,
        )
        summary = _finish(factory, run_id, plan, rejects_dir, resumed_from)
    except BaseException as exc:
        _mark_failed(factory, run_id, exc)
        raise
    if summary.imported + summary.updated >= ANALYZE_AFTER_ROWS:
        with session_scope(factory) as session:
            refresh_statistics(session)
    if settings is not None:
        # after the run is complete: a failure here leaves every row imported, and the
        # clocks are derived data that `sla recompute` rebuilds
        with session_scope(factory) as session:
            brand_row = customers.get_brand(session, plan.brand_code)
            kinds.after_import(
                session, kind=kind, brand_id=brand_row.id, brand=plan.brand_code, settings=settings
            )
    return summary


def _plan(
    path: Path,
    *,
    kind: str,
    brand: str | None,
    mapping_path: Path | None,
    encoding: str | None,
    source: str | None,
) -> _Plan:
    mapping = load_mapping(mapping_path)
    info = inspect_file(path, encoding=encoding)
    header = read_header(info)
    columns = resolve_columns(header, kind, mapping)
    first = next(iter_chunks(info, chunk_rows=1))
    if first.records == 0:
        raise InvalidInputError(f"{path.name} has no data rows", field="file")
    return _Plan(
        info=info,
        kind=kind,
        columns=columns,
        brand_code=brand or mapping.brand or "default",
        source=source or mapping.source or path.name,
        timezone=mapping.timezone,
        mapping=mapping,
        header=header,
    )


def _start_run(
    factory: sessionmaker[Session], plan: _Plan, default_timezone: str
) -> tuple[int, int | None, str]:
    """Resume the file's unfinished run (same sha256, kind, source, brand) or start one."""
    with session_scope(factory) as session:
        brand = customers.ensure_brand(
            session, plan.brand_code, timezone=plan.timezone or default_timezone
        )
        timezone = plan.timezone or brand.timezone
        run = session.scalar(
            select(ImportRun)
            .where(
                ImportRun.file_sha256 == plan.info.sha256,
                ImportRun.kind == plan.kind,
                ImportRun.source == plan.source,
                ImportRun.brand_id == brand.id,
                ImportRun.status != ImportStatus.completed,
            )
            .order_by(ImportRun.id.desc())
            .limit(1)
        )
        if run is not None:
            run.status, run.error = ImportStatus.running, None
            logger.info("resuming import run %s after row %s", run.id, run.rows_done)
            return run.id, run.rows_done, timezone
        run = ImportRun(
            brand_id=brand.id,
            kind=plan.kind,
            source=plan.source,
            path=str(plan.info.path),
            file_sha256=plan.info.sha256,
            mapping=plan.mapping.model_dump(mode="json"),
            status=ImportStatus.running,
            rows_done=0,
            imported=0,
            updated=0,
            rejected=0,
            duplicates=0,
            started_at=utcnow(),
        )
        session.add(run)
        session.flush()
        return run.id, None, timezone


class _DateOrders:
    """The day/month order of each date column, decided from the whole file when it matters.

    Reading a cell depends on the order only for numeric day/month dates (03/04/2025) and
    dates with month names. Until a chunk holds such a cell, every chunk reads the same either
    way, so a file without them (ISO dates) is never read an extra time.
    """

    def __init__(self, plan: _Plan, chunk_rows: int) -> None:
        self.plan = plan
        self.chunk_rows = chunk_rows
        self.decided: dict[str, DateOrder] | None = None

    def for_chunk(self, chunk: Chunk) -> dict[str, DateOrder]:
        if self.decided is None:
            columns = {c for f, c in self.plan.columns.fields.items() if f in TIME_FIELDS}
            if not any(order_matters(chunk.frame[c]) for c in sorted(columns)):
                return {}
            self.decided = _date_orders(self.plan, self.chunk_rows)
        return self.decided


def _date_orders(plan: _Plan, chunk_rows: int) -> dict[str, DateOrder]:
    """Day-first or month-first per date column, decided from the whole column."""
    wanted = {f: c for f, c in plan.columns.fields.items() if f in TIME_FIELDS}
    if not wanted:
        return {}
    columns = sorted(set(wanted.values()))
    evidence = dict.fromkeys(columns, (0, 0))
    for chunk in iter_chunks(plan.info, chunk_rows=max(chunk_rows, 100_000), usecols=columns):
        for column in columns:
            days, months = date_order_evidence(chunk.frame[column])
            evidence[column] = (evidence[column][0] + days, evidence[column][1] + months)
    return {
        field: "dmy" if evidence[column][0] > evidence[column][1] else "mdy"
        for field, column in wanted.items()
    }


def _process(
    factory: sessionmaker[Session],
    plan: _Plan,
    *,
    run_id: int,
    skip: int,
    timezone: str,
    orders: _DateOrders,
    chunk_rows: int,
    progress: Progress | None,
) -> None:
    done = skip
    chunks = iter_chunks(plan.info, chunk_rows=chunk_rows, skip_rows=skip)

    def read_and_check() -> tuple[Chunk, dict[str, DateOrder], Checked] | None:
        for chunk in chunks:
            if chunk.records:
                chunk_orders = orders.for_chunk(chunk)
                checked = _check(plan, chunk, timezone=timezone, orders=chunk_orders)
                return chunk, chunk_orders, checked
        return None

    # One thread reads and validates the next chunk while this one writes (the database
    # works while Python parses); chunks still commit one by one, in file order.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read")
    try:
        ahead = pool.submit(read_and_check)
        while (item := ahead.result()) is not None:
            ahead = pool.submit(read_and_check)
            chunk, chunk_orders, checked = item
            with session_scope(factory) as session:
                write_chunk(
                    session,
                    plan,
                    chunk,
                    run_id=run_id,
                    timezone=timezone,
                    orders=chunk_orders,
                    checked=checked,
                )
            done += chunk.records
            if progress is not None:
                progress(chunk.bytes_read, plan.info.size, done)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _check(plan: _Plan, chunk: Chunk, *, timezone: str, orders: dict[str, DateOrder]) -> Checked:
    return check_common(
        chunk.frame,
        chunk.row_numbers,
        kind=plan.kind,
        fields=plan.columns.fields,
        scores=plan.columns.scores,
        defaults=plan.columns.defaults,
        extra=plan.columns.extra,
        timezone=timezone,
        date_orders=orders,
    )


def write_chunk(
    session: Session,
    plan: _Plan,
    chunk: Chunk,
    *,
    run_id: int,
    timezone: str,
    orders: dict[str, DateOrder],
    checked: Checked | None = None,
) -> None:
    """Validate (unless `checked` is given) and write one chunk and advance the run.

    Runs in the caller's transaction.
    """
    run = session.get(ImportRun, run_id)
    assert run is not None  # noqa: S101 -- created by _start_run
    if checked is None:
        checked = _check(plan, chunk, timezone=timezone, orders=orders)
    counts, rejects = kinds.write(
        session, checked, kind=plan.kind, brand_id=run.brand_id, source=plan.source, run_id=run_id
    )
    rejects = [Reject(b.row_number, None, b.reason, b.raw) for b in chunk.bad] + rejects
    if rejects:
        session.add_all(
            ImportReject(
                import_run_id=run_id,
                row_number=r.row_number,
                field=r.field,
                reason=r.reason,
                raw=r.raw,
            )
            for r in rejects
        )
    run.imported += counts.imported
    run.updated += counts.updated
    run.duplicates += counts.duplicates
    run.rejected += len(rejects)
    run.rows_done += chunk.records


def _finish(
    factory: sessionmaker[Session],
    run_id: int,
    plan: _Plan,
    rejects_dir: Path,
    resumed_from: int | None,
) -> ImportSummary:
    with session_scope(factory) as session:
        run = session.get(ImportRun, run_id)
        assert run is not None  # noqa: S101 -- created by _start_run
        rejects_path = None
        if run.rejected:
            rejects_path = write_rejects_file(
                session,
                run_id,
                rejects_dir / f"{plan.info.path.stem}.run{run_id}.rejects.csv",
                header=plan.header,
            )
        run.rejects_path = str(rejects_path) if rejects_path else None
        run.status = ImportStatus.completed
        run.finished_at = utcnow()
        return ImportSummary(
            import_run_id=run.id,
            read=run.rows_done,
            imported=run.imported,
            updated=run.updated,
            rejected=run.rejected,
            duplicates=run.duplicates,
            rejects_file=run.rejects_path,
            resumed_from_row=resumed_from,
        )


def _mark_failed(factory: sessionmaker[Session], run_id: int, exc: BaseException) -> None:
    """Leave the run resumable and say why it stopped (best effort: the DB may be the cause)."""
    try:
        with session_scope(factory) as session:
            run = session.get(ImportRun, run_id)
            if run is not None:
                run.status = ImportStatus.failed
                run.error = f"{type(exc).__name__}: {exc}"[:2000]
    except Exception:
        logger.exception("could not mark import run %s as failed", run_id)

"""A small in-process cache of expensive metric and page results, keyed by the data they used.

Dashboard pages ask for the same trust index, series, key drivers and text summaries on every
load. A result is stored under (what was asked, configuration files, data watermark) and served
again while the watermark is unchanged and the entry is younger than `TTL_SECONDS`; the least
recently used entries beyond `MAX_ENTRIES` are dropped.

The watermark (`watermark`) is read once per session transaction and forgotten whenever the
session flushes, commits or rolls back, so a session that writes sees fresh results. It holds
the database address; feedback (count, highest id, latest updated_at); the count and highest id
or latest timestamp of KPI measures, customers, customer segments, text analyses, watch-list
hits, complaints and complaint events; and the rollup state. For app sessions the full reading
is reused while no table's highest id moved, for at most `RECHECK_SECONDS` (see `watermark`).
What it cannot see (a customer's segment edited in place, a score changed without touching its
feedback's updated_at) shows up after at most `TTL_SECONDS`.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from trustpulse.complaints.models import Complaint, ComplaintEvent
from trustpulse.config import Settings
from trustpulse.config_files import DEFAULTS_DIR
from trustpulse.customers.models import Customer
from trustpulse.feedback.models import Feedback
from trustpulse.metrics import engine
from trustpulse.metrics.models import KpiMeasure
from trustpulse.metrics.query import Slice
from trustpulse.metrics.rollup_models import CustomerSegment, RollupState
from trustpulse.metrics.rollups import STATE_NAME
from trustpulse.text.models import FeedbackAnalysis, WatchHitRow

T = TypeVar("T")
TTL_SECONDS = 300.0
RECHECK_SECONDS = 10.0
MAX_ENTRIES = 256
_WATERMARK = "trustpulse.metrics.cache.watermark"

_entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
_marks: dict[Hashable, tuple[float, Watermark]] = {}
_lock = threading.Lock()


def _forget_watermark(session: Session, *_args: object) -> None:
    session.info.pop(_WATERMARK, None)


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, _forget_watermark)


@dataclass(frozen=True)
class Watermark:
    """The state of the data a cached result was computed from."""

    database: str
    feedback: tuple[int, int, datetime | None]  # count, highest id, latest updated_at
    others: tuple[str, ...]  # (count, latest) of KPIs, customers, segments, texts, cases
    rollup_id: int | None  # highest feedback id the last rollup build saw
    rollup_updated: datetime | None  # latest feedback.updated_at it saw
    rollup_built: datetime | None

    @property
    def key(self) -> Hashable:
        return (self.database, self.feedback, self.others, self.rollup_id, self.rollup_built)

    @property
    def rollups_fresh(self) -> bool:
        if self.rollup_id is None:
            return False
        _count, max_id, updated = self.feedback
        if max_id > self.rollup_id:
            return False
        return updated is None or (
            self.rollup_updated is not None and updated <= self.rollup_updated
        )


def _quick_key(session: Session) -> Hashable:
    """Highest ids of the tables the watermark covers: index lookups, one round trip."""
    columns = (
        Feedback.id,
        KpiMeasure.id,
        Customer.id,
        CustomerSegment.customer_id,
        FeedbackAnalysis.feedback_id,
        Complaint.id,
        ComplaintEvent.id,
    )
    row = session.execute(select(*(select(func.max(c)).scalar_subquery() for c in columns))).one()
    state = session.execute(select(RollupState.built_at)).all()
    return (*row, *(r[0] for r in state))


def _read_watermark(session: Session, database: str) -> Watermark:
    count, max_id, updated = session.execute(
        select(func.count(), func.max(Feedback.id), func.max(Feedback.updated_at))
    ).one()
    others = [
        session.execute(select(func.count(), func.max(column))).one()
        for column in (
            KpiMeasure.id,
            Customer.id,
            CustomerSegment.built_at,
            FeedbackAnalysis.analysed_at,
            WatchHitRow.feedback_id,
            Complaint.id,
            ComplaintEvent.id,
        )
    ]
    state = session.get(RollupState, STATE_NAME)
    return Watermark(
        database=database,
        feedback=(int(count), int(max_id or 0), updated),
        others=tuple(str(tuple(row)) for row in others),
        rollup_id=None if state is None else state.max_feedback_id,
        rollup_updated=None if state is None else state.updated_watermark,
        rollup_built=None if state is None else state.built_at,
    )


def watermark(session: Session) -> Watermark:
    """What cached results depend on, as this session sees it (read once per transaction).

    Counting rows and finding the latest updated_at scan whole tables. For sessions bound to
    an engine (the app, the CLI) the full watermark is therefore reused across requests while
    the tables' highest ids are unchanged, for at most `RECHECK_SECONDS`: new rows are seen at
    once, rows updated or deleted in place within that time. Sessions bound to a connection
    (tests, callers that manage their own transaction) always read it in full.
    """
    memo = session.info.get(_WATERMARK)
    if isinstance(memo, Watermark):
        return memo
    bind = session.get_bind()
    database = bind.engine.url.render_as_string(hide_password=True)
    shared = isinstance(bind, Engine)
    now = time.monotonic()
    quick = (database, _quick_key(session)) if shared else None
    with _lock:
        known = _marks.get(quick) if quick is not None else None
    if known is not None and now - known[0] < RECHECK_SECONDS:
        mark = known[1]
    else:
        mark = _read_watermark(session, database)
        if quick is not None:
            with _lock:
                _marks.clear()  # one database state at a time is enough
                _marks[quick] = (now, mark)
    session.info[_WATERMARK] = mark
    return mark


def rollups_fresh(session: Session) -> bool:
    """True when the daily rollups cover every feedback row: none newer than the last build
    (by id) and none updated after it (by updated_at)."""
    return watermark(session).rollups_fresh


def freeze(value: object) -> Hashable:
    """A hashable stand-in for a cache key part (slices, lists, dicts, dates)."""
    if isinstance(value, Slice):
        return (
            "slice",
            value.brand,
            value.channel,
            value.since,
            value.until,
            freeze(dict(value.where)),
        )
    if isinstance(value, dict):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def cached(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or a copy of its earlier result for the same key and data watermark."""
    full = (key, watermark(session).key)
    now = time.monotonic()
    with _lock:
        hit = _entries.get(full)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            _entries.move_to_end(full)
            return copy.deepcopy(hit[1])  # type: ignore[return-value]  # stored by this key
    result = compute()
    with _lock:
        _entries[full] = (now, copy.deepcopy(result))
        _entries.move_to_end(full)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return result


def clear() -> None:
    """Forget every cached result and watermark (tests, benchmarks)."""
    with _lock:
        _entries.clear()
        _marks.clear()


def entries() -> int:
    return len(_entries)


def config_stamp(settings: Settings, *, brand: str | None, names: Sequence[str]) -> Hashable:
    """The files configuration `names` would be read from, with their size and mtime."""
    stamps = []
    for name in names:
        paths = [settings.effective_config_dir / f"{name}.yaml", DEFAULTS_DIR / f"{name}.yaml"]
        if brand is not None:
            paths.append(settings.effective_config_dir / "brands" / brand / f"{name}.yaml")
        for path in paths:
            try:
                info = path.stat()
            except OSError:
                continue
            stamps.append((str(path), info.st_mtime_ns, info.st_size))
    return tuple(stamps)


def cached_metric(
    session: Session,
    metric: str,
    *,
    settings: Settings,
    by: Sequence[str],
    flt: Slice,
) -> list[dict[str, object]]:
    """`engine.compute_metric` through the cache, from the rollups whenever they are fresh
    (NPS, CSAT, CES; `auto` falls back to the raw rows when they cannot answer exactly), else
    from the raw rows. Either way the numbers are the same (docs/metrics.md, rollups)."""
    source = "auto" if rollups_fresh(session) else "raw"
    key = (
        "metric",
        metric,
        tuple(by),
        freeze(flt),
        source,
        config_stamp(settings, brand=flt.brand, names=("metrics", "trust_index")),
    )
    return cached(
        session,
        key,
        lambda: engine.compute_metric(
            session, metric, settings=settings, by=by, flt=flt, source=source
        ),
    )

"""The result cache of expensive metric and page results, keyed by the data they used.

Dashboard pages ask for the same trust index, series, key drivers and text summaries on every
load. A result is stored under (what was asked, configuration files, data watermark) and served
again while the watermark is unchanged. Two tiers:

- memory: this process's results, for at most `TTL_SECONDS`, the least recently used beyond
  `MAX_ENTRIES` dropped;
- the `metric_results` table: results prepared ahead by the `web.prepare` job (inside
  `persisting()`), so the first load of a dashboard view in any process, or after a restart,
  reads a row instead of bootstrapping a million responses. A row computed at the current
  watermark is used as it is; one computed at an older watermark is served for at most
  `STALE_SECONDS` while the job refreshes it, and `stale_as_of` gives the page its time to
  show ("figures as of ..."): on a live desk, events and feedback arrive every few seconds,
  and an exact match alone would send almost every first load back to a bootstrap.

The watermark (`watermark`) is read once per session transaction and forgotten whenever the
session flushes, commits or rolls back, so a session that writes sees fresh results. It holds
the database address, the highest id of feedback, KPI measures, customers, watch-list hits,
complaints and complaint events, the latest feedback.updated_at, text analysis and segment
build, and the rollup state: index lookups only (one round trip), so it is cheap enough to
read on every request. Every write path of the application moves one of them (a complaint's
change is an event; a re-analysis or segment rebuild stamps its time). What it cannot see, a
row deleted or edited in place by hand in the database, shows up in memory after at most
`TTL_SECONDS` and in the table at the next rollup build or prepare run.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar, cast

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from trustpulse.complaints.models import Complaint, ComplaintEvent
from trustpulse.config import Settings
from trustpulse.config_files import DEFAULTS_DIR
from trustpulse.customers.models import Customer
from trustpulse.db import utcnow
from trustpulse.feedback.models import Feedback
from trustpulse.metrics import engine
from trustpulse.metrics.models import KpiMeasure
from trustpulse.metrics.query import Slice
from trustpulse.metrics.rollup_models import CustomerSegment, RollupState, StoredResult
from trustpulse.metrics.rollups import STATE_NAME
from trustpulse.text.models import FeedbackAnalysis, WatchHitRow

T = TypeVar("T")
TTL_SECONDS = 300.0
MAX_ENTRIES = 256
# A prepared result older than the data is served for this long while web.prepare refreshes it
# (it prepares at most every PREPARE_EVERY_SECONDS, and a run takes minutes at 1M responses).
STALE_SECONDS = 1800.0
_WATERMARK = "trustpulse.metrics.cache.watermark"
_STALE = "trustpulse.metrics.cache.stale_as_of"
_ALLOW_STALE = "trustpulse.metrics.cache.allow_stale"

logger = logging.getLogger(__name__)
_entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
_lock = threading.Lock()


def _forget_watermark(session: Session, *_args: object) -> None:
    session.info.pop(_WATERMARK, None)


def _forget_stale(session: Session, *_args: object) -> None:
    session.info.pop(_STALE, None)


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(Session, _name, _forget_watermark)
for _name in ("after_commit", "after_rollback"):
    event.listen(Session, _name, _forget_stale)


@dataclass(frozen=True)
class Watermark:
    """The state of the data a cached result was computed from."""

    database: str
    feedback: tuple[int, datetime | None]  # highest id, latest updated_at
    others: tuple[str, ...]  # highest id or latest stamp of KPIs, customers, segments, texts ...
    rollup_id: int | None  # highest feedback id the last rollup build saw
    rollup_updated: datetime | None  # latest feedback.updated_at it saw
    rollup_built: datetime | None

    @property
    def key(self) -> Hashable:
        # not rollup_built: an incremental build re-reads the latest days (UPDATE_OVERLAP) and
        # stamps a new time without changing a number, which would void every result each run
        return (self.database, self.feedback, self.others, self.rollup_id, self.rollup_updated)

    @property
    def digest(self) -> str:
        """A stable name of this state for the stored tier (the same in every process)."""
        return _digest(self.key)

    @property
    def rollups_fresh(self) -> bool:
        if self.rollup_id is None:
            return False
        max_id, updated = self.feedback
        if max_id > self.rollup_id:
            return False
        return updated is None or (
            self.rollup_updated is not None and updated <= self.rollup_updated
        )


# Each is the leading column of an index (or a primary key): max() is an index lookup.
_STAMPS = (
    KpiMeasure.id,
    Customer.id,
    CustomerSegment.built_at,
    FeedbackAnalysis.analysed_at,
    WatchHitRow.feedback_id,
    Complaint.id,
    ComplaintEvent.id,
)


def _read_watermark(session: Session, database: str) -> Watermark:
    columns = (Feedback.id, Feedback.updated_at, *_STAMPS)
    row = session.execute(select(*(select(func.max(c)).scalar_subquery() for c in columns))).one()
    max_id, updated, *others = row
    state = session.get(RollupState, STATE_NAME)
    return Watermark(
        database=database,
        feedback=(int(max_id or 0), updated),
        others=tuple(str(v) for v in others),
        rollup_id=None if state is None else state.max_feedback_id,
        rollup_updated=None if state is None else state.updated_watermark,
        rollup_built=None if state is None else state.built_at,
    )


def watermark(session: Session) -> Watermark:
    """What cached results depend on, as this session sees it (read once per transaction)."""
    memo = session.info.get(_WATERMARK)
    if isinstance(memo, Watermark):
        return memo
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    mark = _read_watermark(session, database)
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


def _digest(value: Hashable) -> str:
    # repr of the frozen key parts (str, int, date, tuples) is the same in every process
    return hashlib.sha256(repr(value).encode()).hexdigest()


@dataclass(frozen=True)
class Prepared:
    """A result computed inside `persisting()`, to be written by `save_prepared`."""

    key: str
    watermark: str
    label: str
    payload: bytes
    seconds: float


_persisting: ContextVar[list[Prepared] | None] = ContextVar(
    "trustpulse_cache_persisting", default=None
)


@contextmanager
def persisting() -> Iterator[list[Prepared]]:
    """Within this block, `cached` computes afresh (it does not read `metric_results`) and
    collects what it computed into the yielded list; `save_prepared` writes it. Reading and
    writing are apart so a long computation never holds SQLite's write lock."""
    collected: list[Prepared] = []
    token = _persisting.set(collected)
    try:
        yield collected
    finally:
        _persisting.reset(token)


def save_prepared(session: Session, results: Sequence[Prepared]) -> None:
    """Insert or replace prepared results (one short write transaction: the caller's)."""
    for item in results:
        row = session.get(StoredResult, item.key)
        if row is None:
            row = StoredResult(key=item.key)
            session.add(row)
        row.watermark, row.label, row.payload = item.watermark, item.label, item.payload
        row.seconds, row.computed_at = item.seconds, utcnow()


@dataclass(frozen=True)
class _Stored:
    value: object
    computed_at: datetime
    exact: bool  # computed at the current watermark


def _read_stored(session: Session, key: str, mark: str) -> _Stored | None:
    row = session.execute(
        select(StoredResult.payload, StoredResult.watermark, StoredResult.computed_at).where(
            StoredResult.key == key
        )
    ).first()
    if row is None:
        return None
    try:
        value = pickle.loads(row.payload)  # noqa: S301 -- written by `save_prepared` only
    except Exception:  # a row written by an older release: compute it again
        logger.info("stored result %s unreadable: computing it again", key[:12])
        return None
    return _Stored(value, row.computed_at, exact=row.watermark == mark)


def allow_stale(session: Session) -> None:
    """Let `cached` serve this session prepared results from an older watermark (see there).
    Only for callers that show `stale_as_of` (dashboard pages); reports, the CLI and the API
    always get figures for the current data."""
    session.info[_ALLOW_STALE] = True


def stale_as_of(session: Session) -> datetime | None:
    """When the oldest prepared result served to this session (since its last commit or
    rollback) was computed, if it was computed before the latest data: pages show it."""
    value = session.info.get(_STALE)
    return value if isinstance(value, datetime) else None


def cached(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or a copy of an earlier result: from this process's memory for the same key
    and data watermark, else from the results prepared in `metric_results`.

    To a session that `allow_stale` (a dashboard page), a prepared result computed at an older
    watermark is still served while it is younger than `STALE_SECONDS` (the `web.prepare` job
    is refreshing it), and `stale_as_of` tells the page its time; it is not kept in memory, so
    the refreshed row is read as soon as it exists.
    """
    mark = watermark(session)
    full = (key, mark.key)
    now = time.monotonic()
    digest, collected = _digest(key), _persisting.get()
    with _lock:
        hit = _entries.get(full)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            _entries.move_to_end(full)
            if collected is not None:  # a page asked first: store what it computed
                payload = pickle.dumps(hit[1], protocol=pickle.HIGHEST_PROTOCOL)
                collected.append(Prepared(digest, mark.digest, repr(key)[:200], payload, 0.0))
            return copy.deepcopy(hit[1])  # type: ignore[return-value]  # stored by this key
    stored = _read_stored(session, digest, mark.digest) if collected is None else None
    if stored is not None and not stored.exact:
        age = (utcnow() - stored.computed_at).total_seconds()
        if age <= STALE_SECONDS and session.info.get(_ALLOW_STALE):
            seen = stale_as_of(session)
            session.info[_STALE] = min(seen, stored.computed_at) if seen else stored.computed_at
            return cast(T, stored.value)
        stored = None
    if stored is not None:
        result = stored.value
    else:
        started = time.perf_counter()
        result = compute()
        if collected is not None:
            payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            elapsed = time.perf_counter() - started
            collected.append(Prepared(digest, mark.digest, repr(key)[:200], payload, elapsed))
    with _lock:
        _entries[full] = (now, copy.deepcopy(result))
        _entries.move_to_end(full)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return cast(T, result)


def clear() -> None:
    """Forget every result this process holds in memory (tests, benchmarks); the prepared
    results in `metric_results` stay (see `forget_stored`)."""
    with _lock:
        _entries.clear()


def forget_stored(session: Session) -> int:
    """Delete every prepared result; returns how many there were."""
    rows = session.query(StoredResult).delete()
    return int(rows)


def forget_stored_before(session: Session, when: datetime) -> int:
    """Delete prepared results computed before `when` (views no longer prepared: a removed
    brand, an older release's keys); returns how many."""
    rows = session.query(StoredResult).filter(StoredResult.computed_at < when).delete()
    return int(rows)


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
    # not `source` in the key: both give the same numbers, and a prepared result (computed
    # while the rollups were fresh) must still be found once new feedback makes them stale
    key = (
        "metric",
        metric,
        tuple(by),
        freeze(flt),
        config_stamp(settings, brand=flt.brand, names=("metrics", "trust_index")),
    )
    return cached(
        session,
        key,
        lambda: engine.compute_metric(
            session, metric, settings=settings, by=by, flt=flt, source=source
        ),
    )


def stored_mark(session: Session, name: Hashable) -> str | None:
    """The watermark digest recorded under `name` by `save_mark` (None: never recorded)."""
    row = session.get(StoredResult, _digest(name))
    return None if row is None else row.watermark


def mark_time(session: Session, name: Hashable) -> datetime | None:
    """When `save_mark` last recorded `name` (None: never)."""
    row = session.get(StoredResult, _digest(name))
    return None if row is None else row.computed_at


def save_mark(session: Session, name: Hashable, mark: str) -> None:
    """Record that the work called `name` was done at watermark digest `mark`."""
    save_prepared(session, [Prepared(_digest(name), mark, repr(name)[:200], b"", 0.0)])

"""Dashboard results prepared ahead, so the first load of a page reads a row.

The trust index, key drivers and the trust -> repurchase model bootstrap every response of a
brand: seconds on the demo, tens of seconds at a million responses. Each page asks for them
through `metrics.cache.cached`; `prepare_dashboard` asks for the same things, inside
`cache.persisting()`, for every brand's default view (no period, channel or segment filter),
its latest two months, each of its channels and its segments, and writes the results to
`metric_results`, keyed by the data watermark. Any process then serves the first load from that
table. Before them it builds the columnar copy of the scores (metrics/columns.py), which
answers the views it does not prepare in milliseconds.

It runs as the `web.prepare` job (web/jobs.py) and at the end of `trustpulse metrics rollup`.
While the data moves on, pages keep serving the last prepared results for up to
`cache.STALE_SECONDS` and say "as of" when (metrics/cache.py). Views with other filters (an
older month, a channel within a month, a period range) are computed on their first request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.customers.service import list_brands
from trustpulse.db import session_scope, utcnow
from trustpulse.errors import TrustPulseError
from trustpulse.feedback.models import Feedback
from trustpulse.metrics import cache, columns
from trustpulse.metrics.complaint_leaves import ComplaintFacts
from trustpulse.metrics.query import Slice, period_window
from trustpulse.reports import trust
from trustpulse.reports.choices import filter_choices
from trustpulse.reports.improvements import improvement_rows
from trustpulse.reports.service import latest_quarter, previous_quarter
from trustpulse.transparency import service as snapshots
from trustpulse.web.drivers import TARGETS, driver_rows
from trustpulse.web.overview import handling_figures, overview_figures
from trustpulse.web.roi import parse_gain, repurchase_figures
from trustpulse.web.transparency import complaint_figures

logger = logging.getLogger(__name__)
PREPARED_MONTHS = 2  # the latest month with feedback and the one before
PREPARED_QUARTERS = 12  # transparency: each quarter's page also shows the one before, so its
# picker walks back a quarter at a time; three years of complaint figures cost ~6 s at 1M
# complaint KPIs (a trust-index leaf) and handling figures: the same for every channel and
# segment of a month, ~0.4 s per month at 1M; prepared for two years of month picks
COMPLAINT_MONTHS = 24
DEFAULT_TARGET = "nps"  # the drivers page's target when none is chosen
_MARK = ("web.prepare", "done")  # a stored row whose watermark says what was prepared last


@dataclass(frozen=True)
class Prepared:
    brands: list[str]
    results: int  # results computed and stored
    seconds: float
    skipped: bool  # already prepared for this data


def latest_months(session: Session, *, brand: str, count: int) -> list[Slice]:
    """The brand's latest `count` calendar months with feedback (its time zone), newest first,
    as the slices the month picker gives (`?month=YYYY-MM`: first to last day)."""
    row = customers.get_brand(session, brand)
    latest = session.scalar(
        select(func.max(Feedback.occurred_at)).where(Feedback.brand_id == row.id)
    )
    if latest is None:
        return []
    local = latest.astimezone(ZoneInfo(row.timezone)).date()
    out = []
    first = local.replace(day=1)
    for _ in range(count):
        after = (first + timedelta(days=32)).replace(day=1)
        out.append(Slice(brand=brand, since=first, until=after - timedelta(days=1)))
        first = (first - timedelta(days=1)).replace(day=1)
    return out


def brand_channels(session: Session, *, brand: str) -> list[str]:
    """The channels the brand has feedback from (the channel picker's useful choices)."""
    row = customers.get_brand(session, brand)
    stmt = select(Feedback.channel).where(Feedback.brand_id == row.id).distinct()
    return sorted(session.scalars(stmt))


def transparency_quarters(session: Session, *, brand: str) -> list[str]:
    """The quarters the transparency page offers: the latest `PREPARED_QUARTERS` with
    complaints and every published quarter, each with the quarter before (shown beside it)."""
    out: set[str] = set()
    quarter = latest_quarter(session, brand=brand)
    for _ in range(PREPARED_QUARTERS if quarter else 0):
        assert quarter is not None  # noqa: S101 -- the loop runs only with a quarter
        out.add(quarter)
        quarter = previous_quarter(quarter)
    for _code, snapshot in snapshots.list_snapshots(session, brand=brand):
        out |= {snapshot.quarter, previous_quarter(snapshot.quarter)}
    return sorted(out, reverse=True)


def _page_views(
    session: Session, settings: Settings, slc: Slice, *, targets: Sequence[str]
) -> list[tuple[str, Callable[[], object]]]:
    """What the overview, drivers (for `targets`) and the trust-index breakdown ask for."""
    return [
        ("overview", partial(overview_figures, session, settings, slc=slc, segment=None)),
        *(
            (f"drivers {t}", partial(driver_rows, session, settings, target=t, slc=slc))
            for t in targets
        ),
        (
            "trust index by segment",
            partial(
                trust.metric_by, session, "trust_index", settings=settings, flt=slc, by=["segment"]
            ),
        ),
    ]


def prepare_brand(session: Session, settings: Settings, *, brand: str) -> None:
    """Ask for everything the default view of each dashboard page asks for, for one brand, for
    its latest `PREPARED_MONTHS` months (the month picker's most likely clicks), for each
    channel it has feedback from over the whole period, the overview per segment (drivers of
    the page's default target only in months and channels) and the complaint figures of the
    transparency page's quarters (`transparency_quarters`); and for the latest
    `COMPLAINT_MONTHS` months what every slice of a month shares (complaint KPIs and handling);
    and the verdicts of done improvement actions.

    A view the data cannot answer (e.g. too few responses for key drivers) is left out: the
    page computes it on request and shows the reason, as without preparation."""
    views = _page_views(session, settings, Slice(brand=brand), targets=list(TARGETS))
    for month in latest_months(session, brand=brand, count=PREPARED_MONTHS):
        views += _page_views(session, settings, month, targets=[DEFAULT_TARGET])
    for channel in brand_channels(session, brand=brand):
        views += _page_views(
            session, settings, Slice(brand=brand, channel=channel), targets=[DEFAULT_TARGET]
        )
    _channels, segments = filter_choices(session, brand=brand)
    for segment in segments:  # the segment picker: each segment's overview (a filter)
        views.append(
            (
                f"overview of segment {segment}",
                partial(
                    overview_figures, session, settings, slc=Slice(brand=brand), segment=segment
                ),
            )
        )
    # any month's first load: what does not depend on channel or segment is ready
    facts = ComplaintFacts(session)
    brand_row = customers.get_brand(session, brand)
    for month in latest_months(session, brand=brand, count=COMPLAINT_MONTHS):
        window = period_window({}, month)  # as the trust index's complaint leaves ask
        views.append((f"complaint KPIs {month.since}", partial(facts.of, brand_row, window)))
        views.append(
            (f"complaint handling {month.since}", partial(handling_figures, session, month))
        )
    for quarter in transparency_quarters(session, brand=brand):
        views.append(
            (f"transparency {quarter}", partial(complaint_figures, session, brand, quarter))
        )
    views.append(
        ("improvements", partial(improvement_rows, session, settings=settings, brand=brand))
    )
    views.append(
        (
            "repurchase",
            partial(repurchase_figures, session, settings, brand=brand, gain=parse_gain(None)),
        )
    )
    for name, view in views:
        try:
            view()
        except TrustPulseError as exc:
            logger.info("%s of %s not prepared: %s", name, brand, exc.message)


def is_prepared(session: Session) -> bool:
    """True when the stored results were prepared at the data's current watermark."""
    return cache.stored_mark(session, _MARK) == cache.watermark(session).digest


def last_prepared(session: Session) -> datetime | None:
    """When the last preparation finished (None: never)."""
    return cache.mark_time(session, _MARK)


def prepare_dashboard(
    factory: sessionmaker[Session], settings: Settings, *, force: bool = False
) -> Prepared:
    """Prepare every brand's default views unless done for this data already (or `force`).

    Each brand is computed in a read-only transaction and written in a short one, so SQLite's
    write lock is held for milliseconds, not for the minutes a large brand may take."""
    started = time.perf_counter()
    with session_scope(factory, read_only=True) as session:
        # first: the results below, and every view left unprepared, read the scores from it
        columns.refresh(session, settings.home)
    with session_scope(factory, read_only=True) as session:
        if not force and is_prepared(session):
            return Prepared([], 0, time.perf_counter() - started, skipped=True)
        brands = [b.code for b in list_brands(session)]
    count, mark = 0, ""
    for code in brands:
        with session_scope(factory, read_only=True) as session, cache.persisting() as results:
            prepare_brand(session, settings, brand=code)
            mark = cache.watermark(session).digest
        with session_scope(factory) as session:
            cache.save_prepared(session, results)
        count += len(results)
    with session_scope(factory) as session:
        if not brands:
            mark = cache.watermark(session).digest
        cache.save_mark(session, _MARK, mark)
        # what this run did not write is no longer asked for, and too old to be served anyway
        cache.forget_stored_before(session, utcnow() - timedelta(seconds=cache.STALE_SECONDS))
    return Prepared(brands, count, time.perf_counter() - started, skipped=False)

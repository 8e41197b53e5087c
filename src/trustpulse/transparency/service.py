"""Publish a quarter's transparency figures as a frozen snapshot; correct it only by a new version.

A snapshot's `figures` JSON is {"figures": [{code, value, unit, quarter, since, until, method}],
"root_causes": [[cause, complaints], ...] or null, "complaints": n}: the values, their period
and how each was computed, as they were when published. Rows are never updated: publishing
again for the same brand and quarter is refused unless it is a correction with a reason, which
adds version n + 1 dated now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustpulse.config import Settings
from trustpulse.config_files import load_config
from trustpulse.customers import service as customers
from trustpulse.customers.models import Brand
from trustpulse.db import utcnow
from trustpulse.errors import ConflictError, InvalidInputError
from trustpulse.metrics.actions import list_actions
from trustpulse.reports.complaints import (
    HandlingStats,
    PromiseStats,
    complaint_handling,
    promise_counts,
)
from trustpulse.reports.service import quarter_span
from trustpulse.reports.transparency import FigureInputs, Period, compute_figures, count_done
from trustpulse.transparency.models import TransparencySnapshot
from trustpulse.transparency.schemas import TransparencyConfig


class SnapshotPublishedError(ConflictError):
    code = "snapshot_published"


def load_transparency_config(settings: Settings, *, brand: str) -> TransparencyConfig:
    """Raises ConfigError (file, line, reason) for a bad transparency.yaml."""
    return load_config("transparency", TransparencyConfig, settings=settings, brand=brand)


def figures_payload(
    session: Session,
    *,
    settings: Settings,
    brand: str,
    quarter: str,
    handling: HandlingStats | None = None,
    promises: PromiseStats | None = None,
    actions: Sequence[Mapping[str, object]] | None = None,
) -> dict[str, Any]:
    """The brand's chosen figures for a quarter, computed now (live).

    A caller that already holds the quarter's complaint handling, promise counts or the brand's
    improvement actions (`metrics.actions.list_actions`) may pass them (the page's cache)."""
    config = load_transparency_config(settings, brand=brand)
    since, until = quarter_span(quarter)
    if handling is None:
        handling = complaint_handling(session, brand=brand, since=since, until=until)
    if actions is None:
        actions = list_actions(session, settings=settings, brand=brand)
    done = count_done(actions, since=since, until=until)
    if promises is None:
        promises = promise_counts(session, brand=brand, since=since, until=until)
    figures = compute_figures(
        config.figures, FigureInputs(handling, done, promises), Period(quarter, since, until)
    )
    causes = [[cause, n] for cause, n in handling.root_causes] if config.root_causes else None
    return {"figures": figures, "root_causes": causes, "complaints": handling.opened}


def _quarter_over(brand: Brand, quarter: str, now: datetime) -> bool:
    _since, until = quarter_span(quarter)
    return now.astimezone(ZoneInfo(brand.timezone)).date() > until


def snapshot_history(session: Session, *, brand: str, quarter: str) -> list[TransparencySnapshot]:
    """Every published version of the brand's quarter, oldest first (empty: not published).

    Raises NotFoundError for a brand the caller may not see, InvalidInputError for a bad quarter.
    """
    brand_row = customers.get_brand(session, brand)
    quarter_span(quarter)
    return list(
        session.scalars(
            select(TransparencySnapshot)
            .where(
                TransparencySnapshot.brand_id == brand_row.id,
                TransparencySnapshot.quarter == quarter,
            )
            .order_by(TransparencySnapshot.version)
        )
    )


def list_snapshots(
    session: Session, *, brand: str | None = None, quarter: str | None = None
) -> list[tuple[str, TransparencySnapshot]]:
    """(brand code, snapshot) for every version, by brand, quarter and version.

    With `brand`, only that brand's (NotFoundError if the caller may not see it).
    """
    brands = [customers.get_brand(session, brand)] if brand else customers.list_brands(session)
    codes = {b.id: b.code for b in brands}
    query = select(TransparencySnapshot).where(TransparencySnapshot.brand_id.in_(list(codes)))
    if quarter is not None:
        quarter_span(quarter)
        query = query.where(TransparencySnapshot.quarter == quarter)
    rows = session.scalars(
        query.order_by(
            TransparencySnapshot.brand_id,
            TransparencySnapshot.quarter,
            TransparencySnapshot.version,
        )
    ).all()
    return sorted(
        ((codes[r.brand_id], r) for r in rows), key=lambda p: (p[0], p[1].quarter, p[1].version)
    )


def publish_snapshot(
    session: Session,
    *,
    settings: Settings,
    brand: str,
    quarter: str,
    correct: bool = False,
    reason: str | None = None,
) -> TransparencySnapshot:
    """Freeze the brand's chosen figures for a finished quarter as version 1, or, with
    `correct=True` and a reason, as the next version (the earlier ones stay as they were).

    Raises SnapshotPublishedError (409) when the quarter is already published and this is not
    a correction; InvalidInputError for an unfinished quarter, a correction without a reason,
    a reason without `correct`, or a correction of a quarter never published.
    """
    brand_row = customers.get_brand(session, brand)
    now = utcnow()
    if not _quarter_over(brand_row, quarter, now):
        raise InvalidInputError(
            f"{quarter} has not ended yet in {brand_row.timezone}: publish it once it is over",
            field="quarter",
        )
    reason = (reason or "").strip() or None
    if reason is not None and not correct:
        raise InvalidInputError("a reason is only recorded with a correction", field="reason")
    if correct and reason is None:
        raise InvalidInputError("a correction needs a reason (shown publicly)", field="reason")
    latest = session.scalar(
        select(func.max(TransparencySnapshot.version)).where(
            TransparencySnapshot.brand_id == brand_row.id, TransparencySnapshot.quarter == quarter
        )
    )
    if latest is not None and not correct:
        raise SnapshotPublishedError(
            f"{quarter} of {brand} is already published (version {latest}); "
            "publish a correction with a reason instead",
            brand=brand,
            quarter=quarter,
            version=latest,
        )
    if latest is None and correct:
        raise InvalidInputError(
            f"{quarter} of {brand} was never published: there is nothing to correct",
            field="correct",
        )
    snapshot = TransparencySnapshot(
        brand_id=brand_row.id,
        quarter=quarter,
        version=(latest or 0) + 1,
        figures=figures_payload(session, settings=settings, brand=brand, quarter=quarter),
        published_at=now,
        reason=reason,
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def snapshot_dict(code: str, snapshot: TransparencySnapshot) -> dict[str, object]:
    """A snapshot as the CLI's --json and the API print it."""
    return {
        "id": snapshot.id,
        "brand": code,
        "quarter": snapshot.quarter,
        "version": snapshot.version,
        "published_at": snapshot.published_at.isoformat(),
        "reason": snapshot.reason,
        "figures": snapshot.figures,
    }


def published_local(snapshot: TransparencySnapshot, brand: Brand) -> datetime:
    """When a snapshot was published, in the brand's time zone."""
    return snapshot.published_at.astimezone(ZoneInfo(brand.timezone))

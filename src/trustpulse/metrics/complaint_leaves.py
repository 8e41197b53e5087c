"""Complaint facts as trust-index leaves: complaint KPIs per slice, from complaints/kpis.py.

The definitions (SLA attainment, broken-promise rate, median first response ...) are the
complaint domain's; this module only picks the complaints opened in a slice's brand(s) and
period and normalises the KPI to points.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from trustpulse.complaints.kpis import complaint_metrics
from trustpulse.complaints.schemas import ComplaintMetrics
from trustpulse.customers.models import Brand
from trustpulse.db import utcnow
from trustpulse.metrics.bootstrap import FloatArray
from trustpulse.metrics.periods import local_midnight_utc
from trustpulse.metrics.query import GroupKey, Slice, brands_in_scope, period_window
from trustpulse.metrics.schemas import Leaf

Window = tuple[date | None, date | None]


class ComplaintFacts:
    """Complaint KPIs of one brand over local-date windows, each computed once per call."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.now = utcnow()  # a running clock past its deadline counts as breached
        self._seen: dict[tuple[str, Window], ComplaintMetrics | None] = {}

    def of(self, brand: Brand, window: Window) -> ComplaintMetrics | None:
        """The brand's complaint KPIs for complaints opened in [start, end) local days."""
        key = (brand.code, window)
        if key not in self._seen:
            start, end = window
            opened = (
                local_midnight_utc(start, brand.timezone) if start else None,
                local_midnight_utc(end, brand.timezone) if end else None,
            )
            from trustpulse.metrics import cache  # noqa: PLC0415 -- cache imports the engine

            # through the result cache: every channel, segment or product slice of a brand sees
            # the same complaint KPIs, so a slice that was never prepared reuses the brand's
            rows = cache.cached(
                self.session,
                ("complaint_kpis", brand.code, window),
                lambda: complaint_metrics(
                    self.session, brand=brand.code, now=self.now, by="all", opened=opened
                ),
            )
            self._seen[key] = rows[0] if rows else None
        return self._seen[key]

    def value(self, brands: Sequence[Brand], window: Window, metric: str) -> float | None:
        """The metric's mean over the brands that have a value (None: none has)."""
        values = []
        for brand in brands:
            row = self.of(brand, window)
            value = getattr(row, metric) if row is not None else None
            if value is not None:
                values.append(float(value))
        return float(np.mean(values)) if values else None


def complaint_points(
    session: Session,
    *,
    leaves: Sequence[Leaf],
    positions: Sequence[int],
    by: Sequence[str],
    flt: Slice,
    groups: Sequence[GroupKey],
) -> dict[GroupKey, FloatArray]:
    """{group: points of each complaint leaf (leaves[positions]), NaN where no complaint counts}.

    A group sees the complaints of its brand (or of every brand in scope: the mean of their
    values) opened in its period (or --since/--until; else ever). Channel, product, region and
    segment slices see their brand's value: complaints are not split by those dimensions here.
    """
    if not positions:
        return {key: np.full(0, np.nan) for key in groups}
    brands = brands_in_scope(session, flt)
    facts = ComplaintFacts(session)
    out: dict[GroupKey, FloatArray] = {}
    for key in groups:
        group = dict(zip(by, key, strict=True))
        code = group.get("brand")
        chosen = [b for b in brands if b.code == code] if code else brands
        window = period_window(group, flt)
        points = np.full(len(positions), np.nan)
        for j, i in enumerate(positions):
            value = facts.value(chosen, window, leaves[i].metric)
            if value is not None:
                points[j] = leaves[i].to_points(value)
        out[key] = points
    return out

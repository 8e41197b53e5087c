"""HTTP routes for metrics: GET /metrics/{metric} answers what `trustpulse metrics` prints."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from trustpulse.config import Settings
from trustpulse.customers.access import OptionalBrand
from trustpulse.db import DbSession
from trustpulse.metrics import engine
from trustpulse.metrics.drivers import key_drivers
from trustpulse.metrics.output import clean_rows
from trustpulse.metrics.query import Slice, parse_by
from trustpulse.metrics.response_time import response_time_effect
from trustpulse.metrics.tree import indicator_tree

router = APIRouter(prefix="/metrics", tags=["metrics"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/drivers/{target}")
def drivers(  # noqa: PLR0917 -- FastAPI reads query parameters from the signature
    target: str,
    request: Request,
    session: DbSession,
    brand: OptionalBrand,
    channel: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, object]]:
    """Relative weights of the touchpoint scores on `target` (e.g. nps), with intervals."""
    flt = Slice(brand=brand, channel=channel, since=since, until=until)
    result = key_drivers(session, target=target, flt=flt, settings=_settings(request))
    return clean_rows(result)


@router.get("/response-time")
def response_time(  # noqa: PLR0917 -- FastAPI reads query parameters from the signature
    request: Request,
    session: DbSession,
    brand: OptionalBrand,
    by: Annotated[str | None, Query(description="brand, or nothing (pooled)")] = None,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, object]]:
    """CSAT points per hour of first-response time, with its 95 % interval (the same JSON array
    as `trustpulse response-time --json`)."""
    flt = Slice(brand=brand, since=since, until=until)
    rows = response_time_effect(session, settings=_settings(request), by=parse_by(by), flt=flt)
    return clean_rows(rows)


@router.get("/tree")
def tree(
    request: Request,
    session: DbSession,
    brand: OptionalBrand,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, object]]:
    """The indicator tree: every node's raw value, n, points and its children's weighted score
    (the same JSON array as `trustpulse metrics tree --json`)."""
    rows = indicator_tree(
        session, settings=_settings(request), brand=brand, since=since, until=until
    )
    return clean_rows(rows)


@router.get("/{metric}")
def metric(  # noqa: PLR0917 -- FastAPI reads query parameters from the signature
    metric: str,
    request: Request,
    session: DbSession,
    brand: OptionalBrand,
    by: Annotated[str | None, Query(description="dimensions, e.g. brand,month")] = None,
    channel: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, object]]:
    """The same JSON array as `trustpulse metrics METRIC --json`."""
    dims = parse_by(by)
    flt = Slice(brand=brand, channel=channel, since=since, until=until)
    rows = engine.compute_metric(session, metric, settings=_settings(request), by=dims, flt=flt)
    return clean_rows(rows)

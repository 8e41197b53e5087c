"""`trustpulse actions add|list|verify`, `trustpulse roi` and `trustpulse investments add`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console

from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.metrics import actions as service
from trustpulse.metrics.output import to_json
from trustpulse.metrics.roi import add_investment, trust_roi
from trustpulse.runtime import open_runtime

console = Console()
actions_app = typer.Typer(help="Improvement actions and their verification.", no_args_is_help=True)
investments_app = typer.Typer(help="The ledger of trust investments.", no_args_is_help=True)

BrandOpt = Annotated[str, typer.Option("--brand", help="brand code")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 -- a calendar date
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=name) from exc


def _window(value: str, name: str) -> tuple[date, date]:
    first, _, last = value.partition(":")
    start, end = _day(first, name), _day(last, name)
    if start is None or end is None:
        raise typer.BadParameter("expected FIRST:LAST dates", param_hint=name)
    return start, end


def _emit(rows: dict[str, object] | list[dict[str, object]], *, as_json: bool) -> None:
    if as_json:
        typer.echo(to_json(rows if isinstance(rows, list) else [rows]))
    else:
        console.print(rows)


@actions_app.command("add")
def add(  # noqa: PLR0917 -- Typer reads options from the signature
    brand: BrandOpt,
    problem: Annotated[str, typer.Option("--problem")],
    metric: Annotated[str, typer.Option("--metric", help="linked metric or dimension")],
    impact: Annotated[float, typer.Option("--impact", help="0-10")],
    cost: Annotated[float, typer.Option("--cost")],
    gain: Annotated[float, typer.Option("--gain", help="expected points of the metric")],
    root_cause: Annotated[str | None, typer.Option("--root-cause")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    start: Annotated[str | None, typer.Option("--start", help="YYYY-MM-DD")] = None,
    due: Annotated[str | None, typer.Option("--due", help="YYYY-MM-DD")] = None,
    status: Annotated[str, typer.Option("--status")] = "open",
    as_json: AsJson = False,
) -> None:
    """Record an improvement action."""
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        action = service.create_action(
            session,
            brand=brand,
            problem=problem,
            metric=metric,
            impact=impact,
            cost=cost,
            expected_gain=gain,
            root_cause=root_cause,
            owner=owner,
            start_date=_day(start, "--start"),
            due_date=_day(due, "--due"),
            status=status,
        )
        action_id = action.id
    _emit({"id": action_id}, as_json=as_json)


@actions_app.command("list")
def list_(
    brand: Annotated[str | None, typer.Option("--brand")] = None, as_json: AsJson = False
) -> None:
    """Actions by priority = impact x cost-effectiveness (0-1); impact > 7 is "act now"."""
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        rows = service.list_actions(session, settings=settings, brand=brand)
    _emit(rows, as_json=as_json)


@actions_app.command("verify")
def verify(
    action_id: Annotated[int, typer.Argument(help="action id")],
    before: Annotated[str, typer.Option("--before", help="FIRST:LAST local dates")],
    after: Annotated[str, typer.Option("--after", help="FIRST:LAST local dates")],
    lower_is_better: Annotated[bool, typer.Option("--lower-is-better")] = False,
    as_json: AsJson = False,
) -> None:
    """Compare the action's metric before vs after: effect, interval, p-value, verdict."""
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        result = service.verify_action(
            session,
            action_id,
            settings=settings,
            before=_window(before, "--before"),
            after=_window(after, "--after"),
            lower_is_better=lower_is_better,
        )
    _emit(result, as_json=as_json)


def roi(
    brand: BrandOpt,
    gain: Annotated[float, typer.Option("--gain", help="trust points to model")] = 5.0,
    as_json: AsJson = False,
) -> None:
    """Trust vs repurchase and spend; what `--gain` more trust points are worth (with ROI)."""
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        report = trust_roi(session, settings=settings, brand=brand, trust_gain=gain)
    _emit(report, as_json=as_json)


@investments_app.command("add")
def invest(  # noqa: PLR0917 -- Typer reads options from the signature
    brand: BrandOpt,
    category: Annotated[str, typer.Option("--category", help="quality_control, training ...")],
    period: Annotated[str, typer.Option("--period", help="2026-03, 2026Q1 ...")],
    cost: Annotated[float, typer.Option("--cost")],
    gain: Annotated[float, typer.Option("--gain", help="expected trust points")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    as_json: AsJson = False,
) -> None:
    """Record a trust investment (its ROI appears in `trustpulse roi`)."""
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        row = add_investment(
            session,
            brand=brand,
            category=category,
            period=period,
            cost=cost,
            expected_trust_gain=gain,
            note=note,
        )
        row_id = row.id
    _emit({"id": row_id}, as_json=as_json)

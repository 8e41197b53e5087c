"""`trustpulse metrics METRIC`, `trustpulse trust-index`, `trustpulse drivers` and `trustpulse
response-time`: slices of trust metrics and what drives them, as table/CSV/JSON.

`register(root)` adds them as commands of the root (`trustpulse metrics nps ...` needs a
command, not a group: a Typer group would read `nps` as a subcommand name). `app` holds the
same two commands for running this module's CLI on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.metrics import engine
from trustpulse.metrics.benchmarks import import_benchmarks, list_benchmarks
from trustpulse.metrics.drivers import key_drivers
from trustpulse.metrics.output import fmt, to_csv, to_json, to_table
from trustpulse.metrics.query import Slice, parse_by
from trustpulse.metrics.response_time import UNIT, response_time_effect
from trustpulse.metrics.rollups import build_rollups
from trustpulse.metrics.tree import indicator_tree
from trustpulse.runtime import open_runtime

console = Console()
app = typer.Typer(help="Trust metrics by slice and key drivers.", no_args_is_help=True)

Brand = Annotated[str | None, typer.Option("--brand", help="brand code")]
ChannelOpt = Annotated[str | None, typer.Option("--channel", help="channel code")]
Since = Annotated[str | None, typer.Option("--since", help="first day, inclusive (brand zone)")]
Until = Annotated[str | None, typer.Option("--until", help="last day, inclusive (brand zone)")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON array (same as --format json)")]


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", help="table, csv or json")]


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 -- a calendar date
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=name) from exc


def _print(rows: Sequence[dict[str, object]], fmt: Format, *, title: str) -> None:
    if fmt is Format.json:
        typer.echo(to_json(rows))
    elif fmt is Format.csv:
        typer.echo(to_csv(rows), nl=False)
    else:
        console.print(to_table(rows, title=title))


def metrics(  # noqa: PLR0917 -- Typer reads options from the signature
    metric: Annotated[
        str,
        typer.Argument(
            help="nps, csat, ces, csi or trust_index; `rollup` builds rollups, `tree` the tree"
        ),
    ],
    by: Annotated[
        str | None, typer.Option("--by", help="brand,channel,...,day,week,month,quarter")
    ] = None,
    brand: Brand = None,
    channel: ChannelOpt = None,
    since: Since = None,
    until: Until = None,
    as_json: AsJson = False,
    fmt: FormatOpt = Format.table,
    source: Annotated[
        str, typer.Option("--source", help="raw, rollup or auto (rollups where exact)")
    ] = "raw",
    full: Annotated[bool, typer.Option("--full", help="with `rollup`: rebuild every day")] = False,
    prepare: Annotated[
        bool,
        typer.Option(
            "--prepare/--no-prepare",
            help="with `rollup`: then prepare the dashboard's trust index and drivers",
        ),
    ] = True,
    args: Annotated[
        list[str] | None, typer.Argument(help="with `benchmarks`: import FILE | list")
    ] = None,
) -> None:
    """One metric per slice with n, value and its 95 % interval (NPS and indices in points).

    `trustpulse metrics rollup [--full] [--no-prepare]` instead (re)builds the daily rollups,
    then prepares the dashboard's expensive results (web/prepare.py);
    `trustpulse metrics tree [--brand B] [--since] [--until] [--json]` prints the indicator tree.
    """
    if metric == "rollup":
        _rollup(full=full, prepare=prepare, as_json=as_json)
        return
    if metric == "benchmarks":
        _benchmarks(args or [], as_json=as_json)
        return
    if metric == "tree":
        _tree(brand, _date(since, "--since"), _date(until, "--until"), as_json=as_json)
        return
    flt = Slice(
        brand=brand,
        channel=channel,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
    )
    dims = parse_by(by)
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        rows = engine.compute_metric(
            session, metric, settings=settings, by=dims, flt=flt, source=source
        )
    _print(rows, Format.json if as_json else fmt, title=f"{metric} ({engine.UNITS[metric]})")


def trust_index(  # noqa: PLR0917 -- Typer reads options from the signature
    by: Annotated[
        str | None, typer.Option("--by", help="brand,channel,...,day,week,month,quarter")
    ] = None,
    brand: Brand = None,
    channel: ChannelOpt = None,
    since: Since = None,
    until: Until = None,
    as_json: AsJson = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The trust index per slice (points 0-100) with its 95 % interval and dimension scores:
    the same rows as `trustpulse metrics trust_index` (issue #4 names both)."""
    metrics(
        "trust_index",
        by=by,
        brand=brand,
        channel=channel,
        since=since,
        until=until,
        as_json=as_json,
        fmt=fmt,
    )


def _tree(brand: str | None, since: date | None, until: date | None, *, as_json: bool) -> None:
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        rows = indicator_tree(session, settings=settings, brand=brand, since=since, until=until)
    if as_json:
        typer.echo(to_json(rows))
        return
    from rich.table import Table  # noqa: PLC0415 -- only the table view needs it

    table = Table(title="indicator tree (points 0-100)")
    for column in ("level", "indicator", "metric", "value", "unit", "n", "points", "children"):
        table.add_column(column)
    for row in rows:
        level = int(str(row["level"]))
        table.add_row(
            str(level),
            "  " * (level - 1) + str(row["name"]),
            str(row["metric"] or "—"),
            fmt(row["value"]),
            str(row["unit"] or ""),
            "—" if row["n"] is None else str(row["n"]),
            fmt(row["points"]),
            fmt(row.get("children_score")),
        )
    console.print(table)


def _benchmarks(args: Sequence[str], *, as_json: bool) -> None:
    if not args or args[0] not in {"import", "list"} or (args[0] == "import") != (len(args) == 2):
        raise typer.BadParameter("use `benchmarks import FILE` or `benchmarks list`")
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        if args[0] == "import":
            rows = [import_benchmarks(session, Path(args[1]))]
        else:
            rows = list_benchmarks(session)
    if as_json:
        typer.echo(to_json(rows))
        return
    for row in rows:
        console.print(row)


def _rollup(*, full: bool, prepare: bool, as_json: bool) -> None:
    from trustpulse.web.prepare import prepare_dashboard  # noqa: PLC0415 -- light CLI start-up

    settings = get_settings()
    with open_runtime(settings) as runtime:
        with session_scope(runtime.session_factory) as session:
            built = build_rollups(session, full=full)
        prepared = prepare_dashboard(runtime.session_factory, settings) if prepare else None
    summary: dict[str, object] = {
        "full": built.full,
        "brands": built.brands,
        "days": built.days,
        "rows": built.rows,
        "prepared_results": None if prepared is None else prepared.results,
        "prepare_seconds": None if prepared is None else round(prepared.seconds, 1),
    }
    if as_json:
        typer.echo(to_json([summary]))
        return
    kind = "full" if built.full else "incremental"
    console.print(f"rollups ({kind}): {built.days} brand-days rebuilt, {built.rows} rows written")
    if prepared is not None:
        done = "already prepared" if prepared.skipped else f"{prepared.results} results"
        console.print(f"dashboard results: {done} ({prepared.seconds:.1f} s)")


def drivers(  # noqa: PLR0917 -- Typer reads options from the signature
    target: Annotated[str, typer.Option("--target", help="the score to explain")] = "nps",
    brand: Brand = None,
    channel: ChannelOpt = None,
    since: Since = None,
    until: Until = None,
    resamples: Annotated[int, typer.Option("--resamples", min=0, help="bootstrap resamples")] = 200,
    as_json: AsJson = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Relative weights (Johnson 2000) of the touchpoint scores on the target, with quadrants."""
    flt = Slice(
        brand=brand,
        channel=channel,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
    )
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        rows = key_drivers(session, target=target, flt=flt, settings=settings, resamples=resamples)
    fmt = Format.json if as_json else fmt
    if fmt is Format.table:
        _print_drivers(rows)
    else:
        _print(rows, fmt, title=f"drivers of {target}")


def response_time(  # noqa: PLR0917 -- Typer reads options from the signature
    by: Annotated[str | None, typer.Option("--by", help="brand (or nothing: pooled)")] = None,
    brand: Brand = None,
    since: Since = None,
    until: Until = None,
    as_json: AsJson = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """How first-response time moves follow-up CSAT: CSAT points per hour of delay (OLS slope,
    robust 95 % interval), over complaints opened in --since/--until."""
    flt = Slice(brand=brand, since=_date(since, "--since"), until=_date(until, "--until"))
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        rows = response_time_effect(session, settings=settings, by=parse_by(by), flt=flt)
    _print(rows, Format.json if as_json else fmt, title=f"response-time effect ({UNIT})")


def _print_drivers(rows: Sequence[dict[str, object]]) -> None:
    from rich.table import Table  # noqa: PLC0415 -- only the table view needs it

    table = Table(title="key drivers (share of explained variance)")
    for column in ("rank", "driver", "importance", "95 % CI", "performance", "quadrant"):
        table.add_column(column)
    for row in rows:
        low, high = row.get("ci_low"), row.get("ci_high")
        interval = (
            f"{low:.1%} … {high:.1%}" if isinstance(low, float) and isinstance(high, float) else "—"
        )
        importance = row["importance"]
        performance = row["performance"]
        table.add_row(
            str(row["rank"]),
            str(row["driver"]),
            f"{importance:.1%}" if isinstance(importance, float) else "—",
            interval,
            f"{performance:.2f}" if isinstance(performance, float) else "—",
            str(row["quadrant"]),
        )
    console.print(table)


def register(root: typer.Typer) -> None:
    # lazy: `trustpulse --help` stays fast
    from trustpulse.metrics.actions_cli import actions_app, investments_app, roi  # noqa: PLC0415
    from trustpulse.metrics.segments_cli import app as segments_app  # noqa: PLC0415

    root.command("metrics")(metrics)
    root.command("trust-index")(trust_index)
    root.command("drivers")(drivers)
    root.command("response-time")(response_time)
    root.command("roi")(roi)
    root.add_typer(segments_app, name="segments")
    root.add_typer(actions_app, name="actions")
    root.add_typer(investments_app, name="investments")


register(app)

"""`trustpulse transparency publish|list`: freeze a quarter's public figures; list snapshots."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.metrics.output import to_json
from trustpulse.runtime import open_runtime
from trustpulse.transparency import service

console = Console()
app = typer.Typer(help="Published transparency snapshots.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]


@app.command("publish")
def publish(
    brand: Annotated[str, typer.Option("--brand", help="brand code")],
    quarter: Annotated[str, typer.Option("--quarter", help="e.g. 2026Q3 (brand time zone)")],
    correct: Annotated[
        bool, typer.Option("--correct", help="publish a new version of a published quarter")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="why the correction (shown publicly)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Freeze the brand's chosen figures (transparency.yaml) for a finished quarter."""
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        snapshot = service.publish_snapshot(
            session,
            settings=settings,
            brand=brand,
            quarter=quarter,
            correct=correct,
            reason=reason,
        )
        row = service.snapshot_dict(brand, snapshot)
    if as_json:
        typer.echo(to_json([row]))
    else:
        console.print(
            f"published {quarter} of {brand}, version {row['version']}, at {row['published_at']}",
            highlight=False,
        )


@app.command("list")
def list_(
    brand: Annotated[str | None, typer.Option("--brand", help="brand code")] = None,
    quarter: Annotated[str | None, typer.Option("--quarter")] = None,
    as_json: AsJson = False,
) -> None:
    """Every published version, by brand, quarter and version."""
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        rows = [
            service.snapshot_dict(code, s)
            for code, s in service.list_snapshots(session, brand=brand, quarter=quarter)
        ]
    if as_json:
        typer.echo(to_json(rows))
        return
    table = Table("brand", "quarter", "version", "published at", "reason")
    for row in rows:
        table.add_row(
            str(row["brand"]),
            str(row["quarter"]),
            str(row["version"]),
            str(row["published_at"]),
            str(row["reason"] or ""),
        )
    console.print(table)

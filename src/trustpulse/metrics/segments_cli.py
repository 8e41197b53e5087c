"""`trustpulse segments build|show`: trust types and value tiers per customer."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.metrics.output import to_json
from trustpulse.metrics.segments import build_segments, segment_counts
from trustpulse.runtime import open_runtime

console = Console()
app = typer.Typer(help="Customer segments: trust types and value tiers.", no_args_is_help=True)

BrandOpt = Annotated[str | None, typer.Option("--brand", help="brand code (default: all)")]
AsJson = Annotated[bool, typer.Option("--json", help="print a JSON array")]


def _print(rows: list[dict[str, object]], *, as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(to_json(rows))
        return
    table = Table(title=title)
    for column in ("brand", "trust_type", "value_tier", "customers"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("brand", "trust_type", "value_tier", "customers")))
    console.print(table)


@app.command("build")
def build(brand: BrandOpt = None, as_json: AsJson = False) -> None:
    """Recompute every customer's trust type and value tier (rules in segments.yaml)."""
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        rows = build_segments(session, settings=settings, brand=brand)
    _print(rows, as_json=as_json, title="segments built")


@app.command("show")
def show(brand: BrandOpt = None, as_json: AsJson = False) -> None:
    """Customers per brand, trust type and value tier from the last build."""
    settings = get_settings()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        rows = segment_counts(session, brand=brand)
    _print(rows, as_json=as_json, title="segments")

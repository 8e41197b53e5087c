"""`trustpulse report quarterly --quarter 2026Q3 --brand X --lang zh-CN [--out DIR]`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.reports.render import render_html, render_pdf
from trustpulse.reports.service import quarterly_report
from trustpulse.runtime import open_runtime
from trustpulse.web.i18n import parse_locale

console = Console()
app = typer.Typer(help="Reports: the quarterly transparency report.", no_args_is_help=True)


@app.callback()
def reports() -> None:
    """Reports for customers and management (a group, so `report quarterly` keeps its name)."""


@app.command("quarterly")
def quarterly(
    quarter: Annotated[str, typer.Option("--quarter", help="e.g. 2026Q3 (brand time zone)")],
    brand: Annotated[str, typer.Option("--brand", help="brand code")],
    lang: Annotated[str, typer.Option("--lang", help="zh-CN or en")] = "zh-CN",
    out: Annotated[Path, typer.Option("--out", help="output folder")] = Path(),
) -> None:
    """Write <brand>-<quarter>-<lang>.html and .pdf: trust metrics with intervals and change vs
    last quarter, complaint handling volumes and times, charts."""
    locale = parse_locale(lang)
    if locale is None:
        raise typer.BadParameter(f"{lang!r}: choose zh-CN or en", param_hint="--lang")
    settings = get_settings()
    started = time.perf_counter()
    with open_runtime(settings) as runtime, session_scope(runtime.session_factory) as session:
        report = quarterly_report(session, brand=brand, quarter=quarter, settings=settings)
        html = render_html(report, locale=locale, settings=settings)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{brand}-{quarter}-{locale}"
    stem.with_suffix(".html").write_text(html, encoding="utf-8")
    stem.with_suffix(".pdf").write_bytes(render_pdf(html))
    console.print(
        f"wrote {stem.with_suffix('.html')} and {stem.with_suffix('.pdf')} "
        f"in {time.perf_counter() - started:.1f} s"
    )

"""Typer root: mounts each domain's commands and maps user errors to exit codes."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from trustpulse.errors import TrustPulseError

app = typer.Typer(
    name="trustpulse",
    help="TrustPulse: measure customer trust and build it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)
_mounted: list[bool] = []  # _mount() is called by main() and by tests; register once


def _mount() -> None:
    # Imported here so `trustpulse --help` stays fast and import cycles stay impossible.
    from trustpulse.complaints.cli import app as complaints_app  # noqa: PLC0415
    from trustpulse.config_cli import register as register_config  # noqa: PLC0415
    from trustpulse.demo.cli import register as register_demo  # noqa: PLC0415
    from trustpulse.imports.cli import register as register_import  # noqa: PLC0415
    from trustpulse.jobs.worker import register as register_worker  # noqa: PLC0415
    from trustpulse.metrics.cli import register as register_metrics  # noqa: PLC0415
    from trustpulse.reports.cli import app as reports_app  # noqa: PLC0415
    from trustpulse.system_cli import register as register_system  # noqa: PLC0415
    from trustpulse.text.cli import app as text_app  # noqa: PLC0415
    from trustpulse.transparency.cli import app as transparency_app  # noqa: PLC0415

    if _mounted:
        return
    _mounted.append(True)
    register_import(app)
    register_demo(app)
    register_system(app)
    register_config(app)
    register_worker(app)
    register_metrics(app)  # `metrics` and `drivers` are commands: `metrics nps` takes an argument
    app.add_typer(complaints_app, name="complaints", help="Complaint cases.")
    app.add_typer(text_app, name="text", help="Text analytics: sentiment, PII, models.")
    app.add_typer(reports_app, name="report", help="Quarterly transparency reports.")
    app.add_typer(transparency_app, name="transparency", help="Published transparency figures.")


def main() -> None:
    _mount()
    try:
        app()
    except TrustPulseError as exc:
        # A user error: one line, no traceback.
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        sys.exit(1)

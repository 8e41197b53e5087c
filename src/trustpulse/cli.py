"""Typer root: mounts each domain's commands and maps user errors to exit codes.

Domain commands are imported only when they run: each domain's module pulls in its own stack
(scikit-learn, pandas, FastAPI ...), and importing them all made `trustpulse --help` and every
light command wait 3-10 s. `COMMANDS` lists each top-level command with the module that
defines it and the one-line help `--help` shows, so listing them imports nothing
(tests/test_cli.py checks the table against the commands themselves).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from trustpulse.errors import TrustPulseError


@dataclass(frozen=True)
class Entry:
    module: str
    help: str
    app: str | None = None  # a Typer sub-app's attribute; None: the module's register(root)


COMMANDS: dict[str, Entry] = {
    "import": Entry(
        "trustpulse.imports.cli",
        "Import feedback, complaints or KPI measures from a CSV, XLSX or JSON Lines file.",
    ),
    "demo": Entry(
        "trustpulse.demo.cli",
        "Build the demo company (2 brands, 18 months) in the database and serve the dashboard.",
    ),
    "serve": Entry("trustpulse.system_cli", "Serve the dashboard at / and the API under /api."),
    "stats": Entry("trustpulse.system_cli", "Row counts per entity."),
    "migrate": Entry(
        "trustpulse.system_cli", "Bring the database schema up to date (alembic upgrade head)."
    ),
    "worker": Entry(
        "trustpulse.jobs.worker", "Process background jobs from Redis (server mode only)."
    ),
    "metrics": Entry(
        "trustpulse.metrics.cli",
        "One metric per slice with n, value and its 95 % interval (NPS and indices in points).",
    ),
    "trust-index": Entry(
        "trustpulse.metrics.cli",
        "The trust index per slice (points 0-100) with its 95 % interval and dimension scores: "
        "the same rows as `trustpulse metrics trust_index` (issue #4 names both).",
    ),
    "drivers": Entry(
        "trustpulse.metrics.cli",
        "Relative weights (Johnson 2000) of the touchpoint scores on the target, with quadrants.",
    ),
    "response-time": Entry(
        "trustpulse.metrics.cli",
        "How first-response time moves follow-up CSAT: CSAT points per hour of delay (OLS "
        "slope, robust 95 % interval), over complaints opened in --since/--until.",
    ),
    "roi": Entry(
        "trustpulse.metrics.cli",
        "Trust vs repurchase and spend; what `--gain` more trust points are worth (with ROI).",
    ),
    "config": Entry("trustpulse.config_cli", "YAML configuration."),
    "segments": Entry("trustpulse.metrics.cli", "Customer segments: trust types and value tiers."),
    "actions": Entry("trustpulse.metrics.cli", "Improvement actions and their verification."),
    "investments": Entry("trustpulse.metrics.cli", "The ledger of trust investments."),
    "complaints": Entry("trustpulse.complaints.cli", "Complaint cases.", app="app"),
    "text": Entry("trustpulse.text.cli", "Text analytics: sentiment, PII, models.", app="app"),
    "report": Entry("trustpulse.reports.cli", "Quarterly transparency reports.", app="app"),
    "transparency": Entry(
        "trustpulse.transparency.cli", "Published transparency figures.", app="app"
    ),
}


def load_commands(module: str) -> dict[str, Any]:
    """{name: click command} of every top-level command `module` defines (imports it)."""
    imported = importlib.import_module(module)
    root = typer.Typer()
    for name, entry in COMMANDS.items():
        if entry.module == module and entry.app is not None:
            root.add_typer(getattr(imported, entry.app), name=name, help=entry.help)
    if any(e.module == module and e.app is None for e in COMMANDS.values()):
        imported.register(root)
    group = typer.main.get_group(root)
    return dict(group.commands)


class LazyGroup(TyperGroup):
    """Lists `COMMANDS` from the table; imports a command's module when it is run."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(n for n in super().list_commands(ctx) if n not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:  # listed by --help, not loaded: a stub
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name].help)
        return command

    def resolve_command(self, ctx: Any, args: Sequence[str]) -> Any:
        name = args[0] if args else None
        if name in COMMANDS and name not in self.commands:
            for loaded, command in load_commands(COMMANDS[name].module).items():
                self.commands.setdefault(loaded, command)
        return super().resolve_command(ctx, list(args))


app = typer.Typer(
    name="trustpulse",
    help="TrustPulse: measure customer trust and build it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)
err_console = Console(stderr=True)


@app.callback()
def _root() -> None:
    # Typer builds a group only for an app with a command or a callback; the commands come later
    pass


_mounted: list[bool] = []  # _mount() is called by tests; register once


def _mount() -> None:
    """Mount every command on `app` now (tests invoke `app` directly with CliRunner)."""
    if _mounted:
        return
    _mounted.append(True)
    for module in dict.fromkeys(e.module for e in COMMANDS.values()):
        imported = importlib.import_module(module)
        for name, entry in COMMANDS.items():
            if entry.module == module and entry.app is not None:
                app.add_typer(getattr(imported, entry.app), name=name, help=entry.help)
        if any(e.module == module and e.app is None for e in COMMANDS.values()):
            imported.register(app)


def main() -> None:
    try:
        app()
    except TrustPulseError as exc:
        # A user error: one line, no traceback.
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        sys.exit(1)

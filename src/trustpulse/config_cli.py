"""`trustpulse config check`: validate every YAML configuration before the services read it."""

from __future__ import annotations

import typer
from rich.console import Console

from trustpulse.config_files import KNOWN_CONFIGS, brands_with_overrides, check_all
from trustpulse.runtime import get_runtime

config_app = typer.Typer(help="YAML configuration.", no_args_is_help=True)
console = Console()


@config_app.command("check")
def check() -> None:
    """Validate all known configuration files (defaults and per-brand overrides)."""
    settings = get_runtime().settings
    problems = check_all(settings)
    for problem in problems:
        console.print(f"[red]error:[/red] {problem.message}", highlight=False)
    if problems:
        raise typer.Exit(code=1)
    brands = brands_with_overrides(settings)
    console.print(
        f"[green]ok:[/green] {len(KNOWN_CONFIGS)} configuration(s) valid in "
        f"{settings.effective_config_dir}" + (f" (brands: {', '.join(brands)})" if brands else ""),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")

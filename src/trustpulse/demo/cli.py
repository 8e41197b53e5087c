"""The `trustpulse demo` command: build the demo company's database, then serve the dashboard."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from trustpulse.config import get_settings
from trustpulse.demo.model import DemoConfig
from trustpulse.demo.service import DemoBuild, build_demo
from trustpulse.runtime import build_runtime, set_runtime

console = Console()


def demo(  # noqa: PLR0917 -- Typer reads options from the signature
    seed: int = typer.Option(42, help="Random seed: the same seed builds the same company."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the dashboard after."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    scale: float = typer.Option(1.0, min=0.001, max=10.0, help="Volume multiplier (tests: 0.03)."),
    analyse_text: bool = typer.Option(
        True,
        "--analyse-text/--no-analyse-text",
        help="Before serving, run the text pipeline (PII, sentiment, aspects) over new texts.",
    ),
) -> None:
    """Build the demo company (2 brands, 18 months) in the database and serve the dashboard."""
    settings = get_settings()
    runtime = build_runtime(settings)
    set_runtime(runtime)
    config = DemoConfig(seed=seed, scale=scale)
    console.print(f"database: {runtime.engine.url.render_as_string(hide_password=True)}")
    with console.status("starting", spinner="dots") as status:

        def on_stage(text: str) -> None:
            status.update(f"{text} …")

        def on_rows(table: str, rows: int) -> None:
            console.print(f"  [green]✓[/green] {table:<18} {rows:>10,} rows")

        result = build_demo(
            runtime.engine,
            truth_dir=settings.home,
            config=config,
            on_stage=on_stage,
            progress=on_rows,
            settings=settings,
        )
    _report(result)
    if not serve:
        runtime.engine.dispose()  # the command ends here: close pooled connections
        return
    import uvicorn  # noqa: PLC0415 -- only needed when serving

    from trustpulse.app import create_app  # noqa: PLC0415 -- keeps CLI start-up light

    if analyse_text:
        # About a minute for the demo's 120k texts on first start, nothing on reruns. Run
        # before serving: on SQLite a long analysis beside the scheduler's jobs would make
        # them wait for the write lock.
        from trustpulse.text.cli import analyze  # noqa: PLC0415

        analyze(brand=None, since=None, enqueue=False, batch_size=None)
    console.print(f"TrustPulse demo on http://{host}:{port}")
    app = create_app(settings, engine=runtime.engine, serve_jobs=True)
    uvicorn.run(app, host=host, port=port)


def _report(result: DemoBuild) -> None:
    config = result.config
    if result.skipped:
        console.print(
            f"demo already loaded with seed {config.seed} (scale {config.scale}): "
            "skipped regeneration"
        )
        console.print(f"truth: {result.truth_path}")
        return
    table = Table(title=f"demo company, seed {config.seed}, scale {config.scale}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in result.counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        f"generated in {result.generate_seconds:.1f} s, written in {result.load_seconds:.1f} s "
        f"(total {result.total_seconds:.1f} s)"
    )
    console.print(f"truth: {result.truth_path}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

"""Commands about the installation itself: serve, stats, migrate."""

from __future__ import annotations

import json
from typing import Any

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from trustpulse import migrations
from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.feedback.stats import count_entities
from trustpulse.runtime import build_runtime, open_runtime
from trustpulse.server import reuseport_supported, serve_processes

console = Console()


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes (PostgreSQL; SQLite allows one writer at a time)."
    ),
) -> None:
    """Serve the dashboard at / and the API under /api."""
    from trustpulse.app import create_app  # noqa: PLC0415 -- keeps CLI start-up light

    settings = get_settings()
    runtime = build_runtime(settings)
    migrations.upgrade(runtime.engine, "head")
    console.print(f"TrustPulse on http://{host}:{port}  (database: {runtime.engine.url!r})")
    if settings.security_enabled:
        console.print("login required: TRUSTPULSE_DASHBOARD_PASSWORD is set")
    if workers == 1:
        app = create_app(settings, engine=runtime.engine, serve_jobs=True)
        uvicorn.run(app, host=host, port=port)
        return
    runtime.engine.dispose()  # each worker process builds its own engine and pool
    if reuseport_supported():
        serve_processes(host, port, workers)  # a socket per process: see trustpulse/server.py
        return
    uvicorn.run(
        "trustpulse.system_cli:worker_app", factory=True, host=host, port=port, workers=workers
    )


def worker_app() -> Any:
    """The app of one `serve --workers N` process (uvicorn imports it by name)."""
    from trustpulse.app import create_app  # noqa: PLC0415 -- keeps CLI start-up light

    return create_app(get_settings(), serve_jobs=True)


def stats(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Row counts per entity."""
    with open_runtime(get_settings()) as runtime:
        migrations.upgrade(runtime.engine, "head")
        with session_scope(runtime.session_factory) as session:
            counts = count_entities(session)
    if as_json:
        typer.echo(json.dumps(counts))
        return
    table = Table("entity", "rows")
    for key, value in counts.items():
        if isinstance(value, dict):
            for sub, n in value.items():
                table.add_row(f"{key}.{sub}", f"{n:,}")
        else:
            table.add_row(key, f"{value:,}")
    console.print(table)


def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    with open_runtime(get_settings()) as runtime:
        migrations.upgrade(runtime.engine, "head")
    console.print("schema is at head")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(stats)
    app.command()(migrate)

"""The `trustpulse import` command: import a CSV/XLSX/JSONL file of one kind."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from trustpulse.imports.service import ImportSummary, run_import
from trustpulse.runtime import get_runtime


class Kind(StrEnum):
    survey = "survey"
    review = "review"
    social = "social"
    complaint = "complaint"
    kpi = "kpi"


FileArg = Annotated[Path, typer.Argument(help="CSV, XLSX or JSON Lines file.")]
BrandOpt = Annotated[str | None, typer.Option(help="Brand code (default: default).")]
MappingOpt = Annotated[Path | None, typer.Option(help="YAML column mapping.")]
EncodingOpt = Annotated[str | None, typer.Option(help="Text encoding (default: detected).")]
SourceOpt = Annotated[str | None, typer.Option(help="Source name (default: the file name).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON (last line).")]


def import_file(
    file: Path,
    *,
    kind: str,
    brand: str | None,
    mapping: Path | None,
    encoding: str | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Run the import with a progress bar on stderr and print the summary on stdout."""
    runtime = get_runtime()
    settings = runtime.settings
    stderr = Console(stderr=True)
    with Progress(
        TextColumn("[bold]importing[/bold] {task.fields[rows]:,} rows"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    ) as bar:
        task = bar.add_task("import", total=None, rows=0)

        def advance(done: int, total: int, rows: int) -> None:
            bar.update(task, completed=done, total=total, rows=rows)

        summary = run_import(
            runtime.session_factory,
            file,
            kind=kind,
            brand=brand,
            mapping_path=mapping,
            encoding=encoding,
            source=source,
            chunk_rows=settings.import_chunk_rows,
            rejects_dir=settings.rejects_dir,
            default_timezone=settings.default_timezone,
            progress=advance,
            settings=settings,
        )
    _print_summary(summary, as_json=as_json)


def _print_summary(summary: ImportSummary, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
        return
    console = Console()
    resumed = (
        f" (resumed after row {summary.resumed_from_row:,})"
        if summary.resumed_from_row is not None
        else ""
    )
    console.print(
        f"read {summary.read:,} = imported {summary.imported:,} + updated {summary.updated:,}"
        f" + rejected {summary.rejected:,} + duplicates {summary.duplicates:,}{resumed}",
        highlight=False,
    )
    if summary.rejects_file:
        console.print(f"rejected rows: {summary.rejects_file}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add `import` to the root command."""

    @app.command("import")
    def import_command(  # noqa: PLR0917 -- Typer reads options from the signature
        file: FileArg,
        kind: Annotated[Kind, typer.Option(help="What the rows are.")],
        brand: BrandOpt = None,
        mapping: MappingOpt = None,
        encoding: EncodingOpt = None,
        source: SourceOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Import feedback, complaints or KPI measures from a CSV, XLSX or JSON Lines file."""
        import_file(
            file,
            kind=kind.value,
            brand=brand,
            mapping=mapping,
            encoding=encoding,
            source=source,
            as_json=as_json,
        )

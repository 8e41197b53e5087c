"""`trustpulse complaints ...` commands."""

from __future__ import annotations

from pathlib import Path

import typer

from trustpulse.imports.cli import (
    BrandOpt,
    EncodingOpt,
    FileArg,
    JsonOpt,
    MappingOpt,
    SourceOpt,
    import_file,
)

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_complaints(  # noqa: PLR0917 -- Typer reads options from the signature
    file: FileArg,
    brand: BrandOpt = None,
    mapping: MappingOpt = None,
    encoding: EncodingOpt = None,
    source: SourceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import complaint cases (same as `trustpulse import FILE --kind complaint`)."""
    import_file(
        Path(file),
        kind="complaint",
        brand=brand,
        mapping=mapping,
        encoding=encoding,
        source=source,
        as_json=as_json,
    )

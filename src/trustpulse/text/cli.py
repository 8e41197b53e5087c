"""`trustpulse text ...`: train, evaluate and score sentiment models; analyse feedback."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from trustpulse import migrations
from trustpulse.config import get_settings
from trustpulse.errors import InvalidInputError
from trustpulse.runtime import build_runtime, set_runtime
from trustpulse.text import datasets
from trustpulse.text.config import load_text_config
from trustpulse.text.default_model import canonical_label, load_default
from trustpulse.text.sentiment import evaluation_report, load_model, train_model
from trustpulse.text.service import build_analyzer, run_analysis

app = typer.Typer(no_args_is_help=True, help="Text analytics: sentiment models, PII, pipeline.")
console = Console(stderr=True)

InputFile = Annotated[
    Path, typer.Option("--input", help="CSV, TSV, XLSX or JSONL file.", dir_okay=False)
]
TextColumn = Annotated[str, typer.Option("--text-column", help="Column holding the text.")]
LabelColumn = Annotated[str, typer.Option("--label-column", help="Column holding the label.")]
ModelOption = Annotated[str, typer.Option("--model", help="Model file, or `default`.")]


@app.command()
def train(
    input_path: InputFile,
    text_column: TextColumn,
    label_column: LabelColumn,
    out: Annotated[Path, typer.Option("--out", help="Model file to write.")],
) -> None:
    """Train a model from labelled rows (labels: any strings or integers, 2 or more classes)."""
    texts, labels = datasets.labelled(input_path, text_column, label_column)
    model = train_model(texts, labels)
    model.metrics["source_file"] = input_path.name
    model.save(out)
    held = model.metrics.get("holdout_accuracy")
    note = f", hold-out accuracy {held:.3f}" if held is not None else ""
    console.print(
        f"trained {model.version} on {len(texts)} rows, classes {model.classes}{note} -> {out}"
    )


@app.command()
def evaluate(
    model: ModelOption,
    input_path: InputFile,
    text_column: TextColumn,
    label_column: LabelColumn,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Accuracy, macro-F1, speed and confusion matrix of a model on labelled rows."""
    texts, gold = datasets.labelled(input_path, text_column, label_column)
    if model == "default":
        default = load_default(get_settings().home / "models")
        gold = [canonical_label(g) for g in gold]
        three_class = "neutral" in gold
        started = time.perf_counter()
        predicted = [p.label for p in default.predict(texts, three_class=three_class)]
        version = default.version
    else:
        loaded = load_model(Path(model))
        started = time.perf_counter()
        predicted = [p.label for p in loaded.predict(texts)]
        version = loaded.version
    report = evaluation_report(gold, predicted, seconds=time.perf_counter() - started)
    report["model_version"] = version
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    console.print(
        f"{version}: n={report['n']} accuracy={report['accuracy']:.4f} "
        f"macro_f1={report['macro_f1']:.4f} docs/s={report['docs_per_s']}"
    )
    console.print(f"labels {report['labels']}")
    for label, row in zip(report["labels"], report["confusion_matrix"], strict=True):
        console.print(f"  {label}: {row}")


@app.command()
def score(
    model: ModelOption,
    input_path: InputFile,
    text_column: TextColumn,
    out: Annotated[Path, typer.Option("--out", help="File to write (same formats).")],
) -> None:
    """Copy the file with `label` and `score` columns added (score: probability of the label;
    for `default`, polarity in [-1, 1])."""
    frame = datasets.read_table(input_path)
    texts = datasets.column(frame, text_column, input_path)
    if model == "default":
        predictions = load_default(get_settings().home / "models").predict(texts)
    else:
        predictions = load_model(Path(model)).predict(texts)
    for name in ("label", "score"):
        if name in frame.columns:
            raise InvalidInputError(f"{input_path} already has a {name!r} column", field=name)
    frame["label"] = [p.label for p in predictions]
    frame["score"] = [round(p.score, 4) for p in predictions]
    datasets.write_table(frame, out)
    console.print(f"scored {len(texts)} rows -> {out}")


@app.command()
def analyze(
    brand: Annotated[str | None, typer.Option("--brand", help="Only this brand (code).")] = None,
    since: Annotated[
        datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="Only feedback from this UTC date on."),
    ] = None,
) -> None:
    """Run the text pipeline over all feedback not yet analysed with the active models."""
    settings = get_settings()
    runtime = build_runtime(settings)
    set_runtime(runtime)
    migrations.upgrade(runtime.engine, "head")
    try:
        config = load_text_config(settings, brand=brand)
        analyzer = build_analyzer(settings, config)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("analysing feedback", total=None)
            written = run_analysis(
                runtime.session_factory,
                analyzer,
                brand=brand,
                since=since.date() if since else None,
                batch_size=config.batch_size,
                on_start=lambda total: progress.update(task, total=total),
                on_batch=lambda n: progress.advance(task, n),
            )
        console.print(f"analysed {written} feedback texts with {analyzer.version}")
    finally:
        runtime.engine.dispose()

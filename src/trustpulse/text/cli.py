"""`trustpulse text ...`: train, evaluate and score sentiment models; analyse feedback."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from trustpulse import migrations
from trustpulse.complaints.hints import hint_pending
from trustpulse.config import get_settings
from trustpulse.db import session_scope
from trustpulse.errors import InvalidInputError
from trustpulse.jobs import queue as jobs_queue
from trustpulse.runtime import Runtime, build_runtime, set_runtime
from trustpulse.text import aspect_learn, datasets, responsibility, trends
from trustpulse.text import jobs as text_jobs
from trustpulse.text.active import analyse_pending
from trustpulse.text.adapt import adapt_default
from trustpulse.text.aspects import AspectTagger
from trustpulse.text.config import load_text_config
from trustpulse.text.default_model import canonical_label, load_default
from trustpulse.text.sentiment import evaluation_report, load_model, train_model
from trustpulse.text.service import brand_id_of
from trustpulse.text.topics import load_topic_models, refit_topics

app = typer.Typer(
    no_args_is_help=True,
    help="Text analytics: sentiment models, PII, pipeline, watch lists, aspects, topics.",
)
console = Console(stderr=True)
WARM_UP_DOCS = 20

InputFile = Annotated[
    Path, typer.Option("--input", help="CSV, TSV, XLSX or JSONL file.", dir_okay=False)
]
TextColumn = Annotated[str, typer.Option("--text-column", help="Column holding the text.")]
LabelColumn = Annotated[str, typer.Option("--label-column", help="Column holding the label.")]
ModelOption = Annotated[str, typer.Option("--model", help="Model file, or `default`.")]
BrandOption = Annotated[str | None, typer.Option("--brand", help="Only this brand (code).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ByOption = Annotated[
    trends.Period, typer.Option("--by", help="Period: day, week or month (brand's time zone).")
]


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
    model.metrics["label_column"] = label_column
    model.save(out)
    held = model.metrics.get("holdout_accuracy")
    note = f", hold-out accuracy {held:.3f}" if held is not None else ""
    console.print(
        f"trained {model.version} on {len(texts)} rows, classes {model.classes}{note} -> {out}"
    )


@app.command()
def evaluate(  # noqa: PLR0917 -- Typer reads options from the signature
    model: ModelOption,
    input_path: InputFile,
    text_column: TextColumn,
    label_column: LabelColumn,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    adapt_on: Annotated[
        Path | None,
        typer.Option(
            "--adapt-on",
            help="With --model default: first self-train it on this file's --text-column "
            "texts (unlabelled), as the pipeline does on a brand's texts.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Accuracy, macro-F1, speed and confusion matrix of a model on labelled rows.

    `--model default` is the unadapted default unless --adapt-on names the texts to adapt to.
    """
    texts, gold = datasets.labelled(input_path, text_column, label_column)
    if adapt_on is not None and model != "default":
        raise InvalidInputError("--adapt-on adapts the default model: use it with --model default")
    # docs_per_s is the steady rate: one small batch first pays the one-off costs (jieba's
    # dictionary, OpenCC, VADER's lexicon) that would dominate the timing of a small file.
    warm_up = texts[:WARM_UP_DOCS]
    if model == "default":
        models_dir = get_settings().home / "models"
        default = load_default(models_dir)
        if adapt_on is not None:
            corpus = datasets.column(datasets.read_table(adapt_on), text_column, adapt_on)
            default = adapt_default(default, corpus, models_dir)
        gold = [canonical_label(g) for g in gold]
        three_class = "neutral" in gold
        default.predict(warm_up, three_class=three_class)
        started = time.perf_counter()
        predicted = [p.label for p in default.predict(texts, three_class=three_class)]
        version = default.version
    else:
        loaded = load_model(Path(model))
        loaded.predict(warm_up)
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


@app.command("learn-aspects")
def learn_aspects(
    *,
    input_path: InputFile,
    text_column: TextColumn,
    label_column: LabelColumn,
    out: Annotated[Path, typer.Option("--out", help="YAML file with the proposed aspects.")],
    top: Annotated[int, typer.Option("--top", min=1, help="Terms per label.")] = 20,
    min_count: Annotated[int, typer.Option("--min-count", min=1, help="Texts per term.")] = 3,
    min_precision: Annotated[
        float,
        typer.Option(
            "--min-precision",
            min=0.0,
            max=1.0,
            help="Drop terms whose texts carry the label less often than this (0.8 was used "
            "for the shipped lexicon's learnt terms; docs/text.md).",
        ),
    ] = 0.0,
) -> None:
    """Propose aspect-lexicon terms per trust dimension from labelled texts (labels: dimension
    names joined by `;`, empty = about none) in text.yaml's `aspects:` format, to review and
    merge into config/text.yaml."""
    frame = datasets.read_table(input_path)
    texts = datasets.column(frame, text_column, input_path)
    cells = datasets.column(frame, label_column, input_path)
    rows = [(t, aspect_learn.parse_label_cell(c)) for t, c in zip(texts, cells, strict=True)]
    rows = [(t, c) for t, c in rows if t.strip()]
    learnt = aspect_learn.learn_terms(
        [t for t, _ in rows],
        [c for _, c in rows],
        top=top,
        min_count=min_count,
        min_precision=min_precision,
    )
    config = aspect_learn.as_config(learnt)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=True), encoding="utf-8")
    counts = ", ".join(f"{label} {len(terms)}" for label, terms in learnt.items())
    console.print(f"proposed terms from {len(rows)} texts ({counts}) -> {out}")


@app.command("train-aspects")
def train_aspects(
    *,
    input_path: InputFile,
    text_column: TextColumn,
    label_column: LabelColumn,
    out: Annotated[Path, typer.Option("--out", help="JSON file with the learnt check.")],
) -> None:
    """Train a learnt check on the aspect lexicon from labelled texts (labels: trust dimensions,
    price_value or delivery_logistics joined by `;`, empty = about none); thresholds by 5-fold
    cross-validation, whose precision / recall per category are printed. Turn it on with
    text.yaml `aspect_model: <out>`."""
    texts, labels = _aspect_labels(input_path, text_column, label_column)
    config = load_text_config(get_settings())
    tagger = AspectTagger(config.aspects, config.aspect_ignore, config.aspect_cues)
    model = aspect_learn.train_check(tagger, texts, labels)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    _show_trained(model.metrics, len(texts), out)


@app.command("train-aspect-classifier")
def train_aspect_classifier(
    *,
    input_path: InputFile,
    text_column: TextColumn,
    label_column: LabelColumn,
    out: Annotated[Path, typer.Option("--out", help="JSON file with the classifier.")],
) -> None:
    """Train the text-level aspect classifier, which can tag what no lexicon term names, from
    labelled texts (labels as for train-aspects); it tags what the lexicon finds plus what it
    scores above a threshold chosen by 5-fold cross-validation, printed per category. Turn it
    on with text.yaml `aspect_classifier: <out>`."""
    texts, labels = _aspect_labels(input_path, text_column, label_column)
    config = load_text_config(get_settings())
    tagger = AspectTagger(config.aspects, config.aspect_ignore, config.aspect_cues)
    classifier = aspect_learn.train_classifier(tagger, texts, labels)
    out.parent.mkdir(parents=True, exist_ok=True)
    classifier.save(out)
    _show_trained(classifier.model.metrics, len(texts), out)


def _show_trained(metrics: Mapping[str, Any], texts: int, out: Path) -> None:
    for category, row in metrics["cross_validated"].items():
        console.print(
            f"{category:26s} threshold {row['threshold']:.3f}"
            f" P {row['precision']:.2f} R {row['recall']:.2f} (cross-validated)"
        )
    console.print(f"trained on {texts} texts -> {out}")


def _aspect_labels(
    input_path: Path, text_column: str, label_column: str
) -> tuple[list[str], list[set[str]]]:
    """The labelled texts of a file (rows with an empty text left out)."""
    frame = datasets.read_table(input_path)
    texts = datasets.column(frame, text_column, input_path)
    cells = datasets.column(frame, label_column, input_path)
    rows = [(t, aspect_learn.parse_label_cell(c)) for t, c in zip(texts, cells, strict=True)]
    rows = [(t, c) for t, c in rows if t.strip()]
    return [t for t, _ in rows], [c for _, c in rows]


@app.command("train-hints")
def train_hints(
    data: Annotated[
        Path, typer.Option("--data", help="Folder holding the public data sets (../shared/data).")
    ],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for the two model files.")],
) -> None:
    """Train the responsibility and root-cause models from the shipped hand-labelled sample."""
    frame = responsibility.labelled_texts(data)
    for task, model in responsibility.train_hint_models(frame).items():
        model.metrics["source_file"] = responsibility.LABELS_FILE.name
        model.save(out_dir / f"{task}.joblib")
        console.print(f"trained {model.version} on {len(frame)} rows -> {out_dir / task}.joblib")


@app.command()
def hint(
    models: Annotated[
        list[Path],
        typer.Option("--model", help="Model file (repeat: responsibility, root cause ...)."),
    ],
    input_path: InputFile,
    text_column: TextColumn,
    out: Annotated[Path, typer.Option("--out", help="File to write (same formats).")],
) -> None:
    """Copy the file with one `<label column>` + `<label column>_score` pair per model (the
    label column the model was trained on; score: probability of the label)."""
    frame = datasets.read_table(input_path)
    texts = datasets.column(frame, text_column, input_path)
    for path in models:
        model = load_model(path)
        name = str(model.metrics.get("label_column") or path.stem)
        for column in (name, f"{name}_score"):
            if column in frame.columns:
                raise InvalidInputError(f"{input_path} already has a {column!r} column")
        predictions = model.predict(texts)
        frame[name] = [p.label for p in predictions]
        frame[f"{name}_score"] = [round(p.score, 4) for p in predictions]
    datasets.write_table(frame, out)
    console.print(f"hinted {len(texts)} rows with {len(models)} model(s) -> {out}")


@app.command()
def analyze(
    brand: Annotated[str | None, typer.Option("--brand", help="Only this brand (code).")] = None,
    since: Annotated[
        datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="Only feedback from this UTC date on."),
    ] = None,
    enqueue: Annotated[
        bool,
        typer.Option(
            "--enqueue",
            help="Enqueue one job per --batch-size pending texts for `trustpulse worker`s "
            "instead of analysing here (embedded mode: run them in-process, then exit).",
        ),
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            min=1,
            help="Texts per job with --enqueue (default 10000), else per transaction "
            "(default: config batch_size).",
        ),
    ] = None,
    adapt: Annotated[
        bool,
        typer.Option(
            "--adapt/--no-adapt",
            help="Self-train the default Chinese sentiment model on the texts first, when "
            "text.yaml adapt_default says so (minutes, once per corpus step); --no-adapt "
            "analyses with the unadapted default now and leaves adapting to a later run.",
        ),
    ] = True,
) -> None:
    """Run the text pipeline over all feedback not yet analysed with the active models, then
    hint the complaints not yet hinted with the active hint models (if any)."""
    settings = get_settings()
    runtime = build_runtime(settings)
    set_runtime(runtime)
    migrations.upgrade(runtime.engine, "head")
    try:
        if enqueue:
            day = since.date() if since else None
            ranges = text_jobs.enqueue_analysis(
                brand=brand, since=day, range_size=batch_size or text_jobs.DEFAULT_RANGE_SIZE
            )
            console.print(f"enqueued {len(ranges)} text analysis jobs")
            jobs_queue.drain(timeout=None)  # embedded mode: wait for them; no-op on Redis
            _hint_complaints(runtime, brand, batch_size)
            return
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("analysing feedback", total=None)
            run = analyse_pending(
                runtime.session_factory,
                settings,
                brand=brand,
                since=since.date() if since else None,
                batch_size=batch_size,
                on_start=lambda total: progress.update(task, total=total),
                on_batch=lambda n: progress.advance(task, n),
                adapt=adapt,
            )
        console.print(f"analysed {run.written} feedback texts with {', '.join(run.versions)}")
        _hint_complaints(runtime, brand, batch_size)
    finally:
        runtime.engine.dispose()


def _hint_complaints(runtime: Runtime, brand: str | None, batch_size: int | None) -> None:
    """Hints are per complaint, not per feedback: one pass here, whichever way feedback ran."""
    run = hint_pending(
        runtime.session_factory, runtime.settings, brand=brand, batch_size=batch_size
    )
    if run.versions:
        console.print(f"hinted {run.written} complaints with {', '.join(run.versions)}")


def _open_runtime() -> Runtime:
    runtime = build_runtime(get_settings())
    set_runtime(runtime)
    migrations.upgrade(runtime.engine, "head")
    return runtime


def _emit(payload: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    for key, rows in payload.items():
        console.print(f"[bold]{key}[/bold]")
        for row in rows if isinstance(rows, list) else [rows]:
            console.print(f"  {row}")


@app.command()
def watch(brand: BrandOption = None, by: ByOption = "month", as_json: JsonOption = False) -> None:
    """Feedback mentioning each watch-list term (config/text.yaml `watchlists`) per period."""
    runtime = _open_runtime()
    try:
        with session_scope(runtime.session_factory) as session:
            brand_id = brand_id_of(session, brand) if brand else None
            rows = trends.watch_counts(session, brand_id=brand_id, by=by)
        _emit({"brand": brand, "by": by, "counts": rows}, as_json)
    finally:
        runtime.engine.dispose()


@app.command()
def aspects(brand: BrandOption = None, as_json: JsonOption = False) -> None:
    """Aspect x sentiment matrix: mentions per sentiment label and the negative share."""
    runtime = _open_runtime()
    try:
        with session_scope(runtime.session_factory) as session:
            brand_id = brand_id_of(session, brand) if brand else None
            rows = trends.aspect_matrix(session, brand_id=brand_id)
        _emit({"brand": brand, "aspects": rows}, as_json)
    finally:
        runtime.engine.dispose()


@app.command()
def topics(
    brand: BrandOption = None,
    k: Annotated[int | None, typer.Option("--k", min=2, help="Refit with N topics.")] = None,
    fit: Annotated[bool, typer.Option("--fit", help="Refit with the configured k.")] = False,
    by: ByOption = "month",
    as_json: JsonOption = False,
) -> None:
    """Topics (fitted on all analysed texts, per language), shares per period, emerging topics.

    Fits when asked (--k, --fit) or when no topic model exists yet; fitting sets the topic of
    every analysed text. --brand limits the shares, not the fit.
    """
    runtime = _open_runtime()
    settings = runtime.settings
    try:
        config = load_text_config(settings, brand=brand)
        models_dir = settings.home / "models"
        models = load_topic_models(models_dir)
        if fit or k is not None or not models:
            models = refit_topics(
                runtime.session_factory,
                models_dir,
                k=k or config.topics.k,
                to_simplified=config.to_simplified,
            )
        with session_scope(runtime.session_factory) as session:
            brand_id = brand_id_of(session, brand) if brand else None
            counts = trends.topic_counts(session, brand_id=brand_id, by=by)
        payload: dict[str, object] = {
            "brand": brand,
            "by": by,
            "models": {
                language: {
                    "version": model.version,
                    "topics": [
                        {"topic": label, "top_words": words, "size": size}
                        for label, words, size in zip(
                            model.labels, model.top_words, model.sizes, strict=True
                        )
                    ],
                }
                for language, model in models.items()
            },
            "shares": trends.topic_shares(counts),
            "emerging": trends.emerging_topics(counts, config.topics),
        }
        _emit(payload, as_json)
    finally:
        runtime.engine.dispose()

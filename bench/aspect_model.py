"""Choose and train the aspect model (`text/aspect_model.py`) on the first hand-labelled sample
only (tests/text/fixtures/aspect_labels.csv, 537 texts read from ../shared/data) plus the demo
generator's labelled texts; the fresh held-out sample is never read here.

    .venv/bin/python bench/aspect_model.py [--data DIR] [--out model.json] [--json]

For every setting of the grid (C x class weighting x weight of the demo texts), probabilities
of the 537 out of fold (5 folds by a hash of dataset and id, 3 repeats; the demo texts, seed
DEMO_TRAIN_SEED, are in every training fold), and thresholds per category chosen on them
(`choose_thresholds`: best recall at cross-validated precision >= 0.85, else best F1). Then the
model trained on everything is scored on the demo truth of seeds 5 and 11 (the issue's other
bar: >= 0.9 per dimension, `tests/text/test_aspects.py`). Of the settings that keep the demo
bar, the one meeting the real-text bar (P >= 0.8, R >= 0.6) for the most categories wins,
mean F1 breaking ties. --out saves it (text.yaml `aspect_model: <path>` turns it on).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from trustpulse.config import Settings
from trustpulse.demo.generate import generate
from trustpulse.demo.model import DemoConfig
from trustpulse.text.aspect_model import (
    AspectModel,
    Labelled,
    TrainSettings,
    choose_thresholds,
    fit,
    out_of_fold,
    train,
)
from trustpulse.text.aspect_sample import category_of, parse_labels, read_labels, with_texts
from trustpulse.text.aspects import AspectTagger
from trustpulse.text.config import TextConfig, load_text_config
from trustpulse.text.language import comparable
from trustpulse.text.service import prepare

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LABELS = ROOT / "tests" / "text" / "fixtures" / "aspect_labels.csv"
DEMO_TRAIN_SEED = 1  # the demo bar is checked on seeds 5 and 11, never trained on
DEMO_CHECK_SEEDS = (5, 11)
DEMO_SCALE = 0.02
GRID = [
    (TrainSettings(c=c, balanced=b), w)
    for c in (1.0, 3.0, 10.0)
    for b in (False, True)
    for w in (0.0, 0.1, 0.3, 1.0)
]


def demo_texts(seed: int) -> tuple[list[str], list[dict[str, Any]]]:
    data = generate(DemoConfig(seed=seed, scale=DEMO_SCALE))
    texts = {r["external_id"]: r["text"] for r in data.tables["feedback"] if r["text"]}
    return [comparable(texts[t["external_id"]]) for t in data.text_truth], data.text_truth


def demo_labelled(tagger: AspectTagger, weight: float) -> Labelled:
    """The demo truth as labelled texts; it files prices under transparency and has no
    price/value category, so its texts say nothing about price/value either way."""
    texts, truth = demo_texts(DEMO_TRAIN_SEED)
    labels = [{category_of(a) for a in t["aspects"]} for t in truth]
    feats = [tagger.model_features(t) for t in texts]
    return Labelled(feats, labels, frozenset({"price_value"}), weight)


def demo_bar(config: TextConfig, model: AspectModel) -> dict[str, float]:
    """The lowest precision and recall over the dimensions of the demo truth, per check seed."""
    return tagger_demo_bar(AspectTagger(config.aspects, config.aspect_ignore, model=model))


def tagger_demo_bar(tagger: AspectTagger) -> dict[str, float]:
    """`demo_bar` of any tagger (a learnt check, a text-level classifier)."""
    out = {}
    for seed in DEMO_CHECK_SEEDS:
        texts, truth = demo_texts(seed)
        tp: Counter[str] = Counter()
        fp: Counter[str] = Counter()
        fn: Counter[str] = Counter()
        for text, t in zip(texts, truth, strict=True):
            gold = {a["dimension"] for a in t["aspects"]}
            found = {m.dimension for m in tagger.mentions(text)}
            tp.update(gold & found)
            fp.update(found - gold)
            fn.update(gold - found)
        keys = set(tp) | set(fn)
        out[f"seed{seed}_min_precision"] = round(
            min(tp[k] / max(tp[k] + fp[k], 1) for k in keys), 3
        )
        out[f"seed{seed}_min_recall"] = round(min(tp[k] / (tp[k] + fn[k]) for k in keys), 3)
    return out


def mean_f1(choice: Sequence[tuple[float, float]]) -> float:
    return sum(2 * p * r / (p + r or 1) for p, r in choice) / len(choice)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, help="save the chosen model here (JSON)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--labels",
        type=Path,
        nargs="+",
        default=[LABELS],
        help="labelled samples to choose and train on (never the fresh one)",
    )
    args = parser.parse_args()
    if any(p.name == "aspect_labels_fresh.csv" for p in args.labels):
        parser.error("the fresh sample is held out: it is never chosen or trained on")
    config = load_text_config(Settings(home=Path(tempfile.mkdtemp(prefix="tp-aspects-"))))
    tagger = AspectTagger(config.aspects, config.aspect_ignore, config.aspect_cues)
    frame = with_texts(pd.concat([read_labels(p) for p in args.labels]), args.data)
    sample = Labelled(
        [tagger.model_features(prepare(t).comparable) for t in frame["text"]],
        [set(parse_labels(v)) for v in frame["labels"]],
    )
    keys = [f"{d}:{k}" for d, k in zip(frame["dataset"], frame["id"], strict=True)]
    demo = {w: demo_labelled(tagger, w) for _s, w in GRID if w > 0}
    rows: list[dict[str, Any]] = []
    for settings, weight in GRID:
        extra = [demo[weight]] if weight > 0 else []
        choice = choose_thresholds(out_of_fold(sample, keys, settings, extra=extra), sample.labels)
        thresholds = {c: s.threshold for c, s in choice.items()}
        bar = demo_bar(config, train([sample, *extra], settings, thresholds))
        row = {
            "c": settings.c,
            "balanced": settings.balanced,
            "demo_weight": weight,
            "met": sum(s.precision >= 0.8 and s.recall >= 0.6 for s in choice.values()),
            "mean_f1": round(mean_f1([(s.precision, s.recall) for s in choice.values()]), 3),
            "demo_ok": min(bar.values()) >= 0.9,
            "demo": bar,
            "categories": {
                c: [s.threshold, round(s.precision, 3), round(s.recall, 3)]
                for c, s in choice.items()
            },
        }
        rows.append(row)
        if not args.json:
            cells = " ".join(
                f"{c[:5]} {t:.2f}:{p:.2f}/{r:.2f}" for c, (t, p, r) in row["categories"].items()
            )
            print(
                f"C={settings.c:<4} bal={settings.balanced!s:5} demo={weight:<3} met {row['met']}"
                f" F1 {row['mean_f1']:.3f} demo_ok={row['demo_ok']} {min(bar.values()):.3f}"
                f" | {cells}",
                flush=True,
            )
    best = max(rows, key=lambda r: (r["demo_ok"], r["met"], r["mean_f1"]))
    if args.json:
        print(json.dumps({"grid": rows, "chosen": best}, ensure_ascii=False))
    else:
        print(f"chosen: C={best['c']} balanced={best['balanced']} demo={best['demo_weight']}")
    if args.out:
        chosen = TrainSettings(c=best["c"], balanced=best["balanced"])
        w = best["demo_weight"]
        fit(sample, keys, chosen, extra=[demo[w]] if w > 0 else []).save(args.out)
        print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()

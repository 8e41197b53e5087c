"""Aspect tagger against the hand-labelled sample of real texts
(tests/text/fixtures/aspect_labels.csv; texts read from ../shared/data): text-level precision
and recall per trust category, and how often the aspect sentiment equals the labelled one.

    .venv/bin/python bench/text_aspects.py [--data DIR] [--config text.yaml] [--folds 5]
                                           [--min-precision 0.8] [--prune-below 0.5] [--no-cv]
                                           [--no-model] [--speed] [--json]

Two taggers, each reported per split: `tune` and `report` (the halves of the first sample,
both read while tuning by now), `old` (the two together), `fresh` (aspect_labels_fresh.csv,
held out until the text-level classifier trained on it), `third` (aspect_labels_third.csv) and
`fourth` (aspect_labels_fourth.csv, the held-out draw nothing was chosen or trained on).
- `lexicon`: the shipped lexicon (config_defaults/text.yaml) or --config's, with its learnt
  check or text-level classifier if --config names one (`aspect_model: <path>`,
  text/aspect_model.py; `aspect_classifier: <path>`, text/aspect_classifier.py; --no-model
  leaves both out).
- `cv`: the lexicon adapted (`text/aspect_learn.py`) to the labels of the other folds only:
  the sample is split into --folds folds by a hash of dataset and id, and each fold is tagged
  with the lexicon minus the entries that were right less often than --prune-below where
  they alone tagged a text of the other folds, plus the words learnt there (in --min-count
  texts, z >= 1.96, their texts labelled at least --min-precision of the time). Folds are
  drawn from the first sample only (--no-cv skips it), so nothing is learnt from `fresh`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from trustpulse.config import Settings
from trustpulse.text.aspect_learn import cross_validate, parse_label_cell
from trustpulse.text.aspect_sample import parse_labels, read_labels, score_categories, with_texts
from trustpulse.text.aspects import AspectTagger
from trustpulse.text.config import TextConfig, load_text_config
from trustpulse.text.language import comparable
from trustpulse.text.service import (
    aspect_classifier_of,
    aspect_model_of,
    aspect_results,
    build_analyzer,
    prepare,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LABELS = ROOT / "tests" / "text" / "fixtures" / "aspect_labels.csv"
FRESH_LABELS = LABELS.with_name("aspect_labels_fresh.csv")
THIRD_LABELS = LABELS.with_name("aspect_labels_third.csv")
FOURTH_LABELS = LABELS.with_name("aspect_labels_fourth.csv")
SPLITS = ("tune", "report", "old", "fresh", "third", "fourth")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--config", type=Path, help="a text.yaml whose aspects to measure")
    parser.add_argument("--home", type=Path, help="TRUSTPULSE_HOME holding the default model")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--min-precision", type=float, default=0.8)
    parser.add_argument("--min-count", type=int, default=3)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument(
        "--prune-below",
        type=float,
        default=0.5,
        help="drop lexicon entries right less often than this where alone (-1: keep all)",
    )
    parser.add_argument("--no-cv", action="store_true", help="score the lexicon only")
    parser.add_argument(
        "--no-model", action="store_true", help="the lexicon without the learnt check (v4)"
    )
    parser.add_argument(
        "--speed", action="store_true", help="only time tagging (5,000 reviews + 5,000 tweets)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="tp-aspects-"))
    settings = Settings(home=home)
    config = load_text_config(settings)
    if args.config:
        override = yaml.safe_load(args.config.read_text(encoding="utf-8"))
        config = TextConfig.model_validate({**config.model_dump(), **override})
    if args.no_model:
        config = config.model_copy(update={"aspect_model": None, "aspect_classifier": None})
    if args.speed:
        speed(config, args.data)
        return
    analyzer = build_analyzer(settings, config)
    old = with_texts(read_labels(LABELS), args.data)
    held_out = [
        with_texts(read_labels(p), args.data) for p in (FRESH_LABELS, THIRD_LABELS, FOURTH_LABELS)
    ]
    frame = pd.concat([old, *held_out], ignore_index=True)
    texts = list(frame["text"])
    gold = [parse_labels(v) for v in frame["labels"]]
    lexicon_found = aspect_results(analyzer, [prepare(t) for t in texts])
    out: dict[str, Any] = {}
    taggers = [("lexicon", lexicon_found)]
    if not args.no_cv:
        cv = cross_validate(
            analyzer,
            config.aspects,
            list(old["text"]),
            [parse_label_cell(v) for v in old["labels"]],
            [f"{d}:{k}" for d, k in zip(old["dataset"], old["id"], strict=True)],
            folds=args.folds,
            ignore=config.aspect_ignore,
            cues=config.aspect_cues,
            prune_below=args.prune_below,
            top=args.top,
            min_count=args.min_count,
            min_precision=args.min_precision,
        )
        taggers.append(("cv", cv.found))
        out["learnt_per_fold"] = [
            {label: [t.term for t in terms] for label, terms in learnt.items() if terms}
            for learnt in cv.learnt
        ]
        out["pruned_per_fold"] = [[f"{r.aspect}:{r.term}" for r in pruned] for pruned in cv.pruned]
    for name, found in taggers:
        for split in SPLITS:
            rows = [
                i
                for i, s in enumerate(frame["split"])
                if i < len(found) and (s == split or (split == "old" and s in ("tune", "report")))
            ]
            if not rows:
                continue
            scores = score_categories([gold[i] for i in rows], [found[i] for i in rows])
            out[f"{name}/{split}"] = {"n": len(rows), "categories": [s.as_dict() for s in scores]}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return
    for key, result in out.items():
        if key.endswith("_per_fold"):
            continue
        print(f"{key} (n={result['n']})")
        for row in result["categories"]:
            print(
                f"  {row['category']:26s} labelled {row['labelled']:3d} tagged {row['tagged']:3d}"
                f" P {row['precision']:.2f} R {row['recall']:.2f}"
                f" sentiment {row['sentiment_agreement']}"
            )
    for fold, (learnt, pruned) in enumerate(
        zip(out.get("learnt_per_fold", []), out.get("pruned_per_fold", []), strict=True)
    ):
        print(f"fold {fold} learnt: {learnt}\n       pruned: {pruned}")


def speed(config: TextConfig, data: Path) -> None:
    """Docs/s of `AspectTagger.mentions` on comparable texts, one process, best of three:
    5,000 waimai_10k reviews + 5,000 airline tweets; the lexicon alone, then with the
    config's learnt check or classifier if it has one (--config with `aspect_model: <path>` or
    `aspect_classifier: <path>`)."""
    reviews = pd.read_csv(data / "waimai_10k" / "waimai_10k.csv")["review"].dropna()
    tweets = pd.read_csv(data / "twitter_us_airline_sentiment" / "Tweets.csv")["text"].dropna()
    texts = [comparable(str(t)) for t in [*reviews[:5000], *tweets[:5000]]]
    for setting in dict.fromkeys([(None, None), (config.aspect_model, config.aspect_classifier)]):
        tagger = AspectTagger(
            config.aspects,
            config.aspect_ignore,
            config.aspect_cues,
            aspect_model_of(setting[0]),
            aspect_classifier_of(setting[1]),
        )
        best = 0.0
        for _ in range(3):
            start = time.perf_counter()
            for text in texts:
                tagger.mentions(text)
            best = max(best, len(texts) / (time.perf_counter() - start))
        print(f"aspect_model={setting[0]} aspect_classifier={setting[1]}: {best:,.0f} docs/s")


if __name__ == "__main__":
    main()

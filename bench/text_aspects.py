"""Aspect tagger against the hand-labelled sample of real texts
(tests/text/fixtures/aspect_labels.csv; texts read from ../shared/data): text-level precision
and recall per trust category, and how often the aspect sentiment equals the labelled one.

    .venv/bin/python bench/text_aspects.py [--data DIR] [--config text.yaml] [--json]

Reported per split: `tune` (the half the lexicon was tuned on), `report` (the held-out half)
and `all`. Without --config the shipped lexicon (config_defaults/text.yaml) is used.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

from trustpulse.config import Settings
from trustpulse.text.aspect_sample import parse_labels, read_labels, score_categories, with_texts
from trustpulse.text.config import TextConfig, load_text_config
from trustpulse.text.service import aspect_results, build_analyzer, prepare

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LABELS = ROOT / "tests" / "text" / "fixtures" / "aspect_labels.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--config", type=Path, help="a text.yaml whose aspects to measure")
    parser.add_argument("--home", type=Path, help="TRUSTPULSE_HOME holding the default model")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="tp-aspects-"))
    settings = Settings(home=home)
    config = load_text_config(settings)
    if args.config:
        override = yaml.safe_load(args.config.read_text(encoding="utf-8"))
        config = TextConfig.model_validate({**config.model_dump(), **override})
    analyzer = build_analyzer(settings, config)
    frame = with_texts(read_labels(LABELS), args.data)
    prepared = [prepare(t) for t in frame["text"]]
    found = aspect_results(analyzer, prepared)
    gold = [parse_labels(v) for v in frame["labels"]]
    out: dict[str, dict[str, Any]] = {}
    for split in ("tune", "report", "all"):
        rows = [i for i, s in enumerate(frame["split"]) if split in ("all", s)]
        scores = score_categories([gold[i] for i in rows], [found[i] for i in rows])
        out[split] = {"n": len(rows), "categories": [s.as_dict() for s in scores]}
    if args.json:
        print(json.dumps(out))
        return
    for split, result in out.items():
        print(f"{split} (n={result['n']})")
        for row in result["categories"]:
            print(
                f"  {row['category']:26s} labelled {row['labelled']:3d} tagged {row['tagged']:3d}"
                f" P {row['precision']:.2f} R {row['recall']:.2f}"
                f" sentiment {row['sentiment_agreement']}"
            )


if __name__ == "__main__":
    main()

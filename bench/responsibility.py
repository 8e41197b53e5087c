"""Responsibility hints: stratified 5-fold cross-validated macro-F1 of the text model
(char 1-3 + word 1-2 TF-IDF, logistic regression: `trustpulse text train`'s model) against a
majority-class baseline (DummyClassifier), on the hand-labelled complaint sample
(src/trustpulse/text/data/responsibility_labels.csv; texts read from ../shared/data).

    .venv/bin/python bench/responsibility.py [--data DIR] [--seeds 0 1 2] [--json]

Root-cause classes with fewer than 10 labelled texts are merged into `other` first.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from trustpulse.text.responsibility import (
    balanced_pipeline,
    cross_validate,
    labelled_texts,
    merge_rare,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    frame = labelled_texts(args.data)
    rows = []
    for task in ("responsibility", "root_cause"):
        labels = merge_rare(frame[task].tolist())
        for variant, pipeline in (("default", None), ("balanced", balanced_pipeline())):
            for seed in args.seeds:
                result = cross_validate(
                    frame["text"].tolist(), labels, task=task, pipeline=pipeline, seed=seed
                )
                rows.append({"variant": variant, "seed": seed, **result.as_dict()})
    if args.json:
        print(json.dumps(rows))
        return
    for row in rows:
        print(
            f"{row['task']:15s} {row['variant']:9s} seed {row['seed']}: n={row['n']} "
            f"macro-F1 {row['macro_f1']:.3f} (baseline {row['baseline_macro_f1']:.3f}) "
            f"accuracy {row['accuracy']:.3f} (baseline {row['baseline_accuracy']:.3f})"
        )
    print(rows[0]["classes"], rows[-1]["classes"])


if __name__ == "__main__":
    main()

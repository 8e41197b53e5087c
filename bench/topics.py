"""Topic benchmark: agreement of discovered topics with the 10 categories of
online_shopping_10_cats (adjusted mutual information) and time, for the shipped recipe
(LSA + k-means on word + bigram TF-IDF) and the NMF-largest-weight baseline.

    .venv/bin/python bench/topics.py [--docs 50000] [--k 10] [--seeds 0 1 2]

Needs ../shared/data/online_shopping_10_cats. Texts are deduplicated first; segmentation
(normalise + jieba) is timed separately from fitting and assigning.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.metrics import adjusted_mutual_info_score

from trustpulse.text.language import normalise, tokenise
from trustpulse.text.topics import _vectorizer, _with_bigrams, fit_topics, topic_tokens

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_shopping_10_cats"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    frame = pd.read_csv(DATA / "online_shopping_10_cats.csv.gz").dropna(subset=["review"])
    frame = frame.drop_duplicates("review")
    frame = frame.sample(min(args.docs, len(frame)), random_state=0)
    started = time.perf_counter()
    tokens = [tokenise(normalise(str(t)), "zh") for t in frame["review"]]
    segment_s = time.perf_counter() - started
    gold = frame["cat"].tolist()
    print(f"{len(frame)} texts, segmentation {segment_s:.1f} s")
    for seed in args.seeds:
        started = time.perf_counter()
        model = fit_topics(tokens, language="zh", k=args.k, seed=seed)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        found = model.clusters(tokens)
        assign_s = time.perf_counter() - started
        ami = adjusted_mutual_info_score(gold, found)
        print(f"lsa-kmeans seed {seed}: AMI {ami:.3f}, fit {fit_s:.1f} s, assign {assign_s:.1f} s")
    docs = [_with_bigrams(topic_tokens(t, "zh")) for t in tokens]
    started = time.perf_counter()
    matrix = _vectorizer(len(docs)).fit_transform(docs)
    weights = NMF(n_components=args.k, init="nndsvda", random_state=0, max_iter=400).fit_transform(
        matrix
    )
    nmf_s = time.perf_counter() - started
    ami = adjusted_mutual_info_score(gold, np.asarray(weights).argmax(axis=1))
    print(f"nmf-argmax: AMI {ami:.3f}, fit {nmf_s:.1f} s")
    print("topics (last lsa-kmeans model):")
    for label, size in zip(model.labels, model.sizes, strict=True):
        print(f"  {size:6d}  {label}")


if __name__ == "__main__":
    main()

"""Real files from ../shared/data: counts reconcile exactly, text survives byte-for-byte."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tests.imports.conftest import Importer, assert_reconciles
from trustpulse.complaints.models import Complaint
from trustpulse.feedback.models import Feedback

pytestmark = pytest.mark.shared_data


def read_exact(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_cfpb_complaints(
    do_import: Importer, committed_engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / "cfpb_consumer_complaints_sample" / "complaints_sample.csv"
    mapping = tmp_path / "cfpb.yaml"
    mapping.write_text(
        "columns:\n  external_id: Complaint ID\n  opened_at: Date received\n"
        "  text: Consumer complaint narrative\n  category: Product\n  product: Sub-product\n"
        "  region: State\nchannel: cfpb\ntimezone: America/New_York\n",
        encoding="utf-8",
    )
    summary = do_import(path, "complaint", mapping_path=mapping, brand="cfpb")
    frame = read_exact(path)
    assert_reconciles(summary)
    assert (summary.read, summary.imported, summary.rejected) == (
        len(frame),
        frame["Complaint ID"].nunique(),
        0,
    )
    with committed_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Complaint)) == len(frame)
        stored = dict(conn.execute(select(Feedback.external_id, Feedback.text)).all())
    narratives = frame[frame["Consumer complaint narrative"] != ""]
    assert stored == dict(
        zip(narratives["Complaint ID"], narratives["Consumer complaint narrative"], strict=True)
    )


def test_waimai_reviews_without_ids(
    do_import: Importer, committed_engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / "waimai_10k" / "waimai_10k.csv"
    mapping = tmp_path / "waimai.yaml"
    mapping.write_text(
        "columns: {text: review}\ndefaults: {occurred_at: '2018-01-01'}\n", encoding="utf-8"
    )
    summary = do_import(path, "review", mapping_path=mapping)
    frame = read_exact(path)
    blank = frame["review"].str.strip() == ""
    assert_reconciles(summary)
    assert summary.read == len(frame)
    assert summary.rejected == int(blank.sum())
    # no id column: the key is the content hash, so only identical rows are duplicates
    assert summary.duplicates == int(frame[~blank].duplicated().sum())
    assert summary.imported == len(frame[~blank].drop_duplicates())
    with committed_engine.connect() as conn:
        texts = [t or "" for t in conn.scalars(select(Feedback.text))]
    assert sorted(texts) == sorted(frame[~blank].drop_duplicates()["review"])


def test_airline_tweets(
    do_import: Importer, committed_engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / "twitter_us_airline_sentiment" / "Tweets.csv"
    mapping = tmp_path / "tweets.yaml"
    mapping.write_text(
        "columns: {external_id: tweet_id, text: text, occurred_at: tweet_created}\n"
        "channel: twitter\n",
        encoding="utf-8",
    )
    summary = do_import(path, "social", mapping_path=mapping, brand="airlines")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    frame = read_exact(path)
    assert_reconciles(summary)
    assert (summary.read, summary.rejected) == (len(rows), 0)
    assert summary.imported == frame["tweet_id"].nunique()
    previous_same = frame.duplicated()  # an identical earlier row with the same id
    assert summary.duplicates == int(previous_same.sum())
    assert summary.updated == len(frame) - frame["tweet_id"].nunique() - int(previous_same.sum())
    last_text = {r["tweet_id"]: r["text"] for r in rows}  # the last version of each id wins
    with committed_engine.connect() as conn:
        stored = dict(conn.execute(select(Feedback.external_id, Feedback.text)).all())
    assert stored == last_text

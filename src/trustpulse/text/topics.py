"""Topic discovery over segmented words + bigrams (TF-IDF), one model per language.

Topics are k-means clusters of the texts' L2-normalised LSA vectors (truncated SVD of the
TF-IDF matrix). Measured against the 10 categories of online_shopping_10_cats this agrees
better than NMF's largest weight (bench/topics.py, docs/text.md). A topic is named by the top
words of its cluster in the text's language. Models are fitted by `trustpulse text topics
--fit` and kept in TRUSTPULSE_HOME/models/topics-<language>.joblib.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from trustpulse.db import session_scope, utcnow
from trustpulse.errors import InvalidInputError
from trustpulse.pii import PLACEHOLDERS
from trustpulse.text.language import Language, normalise, tokenise
from trustpulse.text.models import FeedbackAnalysis

TOPIC_FORMAT = "trustpulse.text.topics"
TOPIC_RECIPE = "lsa-kmeans-v1"
LSA_COMPONENTS = 100
LABEL_WORDS = 3
TOP_WORDS = 10
MIN_DOCS = 20
# placeholder words left by PII redaction ([PHONE] segments to PHONE / phone)
_PLACEHOLDER_WORDS = frozenset(p.strip("[]").lower() for p in PLACEHOLDERS.values()) | {
    "id",
    "number",
    "bank",
    "card",
}

# function words that survive jieba's segmentation and say nothing about a topic
ZH_STOPWORDS = frozenset(
    (  # noqa: SIM905 -- a word list reads best as text
        "的 了 是 我 也 和 就 都 很 在 有 不 这 那 还 又 但 而 与 及 或 被 把 给 让 对 说 "
        "一个 没有 我们 你们 他们 自己 这个 那个 这样 那样 什么 怎么 还是 就是 不是 但是 "
        "因为 所以 如果 虽然 而且 然后 已经 可以 非常 比较 感觉 觉得 真的 一下 一点 有点 "
        "东西 时候 这次 这么 那么 还有 只是 不过 一些 可能 应该 其实 所有 每次 之前 之后 "
        "以后 以前 知道 出来 起来 一样 一直 一次 第一 不错 还行 不会 不能 不要 不好 "
        "比较 特别 确实 实在 完全 太 吗 吧 呢 啊 哦 呀 嘛 啦 哈 哈哈"
    ).split()
)
EN_STOPWORDS = frozenset(
    (  # noqa: SIM905 -- a word list reads best as text
        "a an and are as at be but by for from had has have i in is it its me my no not of on "
        "or our so that the their them they this to too was we were what when with you your "
        "very just been do did get got will would can could there here than then out up all "
        "one also if about more some only into after before over again which who how it's "
        "i'm i've don't didn't doesn't isn't wasn't am he she him her his us"
    ).split()
)


def topic_tokens(tokens: Sequence[str], language: str) -> list[str]:
    """Content words only: no stopwords, numbers, placeholders or one-character Chinese words."""
    stop = EN_STOPWORDS if language == "en" else ZH_STOPWORDS
    min_len = 2 if language != "en" else 3
    return [
        t
        for t in tokens
        if len(t) >= min_len
        and t not in stop
        and not t.isdigit()
        and t.lower() not in _PLACEHOLDER_WORDS
    ]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _vectorizer(n_docs: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer=_identity,
        ngram_range=(1, 1),
        min_df=min(5, max(1, n_docs // 1000)),
        max_df=0.5,
        sublinear_tf=True,
        max_features=50_000,
    )


def _with_bigrams(tokens: Sequence[str]) -> list[str]:
    return [*tokens, *(f"{a}_{b}" for a, b in itertools.pairwise(tokens))]


@dataclass
class TopicModel:
    """A fitted topic model for one language; `labels[i]` names topic i by its top words."""

    language: str
    vectorizer: TfidfVectorizer
    svd: TruncatedSVD
    kmeans: KMeans
    labels: list[str]
    top_words: list[list[str]]
    sizes: list[int]
    data_hash: str
    created_at: str = field(default_factory=lambda: utcnow().isoformat())

    @property
    def version(self) -> str:
        return f"topics-{self.language}-{TOPIC_RECIPE}-k{len(self.labels)}-{self.data_hash[:8]}"

    def clusters(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray[Any, Any]:
        if not token_lists:
            return np.zeros(0, dtype=int)
        docs = [_with_bigrams(topic_tokens(t, self.language)) for t in token_lists]
        weights = normalize(self.svd.transform(self.vectorizer.transform(docs)))
        found: np.ndarray[Any, Any] = self.kmeans.predict(weights)
        return found

    def assign(self, token_lists: Sequence[Sequence[str]]) -> list[str]:
        """The topic label of each tokenised text."""
        return [self.labels[int(c)] for c in self.clusters(token_lists)]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": TOPIC_FORMAT, "model": self}
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        joblib.dump(payload, tmp)
        Path(tmp).replace(path)


def fit_topics(
    token_lists: Sequence[Sequence[str]], *, language: str, k: int, seed: int = 0
) -> TopicModel:
    """LSA (truncated SVD) of word + bigram TF-IDF, then k-means (k) on the normalised vectors.

    Raises InvalidInputError with fewer than MIN_DOCS texts that have content words.
    """
    docs = [_with_bigrams(topic_tokens(t, language)) for t in token_lists]
    docs = [d for d in docs if d]
    if len(docs) < max(MIN_DOCS, k):
        raise InvalidInputError(
            f"{len(docs)} {language} texts with content words: too few for {k} topics",
            language=language,
        )
    vectorizer = _vectorizer(len(docs))
    matrix = vectorizer.fit_transform(docs)
    components = max(1, min(LSA_COMPONENTS, matrix.shape[1] - 1, len(docs) - 1))
    svd = TruncatedSVD(n_components=components, random_state=seed)
    weights = normalize(svd.fit_transform(matrix))
    kmeans = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(weights)
    vocabulary = np.asarray(vectorizer.get_feature_names_out())
    top_words: list[list[str]] = []
    sizes: list[int] = []
    for cluster in range(k):
        members = kmeans.labels_ == cluster
        sizes.append(int(members.sum()))
        words: list[str] = []
        if members.any():
            mean = np.asarray(matrix[members].mean(axis=0)).ravel()
            words = [str(vocabulary[i]).replace("_", " ") for i in np.argsort(-mean)[:TOP_WORDS]]
        top_words.append(words)
    labels = _unique_labels(top_words, language)
    digest = hashlib.sha256("\n".join(" ".join(d) for d in docs).encode()).hexdigest()
    return TopicModel(language, vectorizer, svd, kmeans, labels, top_words, sizes, digest)


def _unique_labels(top_words: Sequence[Sequence[str]], language: str) -> list[str]:
    joiner = "/" if language != "en" else " / "
    labels: list[str] = []
    for i, words in enumerate(top_words):
        label = joiner.join(words[:LABEL_WORDS]) or f"topic {i + 1}"
        labels.append(label if label not in labels else f"{label} ({i + 1})")
    return [label[:120] for label in labels]


def topic_model_path(models_dir: Path, language: str) -> Path:
    return models_dir / f"topics-{language}.joblib"


def load_topic_models(models_dir: Path) -> dict[str, TopicModel]:
    """The fitted topic model per language found in `models_dir` (our own files only)."""
    found: dict[str, TopicModel] = {}
    for language in ("zh", "en"):
        path = topic_model_path(models_dir, language)
        if path.is_file():
            payload = joblib.load(path)  # our own file, written by TopicModel.save
            if isinstance(payload, dict) and payload.get("format") == TOPIC_FORMAT:
                found[language] = payload["model"]
    return found


FIT_SAMPLE = 100_000  # texts per language a model is fitted on; all texts are then assigned


def _tokens(texts: Sequence[str], language: Language, *, to_simplified: bool) -> list[list[str]]:
    return [tokenise(normalise(t, to_simplified=to_simplified), language) for t in texts]


def refit_topics(
    factory: sessionmaker[Session],
    models_dir: Path,
    *,
    k: int,
    to_simplified: bool = True,
    sample: int = FIT_SAMPLE,
    batch_size: int = 5_000,
    seed: int = 0,
) -> dict[str, TopicModel]:
    """Fit a topic model per language (zh, en) on up to `sample` analysed texts, save it, and
    set feedback_analysis.topic on every analysed text of that language (one transaction per
    batch). Languages with too few texts keep no model and their topics are cleared.
    """
    fitted: dict[str, TopicModel] = {}
    rng = np.random.default_rng(seed)
    for language in ("zh", "en"):
        with session_scope(factory) as session:
            ids = list(
                session.scalars(
                    select(FeedbackAnalysis.feedback_id)
                    .where(FeedbackAnalysis.language == language)
                    .order_by(FeedbackAnalysis.feedback_id)
                )
            )
            chosen = sorted(rng.choice(ids, size=min(sample, len(ids)), replace=False).tolist())
            texts = _texts(session, chosen)
        try:
            model = fit_topics(
                _tokens(texts, language, to_simplified=to_simplified),
                language=language,
                k=k,
                seed=seed,
            )
        except InvalidInputError:
            model = None
        path = topic_model_path(models_dir, language)
        if model is None:
            path.unlink(missing_ok=True)
        else:
            model.save(path)
            fitted[language] = model
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            with session_scope(factory) as session:
                labels: Sequence[str | None] = (
                    model.assign(
                        _tokens(_texts(session, batch), language, to_simplified=to_simplified)
                    )
                    if model is not None
                    else [None] * len(batch)
                )
                session.execute(
                    update(FeedbackAnalysis),
                    [
                        {"feedback_id": i, "topic": label}
                        for i, label in zip(batch, labels, strict=True)
                    ],
                )
    return fitted


def _texts(session: Session, ids: Sequence[int]) -> list[str]:
    """Redacted texts of `ids`, in that order (queried in chunks under parameter limits)."""
    found: dict[int, str] = {}
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        found.update(
            session.execute(
                select(FeedbackAnalysis.feedback_id, FeedbackAnalysis.redacted_text).where(
                    FeedbackAnalysis.feedback_id.in_(chunk)
                )
            ).all()
        )
    return [found[i] for i in ids]

"""The text pipeline over feedback: redact, detect, normalise, segment, score, store per feedback.

Incremental: a feedback is (re)analysed when it has no analysis yet, when the active model
version differs from the stored one, or when its text changed (feedback.updated_at after the
analysis and a different text hash).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.db import session_scope, utcnow
from trustpulse.errors import NotFoundError
from trustpulse.feedback.models import Feedback
from trustpulse.pii import PLACEHOLDER_PATTERN, redact
from trustpulse.text.aspect_classifier import AspectClassifier, load_classifier
from trustpulse.text.aspect_model import AspectModel
from trustpulse.text.aspect_model import load_model as load_aspect_model
from trustpulse.text.aspects import AspectTagger
from trustpulse.text.config import TextConfig, load_text_config
from trustpulse.text.default_model import DefaultSentiment, load_default
from trustpulse.text.language import (
    Language,
    add_user_terms,
    comparable,
    detect_language,
    normalise,
    tokenise,
)
from trustpulse.text.models import FeedbackAnalysis, WatchHitRow
from trustpulse.text.pending import PendingScope, count_pending, pending_query
from trustpulse.text.sentiment import Prediction, SentimentModel, load_model
from trustpulse.text.topics import TopicModel, load_topic_models
from trustpulse.text.watch import WatchMatcher

logger = logging.getLogger(__name__)

_EN_STOPWORDS = frozenset(
    (  # noqa: SIM905 -- a word list reads best as text
        "a an and are as at be but by for from had has have i in is it its me my no not "
        "of on or our so that the their them they this to too was we were what when with "
        "you your very just been do did get got will would can could there here than "
        "then out up"
    ).split()
)


# the polarity score of an aspect whose sentiment comes from a cue, not the model
CUE_SCORE = 0.5


@dataclass
class Analyzer:
    """The active models: the default, replaced per language by custom model files."""

    default: DefaultSentiment
    custom: dict[str, SentimentModel] = field(default_factory=dict)
    to_simplified: bool = True
    keywords_per_text: int = 5
    aspects: AspectTagger | None = None
    watch: WatchMatcher | None = None
    # fitted by `text topics --fit`; not part of the version: fitting reassigns topics itself
    topics: dict[str, TopicModel] = field(default_factory=dict)

    @property
    def version(self) -> str:
        parts = [self.default.version] + [
            f"{k}={m.version}" for k, m in sorted(self.custom.items())
        ]
        parts += [m.version for m in (self.aspects, self.watch) if m is not None]
        return ";".join(parts)[:120]

    def sentiment(self, texts: Sequence[str], languages: Sequence[Language]) -> list[Prediction]:
        out = self.default.predict(texts, languages=languages)
        for language, model in self.custom.items():
            rows = [i for i, lang in enumerate(languages) if lang == language]
            for i, prediction in zip(rows, model.predict([texts[i] for i in rows]), strict=True):
                out[i] = prediction
        return out


def build_analyzer(settings: Settings, config: TextConfig | None = None) -> Analyzer:
    config = config or load_text_config(settings)
    add_user_terms(config.user_terms)
    custom = {
        language: load_model(Path(path).expanduser())
        for language, path in config.models.model_dump().items()
        if path != "default"
    }
    return Analyzer(
        default=load_default(settings.home / "models"),
        custom=custom,
        to_simplified=config.to_simplified,
        keywords_per_text=config.keywords_per_text,
        aspects=(
            AspectTagger(
                config.aspects,
                config.aspect_ignore,
                config.aspect_cues,
                model=aspect_model_of(config.aspect_model),
                classifier=aspect_classifier_of(config.aspect_classifier),
            )
            if config.aspects
            else None
        ),
        watch=WatchMatcher(config.watchlists) if config.watchlists else None,
        topics=load_topic_models(settings.home / "models"),
    )


def aspect_model_of(setting: str | None) -> AspectModel | None:
    """text.yaml's `aspect_model`: None, or the path of a model file (`text train-aspects`)."""
    return None if setting is None else load_aspect_model(Path(setting).expanduser())


def aspect_classifier_of(setting: str | None) -> AspectClassifier | None:
    """text.yaml's `aspect_classifier`: None, or the path of a classifier file."""
    return None if setting is None else load_classifier(Path(setting).expanduser())


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def keywords(tokens: Sequence[str], language: Language, limit: int) -> list[str]:
    """The most frequent content words, first occurrence breaking ties."""
    if language == "zh":
        candidates = [t for t in tokens if len(t) > 1 and not t.isdigit()]
    else:
        candidates = [t for t in tokens if len(t) > 2 and t not in _EN_STOPWORDS]
    counts = Counter(candidates)
    return [word for word, _ in counts.most_common(limit)]


@dataclass(frozen=True)
class TextResult:
    language: Language
    redacted_text: str
    pii_types: list[str]
    tokens: list[str]
    comparable: str  # the redacted text folded for matching, same offsets


def prepare(text: str, *, to_simplified: bool = True) -> TextResult:
    """PII first (on the raw text), then language, normalisation and tokens of the redacted text."""
    redaction = redact(text)
    language = detect_language(redaction.text)
    normalised = normalise(redaction.text, to_simplified=to_simplified)
    return TextResult(
        language=language,
        redacted_text=redaction.text,
        pii_types=sorted({s.kind for s in redaction.spans}),
        tokens=tokenise(normalised, language),
        comparable=comparable(redaction.text, to_simplified=to_simplified),
    )


def aspect_results(
    analyzer: Analyzer, prepared: Sequence[TextResult]
) -> list[list[dict[str, Any]]]:
    """Aspects per text, each scored by the active sentiment model on its clause(s); where the
    model finds the clause neutral, the lexicon's cues (slow, 贵) decide, scored ±CUE_SCORE.

    One sentiment call for the whole batch; span = [start, end) of the term in redacted_text.
    """
    tagger = analyzer.aspects
    if tagger is None:
        return [[] for _ in prepared]
    mentions = [tagger.mentions(p.comparable) for p in prepared]
    scopes, languages, cues = [], [], []
    for result, found in zip(prepared, mentions, strict=True):
        for m in found:
            scope = result.redacted_text[m.scope_start : m.scope_end]
            scopes.append(PLACEHOLDER_PATTERN.sub(" ", scope))
            languages.append(result.language)
            cues.append(tagger.cue(result.comparable[m.scope_start : m.scope_end]))
    predictions = iter(analyzer.sentiment(scopes, languages))
    clause_cues = iter(cues)
    out: list[list[dict[str, Any]]] = []
    for found in mentions:
        rows = []
        for m in found:
            prediction, cue = next(predictions), next(clause_cues)
            if cue is not None and prediction.label == "neutral":
                prediction = Prediction(cue, CUE_SCORE if cue == "positive" else -CUE_SCORE)
            rows.append(
                {
                    "aspect": m.aspect,
                    "dimension": m.dimension,
                    "sentiment_label": prediction.label,
                    "sentiment_score": prediction.score,
                    "span": [m.start, m.end],
                }
            )
        out.append(rows)
    return out


def topic_labels(analyzer: Analyzer, prepared: Sequence[TextResult]) -> list[str | None]:
    """The topic of each text under its language's fitted topic model (None without one)."""
    labels: list[str | None] = [None] * len(prepared)
    for language, model in analyzer.topics.items():
        rows = [i for i, p in enumerate(prepared) if p.language == language]
        if rows:
            for i, label in zip(
                rows, model.assign([prepared[i].tokens for i in rows]), strict=True
            ):
                labels[i] = label
    return labels


def analyse_batch(
    session: Session,
    analyzer: Analyzer,
    *,
    after_id: int = 0,
    batch_size: int = 500,
    brand_ids: tuple[int, ...] | None = None,
    excluded: tuple[int, ...] = (),
    since: datetime | None = None,
    end_id: int | None = None,
) -> tuple[int, int, int]:
    """Analyse the next batch of pending feedback with after_id < id <= end_id, of `brand_ids`
    (None: every brand) minus `excluded`.

    Returns (last id looked at, rows written, rows looked at); last id is 0 when none remain.
    Does not commit.
    """
    version = analyzer.version
    ids = list(
        session.scalars(
            pending_query(
                PendingScope(version, brand_ids, excluded),
                since=since,
                start_id=after_id + 1,
                end_id=end_id,
            )
            .order_by(Feedback.id)
            .limit(batch_size)
        )
    )
    if not ids:
        return 0, 0, 0
    rows = session.execute(
        select(Feedback.id, Feedback.text, FeedbackAnalysis)
        .outerjoin(FeedbackAnalysis, FeedbackAnalysis.feedback_id == Feedback.id)
        .where(Feedback.id.in_(ids))
    ).all()
    todo: list[tuple[int, str, FeedbackAnalysis | None]] = []
    for feedback_id, text, stored in rows:
        previous: FeedbackAnalysis | None = stored
        if (
            previous is not None
            and previous.text_hash == text_hash(text or "")
            and previous.model_version == version
        ):
            previous.analysed_at = utcnow()  # text touched but unchanged: nothing to redo
            continue
        todo.append((feedback_id, text or "", previous))
    prepared = [prepare(text, to_simplified=analyzer.to_simplified) for _, text, _ in todo]
    # placeholders carry no sentiment and were never in any training text
    predictions = analyzer.sentiment(
        [PLACEHOLDER_PATTERN.sub(" ", p.redacted_text) for p in prepared],
        [p.language for p in prepared],
    )
    aspects = aspect_results(analyzer, prepared)
    topics = topic_labels(analyzer, prepared)
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    for (feedback_id, text, existing), result, prediction, found, topic in zip(
        todo, prepared, predictions, aspects, topics, strict=True
    ):
        values = {
            "language": result.language,
            "sentiment_label": prediction.label,
            "sentiment_score": prediction.score,
            "redacted_text": result.redacted_text,
            "pii_types": result.pii_types,
            "keywords": keywords(result.tokens, result.language, analyzer.keywords_per_text),
            "aspects": found,
            "topic": topic,
            "model_version": version,
            "text_hash": text_hash(text),
            "analysed_at": now,
        }
        if existing is None:
            new_rows.append({"feedback_id": feedback_id, **values})
        else:
            for name, value in values.items():
                setattr(existing, name, value)
    session.flush()
    if new_rows:
        # one multi-row INSERT (insertmanyvalues) instead of one ORM object per row
        session.execute(insert(FeedbackAnalysis), new_rows)
    _store_watch_hits(session, analyzer, [t[0] for t in todo], prepared)
    return max(ids), len(todo), len(ids)


def _store_watch_hits(
    session: Session,
    analyzer: Analyzer,
    feedback_ids: Sequence[int],
    prepared: Sequence[TextResult],
) -> None:
    """Replace the batch's watch hits: one DELETE and one multi-row INSERT per batch."""
    if not feedback_ids:
        return
    session.execute(delete(WatchHitRow).where(WatchHitRow.feedback_id.in_(feedback_ids)))
    if analyzer.watch is None:
        return
    rows = [
        {"feedback_id": feedback_id, "watchlist": hit.watchlist, "term": hit.term}
        for feedback_id, result in zip(feedback_ids, prepared, strict=True)
        for hit in analyzer.watch.hits(result.comparable)
    ]
    if rows:
        session.execute(insert(WatchHitRow), rows)


def brand_id_of(session: Session, code: str) -> int:
    brand_id = session.scalar(select(Brand.id).where(Brand.code == code))
    if brand_id is None:
        raise NotFoundError(f"no brand {code!r}", brand=code)
    return brand_id


def since_instant(day: date | datetime | None) -> datetime | None:
    """A --since date means from 00:00 UTC of that day."""
    if day is None or isinstance(day, datetime):
        return day
    return datetime.combine(day, time.min).replace(tzinfo=utcnow().tzinfo)


def run_analysis(
    factory: sessionmaker[Session],
    analyzer: Analyzer,
    *,
    brand: str | None = None,
    brand_ids: tuple[int, ...] | None = None,
    excluded: tuple[int, ...] = (),
    since: date | datetime | None = None,
    batch_size: int = 500,
    start_id: int | None = None,
    end_id: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Analyse all pending feedback with one analyzer (with start_id <= id <= end_id when
    given), one transaction per batch (progress survives a crash).

    `brand` (a code) or `brand_ids` limit the feedback, `excluded` leaves brands out; whichever
    feedback this covers is scored with `analyzer` (text/active.py picks each brand's own).
    Returns the number of rows (re)written. Callbacks receive the pending total, then each
    batch's row count.
    """
    since_at = since_instant(since)
    if brand is not None:
        with session_scope(factory) as session:
            brand_ids = (brand_id_of(session, brand),)
    if on_start is not None:
        with session_scope(factory) as session:
            scope = PendingScope(analyzer.version, brand_ids, excluded)
            on_start(
                count_pending(session, scope, since=since_at, start_id=start_id, end_id=end_id)
            )
    written, after_id = 0, (start_id - 1 if start_id is not None else 0)
    while True:
        with session_scope(factory) as session:
            after_id, n_written, n_seen = analyse_batch(
                session,
                analyzer,
                after_id=after_id,
                batch_size=batch_size,
                brand_ids=brand_ids,
                excluded=excluded,
                since=since_at,
                end_id=end_id,
            )
        if n_seen == 0:
            break
        written += n_written
        if on_batch is not None:
            on_batch(n_seen)
    logger.info("text analysis wrote %s rows with %s", written, analyzer.version)
    return written

"""The active responsibility-hint models (text.yaml `hints`) and what they say about texts.

A hint is a suggestion, not an attribution: the label each model finds most likely and its
probability. complaints/hints.py stores one per complaint and the desk pre-fills with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from trustpulse.pii import PLACEHOLDER_PATTERN, redact
from trustpulse.text.config import HintSettings
from trustpulse.text.sentiment import SentimentModel, load_model

# the labelled sample says customer_side (docs/text.md); the complaint desk says customer
RESPONSIBILITY_NAMES = {"customer_side": "customer"}


def hint_input(text: str) -> str:
    """What a hint model reads, and is trained on from the desk: the text with personal data
    cut out (the placeholders too, so a model learns no `[PHONE]` habit of one channel)."""
    return PLACEHOLDER_PATTERN.sub(" ", redact(text).text)


@dataclass(frozen=True)
class Hint:
    responsibility: str | None
    responsibility_score: float | None
    root_cause: str | None
    root_cause_score: float | None


@dataclass(frozen=True)
class HintModels:
    """The configured models; either may be missing (a desk may hint only responsibility)."""

    responsibility: SentimentModel | None = None
    root_cause: SentimentModel | None = None

    @property
    def version(self) -> str:
        parts = [
            f"{task}={model.version}"
            for task, model in (("responsibility", self.responsibility), ("cause", self.root_cause))
            if model is not None
        ]
        return ";".join(parts)[:120]

    def hint(self, texts: Sequence[str]) -> list[Hint]:
        """One hint per text, from its redacted words (the models never saw our placeholders)."""
        cleaned = [hint_input(t) for t in texts]
        parties = self.responsibility.predict(cleaned) if self.responsibility else None
        causes = self.root_cause.predict(cleaned) if self.root_cause else None
        hints = []
        for i in range(len(cleaned)):
            party = parties[i] if parties is not None else None
            cause = causes[i] if causes is not None else None
            hints.append(
                Hint(
                    responsibility=(
                        RESPONSIBILITY_NAMES.get(party.label, party.label) if party else None
                    ),
                    responsibility_score=party.score if party else None,
                    root_cause=cause.label if cause else None,
                    root_cause_score=cause.score if cause else None,
                )
            )
        return hints


def load_hint_models(config: HintSettings) -> HintModels | None:
    """The configured models, or None when no hint model is configured. Model files are read
    once per (path, size, modification time): the pipeline asks every few minutes.

    Raises InvalidInputError for a missing or unreadable file.
    """
    if not config.configured:
        return None
    return HintModels(
        responsibility=_cached(config.responsibility),
        root_cause=_cached(config.root_cause),
    )


_models: dict[tuple[str, int, int], SentimentModel] = {}
_MODELS_MAX = 16


def _cached(path_text: str | None) -> SentimentModel | None:
    if path_text is None:
        return None
    path = Path(path_text).expanduser()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return load_model(path)  # raises the usual "does not exist" InvalidInputError
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    model = _models.get(key)
    if model is None:
        model = load_model(path)
        if len(_models) >= _MODELS_MAX:
            _models.clear()
        _models[key] = model
    return model

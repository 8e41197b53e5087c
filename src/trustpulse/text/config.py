"""Text analysis configuration (config/text.yaml): models, user terms, batch size, watch lists,
the aspect lexicon, topic settings and the complaint hint models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trustpulse.config import Settings
from trustpulse.config_files import load_config

TrustDimension = Literal[
    "product_reliability",
    "service_responsiveness",
    "information_transparency",
    "professionalism",
    "responsibility",
    "price_value",
]
TRUST_DIMENSIONS: tuple[TrustDimension, ...] = (
    "product_reliability",
    "service_responsiveness",
    "information_transparency",
    "professionalism",
    "responsibility",
    "price_value",
)


class TextModels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: str = "default"
    en: str = "default"


class AspectSpec(BaseModel):
    """One aspect: the trust dimension it carries and its terms in any language (`re:` = regex)."""

    model_config = ConfigDict(extra="forbid")

    dimension: TrustDimension
    terms: list[str] = Field(default_factory=list)


class AspectCues(BaseModel):
    """Words that give an aspect's clause a polarity where the sentiment model sees none
    ("delivery slow": slow says nothing in general, much about a delivery). `ignore` holds words
    that contain a cue without being one (快递 is not 快)."""

    model_config = ConfigDict(extra="forbid")

    negative: list[str] = Field(default_factory=list)
    positive: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)


class TopicSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    k: int = Field(10, ge=2, le=200)
    # emerging: share in the latest period >= ratio x baseline share and >= min_count texts
    emerging_ratio: float = Field(2.0, gt=1.0)
    emerging_min_count: int = Field(10, ge=1)
    baseline_periods: int = Field(6, ge=1)


class HintSettings(BaseModel):
    """Responsibility hints for complaints: the active model files (from `text train-hints` or
    `text train`), none by default. `root_cause_paths` maps a root-cause label of the model to
    a node of complaints.yaml `root_causes`, so the desk can pre-select it; a label that is
    itself a node needs no entry."""

    model_config = ConfigDict(extra="forbid")

    responsibility: str | None = None
    root_cause: str | None = None
    root_cause_paths: dict[str, str] = Field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return self.responsibility is not None or self.root_cause is not None


class TextConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: TextModels = Field(default_factory=TextModels)
    user_terms: list[str] = Field(default_factory=list)
    to_simplified: bool = True
    batch_size: int = Field(500, ge=1, le=100_000)
    # the scheduler's `text.analyze` run over new and changed texts (global setting only)
    analyze_every_seconds: int = Field(300, ge=10)
    keywords_per_text: int = Field(5, ge=0, le=50)
    # list name -> {canonical term: [synonyms]}
    watchlists: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    aspects: dict[str, AspectSpec] = Field(default_factory=dict)
    # phrases that contain aspect terms but say nothing about the aspect (客服你好: a greeting)
    aspect_ignore: list[str] = Field(default_factory=list)
    aspect_cues: AspectCues = Field(default_factory=AspectCues)
    # a learnt check on the lexicon's mentions: the path of a file from `trustpulse text
    # train-aspects` (None: the lexicon alone)
    aspect_model: str | None = None
    # a text-level classifier that can tag what the lexicon missed: the path of a file from
    # `text train-aspect-classifier` (None: the lexicon, and its check, alone)
    aspect_classifier: str | None = None
    # self-train the default Chinese sentiment model on each group's own texts once it has
    # enough of them (text/adapt.py); false: the unadapted default always
    adapt_default: bool = True
    topics: TopicSettings = Field(default_factory=TopicSettings)
    hints: HintSettings = Field(default_factory=HintSettings)


def load_text_config(settings: Settings, *, brand: str | None = None) -> TextConfig:
    return load_config("text", TextConfig, settings=settings, brand=brand)

"""Text analysis configuration (config/text.yaml): active models, user terms, batch size."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from trustpulse.config import Settings
from trustpulse.config_files import load_config


class TextModels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: str = "default"
    en: str = "default"


class TextConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: TextModels = Field(default_factory=TextModels)
    user_terms: list[str] = Field(default_factory=list)
    to_simplified: bool = True
    batch_size: int = Field(500, ge=1, le=100_000)
    keywords_per_text: int = Field(5, ge=0, le=50)


def load_text_config(settings: Settings, *, brand: str | None = None) -> TextConfig:
    return load_config("text", TextConfig, settings=settings, brand=brand)

"""Text fixtures: the default model is trained once per test session and copied where needed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trustpulse.config import Settings
from trustpulse.text.default_model import DefaultSentiment, load_default


@pytest.fixture(scope="session")
def default_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding the trained default model (training takes ~10 s, once)."""
    folder = tmp_path_factory.mktemp("text-home") / "models"
    load_default(folder)
    return folder


@pytest.fixture(scope="session")
def default_sentiment(default_models_dir: Path) -> DefaultSentiment:
    return load_default(default_models_dir)


@pytest.fixture
def home_with_default_model(settings: Settings, default_models_dir: Path) -> Path:
    """settings.home/models with the session's default model file in it (no retraining)."""
    target = settings.home / "models"
    target.mkdir(parents=True, exist_ok=True)
    for model_file in default_models_dir.glob("*.joblib"):
        if not (target / model_file.name).exists():
            shutil.copy(model_file, target / model_file.name)
    return target

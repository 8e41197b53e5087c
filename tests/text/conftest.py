"""Text fixtures: the default model is trained once per test session and copied where needed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
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


@pytest.fixture
def real_reviews(shared_data: Path) -> list[str]:
    """Real Chinese reviews: all of waimai_10k and the first 3,000 of online_shopping_10_cats."""
    frame = pd.read_csv(shared_data / "waimai_10k" / "waimai_10k.csv")
    shopping = pd.read_csv(
        shared_data / "online_shopping_10_cats" / "online_shopping_10_cats.csv.gz", nrows=3000
    )
    texts = frame["review"].dropna().astype(str).tolist()
    texts += shopping["review"].dropna().astype(str).tolist()
    return texts

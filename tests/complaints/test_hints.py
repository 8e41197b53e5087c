"""'Complaints we can fix': responsibility ours among cases whose responsibility is known, the
agent's attribution where there is one, else the complaint's hint (issue #5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.complaints.conftest import Api, Desk
from tests.text.hint_fixtures import CUSTOMER, EXTERNAL, OURS, hints_yaml, train_hint_files
from trustpulse.complaints.hints import hint_batch
from trustpulse.text.config import HintSettings
from trustpulse.text.hints import HintModels, load_hint_models

WriteConfig = Callable[[str, str, str], None]


@pytest.fixture(scope="module")
def hint_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return train_hint_files(tmp_path_factory.mktemp("hint-models"))


@pytest.fixture
def models(hint_files: dict[str, Path]) -> HintModels:
    loaded = load_hint_models(
        HintSettings(
            responsibility=str(hint_files["responsibility"]),
            root_cause=str(hint_files["root_cause"]),
        )
    )
    assert loaded is not None
    return loaded


def _metrics(api: Api) -> dict[str, Any]:
    response = api.client.get("/api/complaints/metrics?brand=acme&by=all")
    assert response.status_code == 200, response.text
    (row,) = response.json()
    return dict(row)


def _desk_cases(api: Api, desk: Desk) -> None:
    """Hinted ours, customer and external; the external one resolved as ours; one without
    text. Known: 3 (two hints, one attribution); ours: 2."""
    api.open(description=OURS)
    api.open(description=CUSTOMER)
    overruled = api.ok(api.open(description=EXTERNAL), "acknowledge", actor_id=desk.wang)
    api.ok(
        overruled,
        "resolve",
        actor_id=desk.wang,
        root_cause="billing.overcharge",
        responsibility="ours",
        summary="our card system let it through",
    )
    api.open(severity="P4")  # no text: no hint, no attribution


def test_fixable_share_takes_the_attribution_else_the_hint(
    api: Api,
    desk: Desk,
    session: Session,
    models: HintModels,
    *,
    brand_config: WriteConfig,
    hint_files: dict[str, Path],
) -> None:
    brand_config("acme", "text", hints_yaml(hint_files))
    _desk_cases(api, desk)
    assert hint_batch(session, models, brand_ids=(desk.brand_id,)) != (0, 0)
    row = _metrics(api)
    assert row["n"] == 4
    assert row["responsibility_known"] == 3
    assert row["responsibility_hinted"] == 2
    assert row["fixable"] == 2
    assert row["fixable_share"] == pytest.approx(2 / 3)


def test_without_a_hint_model_the_share_counts_attributions_only(
    api: Api, desk: Desk, session: Session, models: HintModels
) -> None:
    _desk_cases(api, desk)
    hint_batch(session, models, brand_ids=(desk.brand_id,))  # stored earlier, model since removed
    row = _metrics(api)
    assert (row["responsibility_known"], row["responsibility_hinted"], row["fixable"]) == (1, 0, 1)
    assert row["fixable_share"] == 1.0


def test_a_brand_without_known_responsibility_has_no_share(api: Api, desk: Desk) -> None:
    api.open(description=OURS)
    row = _metrics(api)
    assert row["responsibility_known"] == 0
    assert row["fixable_share"] is None


def test_hinting_twice_writes_nothing_new(
    api: Api, desk: Desk, session: Session, models: HintModels
) -> None:
    api.open(description=OURS)
    api.open(title="bill", description=CUSTOMER)
    assert hint_batch(session, models, brand_ids=(desk.brand_id,))[1] == 2
    assert hint_batch(session, models, brand_ids=(desk.brand_id,)) == (0, 0)

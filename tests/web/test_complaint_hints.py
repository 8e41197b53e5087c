"""The complaint desk pre-fills the resolve form from the complaint's responsibility hint, says
it is a suggestion with its confidence, and says nothing without a hint model."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.complaints.conftest import Api, Desk
from tests.text.hint_fixtures import CUSTOMER, OURS, hints_yaml, train_hint_files
from tests.web.desk_fixtures import *  # noqa: F403 -- the desk's fixtures: api, client, clock, desk
from trustpulse.complaints.hints import hint_batch
from trustpulse.complaints.models import ComplaintHint
from trustpulse.config import Settings
from trustpulse.text.config import HintSettings
from trustpulse.text.hints import load_hint_models

SELECTED = re.compile(r'<option value="([^"]*)" selected>')


@pytest.fixture(scope="module")
def hint_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return train_hint_files(tmp_path_factory.mktemp("hint-models"))


def _hint(session: Session, desk: Desk, hint_files: dict[str, Path]) -> None:
    models = load_hint_models(
        HintSettings(
            responsibility=str(hint_files["responsibility"]),
            root_cause=str(hint_files["root_cause"]),
        )
    )
    assert models is not None
    hint_batch(session, models, brand_ids=(desk.brand_id,))


@pytest.fixture
def acme_hint_config(settings: Settings, hint_files: dict[str, Path]) -> Iterator[None]:
    path = settings.effective_config_dir / "brands" / "acme" / "text.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hints_yaml(hint_files), encoding="utf-8")
    yield
    path.unlink()


def _open(api: Api, desk: Desk, text: str) -> int:
    """An acknowledged case: resolving is offered from there on."""
    case = api.open(description=text, team_id=desk.team_id)
    return int(api.ok(case, "acknowledge", actor_id=desk.wang)["id"])


def _resolve_form(client: TestClient, cid: int) -> str:
    html = client.get(f"/complaints/{cid}?brand=acme&lang=en").text
    start = html.index('id="form-resolve"')
    return html[start : html.index("</form>", start)]


def test_the_resolve_form_starts_from_the_hint_and_says_so(
    client: TestClient,
    api: Api,
    desk: Desk,
    session: Session,
    *,
    hint_files: dict[str, Path],
    acme_hint_config: None,
) -> None:
    cid = _open(api, desk, OURS)
    _hint(session, desk, hint_files)
    hint = session.get(ComplaintHint, cid)
    assert hint is not None
    assert (hint.responsibility, hint.root_cause) == ("ours", "billing_error")
    form = _resolve_form(client, cid)
    # billing_error maps to billing.overcharge (config_defaults/text.yaml root_cause_paths)
    assert SELECTED.findall(form) == ["billing.overcharge", "ours"]
    assert f"Suggested: ours ({hint.responsibility_score:.2f})" in form
    assert f"({hint.root_cause_score:.2f})" in form
    assert 'id="hint-note"' in form
    assert "you decide" in form
    zh = client.get(f"/complaints/{cid}?brand=acme&lang=zh-CN").text
    assert "建议：" in zh


def test_a_hint_the_form_cannot_offer_is_shown_but_not_selected(
    client: TestClient,
    api: Api,
    desk: Desk,
    session: Session,
    *,
    hint_files: dict[str, Path],
    acme_hint_config: None,
) -> None:
    cid = _open(api, desk, CUSTOMER)
    _hint(session, desk, hint_files)
    form = _resolve_form(client, cid)
    # customer_device maps to customer.misuse; the responsibility is the desk's `customer`
    assert SELECTED.findall(form) == ["customer.misuse", "customer"]
    assert "Suggested: customer side (" in form


def test_without_a_hint_model_the_desk_says_nothing(
    client: TestClient, api: Api, desk: Desk, session: Session, hint_files: dict[str, Path]
) -> None:
    cid = _open(api, desk, OURS)
    _hint(session, desk, hint_files)  # a hint stored earlier; the model is no longer configured
    form = _resolve_form(client, cid)
    assert SELECTED.findall(form) == []
    assert "Suggested" not in form
    assert 'id="hint-note"' not in form


def test_a_form_sent_back_keeps_the_agents_choice_over_the_hint(
    client: TestClient,
    api: Api,
    desk: Desk,
    session: Session,
    *,
    hint_files: dict[str, Path],
    acme_hint_config: None,
) -> None:
    cid = _open(api, desk, OURS)
    _hint(session, desk, hint_files)
    body = {
        "version": str(api.get(cid)["version"]),
        "actor_id": str(desk.wang),
        "root_cause": "logistics.delay",
        "responsibility": "supplier",
        "summary": "",  # missing: the form comes back with the agent's choices
    }
    page = client.post(f"/complaints/{cid}/resolve?brand=acme&lang=en", data=body)
    assert page.status_code == 422, page.status_code
    start = page.text.index('id="form-resolve"')
    form = page.text[start : page.text.index("</form>", start)]
    assert SELECTED.findall(form) == ["logistics.delay", "supplier"]


def test_the_queue_shows_the_suggestion_until_the_agent_attributes(
    client: TestClient,
    api: Api,
    desk: Desk,
    session: Session,
    *,
    hint_files: dict[str, Path],
    acme_hint_config: None,
) -> None:
    hinted = _open(api, desk, OURS)
    attributed = _open(api, desk, CUSTOMER)
    _hint(session, desk, hint_files)
    case = api.get(attributed)
    api.ok(
        case, "resolve", actor_id=desk.wang, root_cause="external.third_party",
        responsibility="external", summary="the carrier's outage",
    )  # fmt: skip
    html = client.get("/complaints?brand=acme&state=all&lang=en").text
    hint = session.get(ComplaintHint, hinted)
    assert hint is not None
    row = _queue_row(html, hinted)
    assert f"Suggested: ours ({hint.responsibility_score:.2f})" in row
    # the agent's attribution replaces the model's guess (customer side)
    row = _queue_row(html, attributed)
    assert "Suggested" not in row
    assert "external" in row
    export = client.get("/complaints?brand=acme&state=all&lang=en&export=csv").text
    (line,) = [x for x in export.splitlines() if x.startswith(f"{hinted},")]
    assert line.endswith(f",,ours,{hint.responsibility_score}")


def test_the_queue_shows_no_suggestion_without_a_hint_model(
    client: TestClient, api: Api, desk: Desk, session: Session, hint_files: dict[str, Path]
) -> None:
    cid = _open(api, desk, OURS)
    _hint(session, desk, hint_files)
    assert "Suggested" not in _queue_row(client.get("/complaints?brand=acme&lang=en").text, cid)


def _queue_row(html: str, cid: int) -> str:
    start = html.index(f'<tr data-complaint="{cid}">')
    return html[start : html.index("</tr>", start)]

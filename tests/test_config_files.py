from __future__ import annotations

from pathlib import Path

import pytest
import typer
from pydantic import BaseModel, ConfigDict
from typer.testing import CliRunner

from trustpulse.config import Settings
from trustpulse.config_cli import register
from trustpulse.config_files import load_config
from trustpulse.errors import ConfigError
from trustpulse.notifications.schemas import NotificationsConfig
from trustpulse.runtime import build_runtime, set_runtime


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    first_response: int


class SlaConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = "Asia/Shanghai"
    policies: list[Policy]
    escalation: dict[str, int] = {}


SLA = """\
# SLA policies
timezone: Asia/Shanghai
policies:
  - name: system fault
    first_response: 15
  - name: billing
    first_response: 60
escalation:
  level1: 30
  level2: 120
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "config").mkdir()
    return Settings(home=tmp_path, config_dir=tmp_path / "config")


def _write(settings: Settings, relative: str, text: str) -> None:
    path = settings.effective_config_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_shipped_default_is_used_when_the_user_has_no_file(settings: Settings) -> None:
    config = load_config("notifications", NotificationsConfig, settings=settings)
    assert (config.max_attempts, config.backoff_seconds) == (5, 30)


def test_valid_user_file_is_loaded(settings: Settings) -> None:
    _write(settings, "sla.yaml", SLA)
    config = load_config("sla", SlaConfig, settings=settings)
    assert [p.first_response for p in config.policies] == [15, 60]


def test_brand_override_is_deep_merged(settings: Settings) -> None:
    _write(settings, "sla.yaml", SLA)
    _write(settings, "brands/acme/sla.yaml", "escalation:\n  level2: 90\n")
    config = load_config("sla", SlaConfig, settings=settings, brand="acme")
    assert config.escalation == {"level1": 30, "level2": 90}
    assert len(config.policies) == 2
    assert (
        load_config("sla", SlaConfig, settings=settings, brand="other").escalation["level2"] == 120
    )


def test_bad_type_names_file_line_and_field(settings: Settings) -> None:
    _write(settings, "sla.yaml", SLA.replace("first_response: 60", "first_response: an hour"))
    with pytest.raises(ConfigError) as caught:
        load_config("sla", SlaConfig, settings=settings)
    assert caught.value.message == (
        "config/sla.yaml line 7: policies.1.first_response: "
        "Input should be a valid integer, unable to parse string as an integer"
    )
    assert caught.value.details["line"] == 7


def test_error_in_a_brand_override_names_the_override(settings: Settings) -> None:
    _write(settings, "sla.yaml", SLA)
    _write(settings, "brands/acme/sla.yaml", "# acme\nescalation:\n  level1: soon\n")
    with pytest.raises(
        ConfigError, match=r"^config/brands/acme/sla.yaml line 3: escalation.level1"
    ):
        load_config("sla", SlaConfig, settings=settings, brand="acme")


def test_missing_field_points_at_its_block(settings: Settings) -> None:
    _write(settings, "sla.yaml", SLA.replace("    first_response: 15\n", ""))
    with pytest.raises(ConfigError, match=r"line 4: policies.0.first_response: Field required"):
        load_config("sla", SlaConfig, settings=settings)


def test_unknown_key_is_refused(settings: Settings) -> None:
    _write(settings, "notifications.yaml", "max_attempts: 3\nmax_attempt: 4\n")
    with pytest.raises(ConfigError, match="line 2: max_attempt: Extra inputs are not permitted"):
        load_config("notifications", NotificationsConfig, settings=settings)


def test_yaml_syntax_error_reports_its_line(settings: Settings) -> None:
    _write(settings, "sla.yaml", "timezone: UTC\npolicies: x: y\nescalation: {}\n")
    with pytest.raises(
        ConfigError, match=r"^config/sla.yaml line 2: invalid YAML: mapping values are not allowed"
    ):
        load_config("sla", SlaConfig, settings=settings)


def test_config_check_command_reports_bad_files(settings: Settings) -> None:
    app = typer.Typer()
    register(app)
    set_runtime(build_runtime(settings))
    try:
        ok = CliRunner().invoke(app, ["config", "check"])
        assert ok.exit_code == 0, ok.output
        _write(settings, "brands/acme/notifications.yaml", "max_attempts: 0\n")
        bad = CliRunner().invoke(app, ["config", "check"])
    finally:
        set_runtime(None)
    assert bad.exit_code == 1
    assert "brands/acme/notifications.yaml line 1: max_attempts" in bad.output

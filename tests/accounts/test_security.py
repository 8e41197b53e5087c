"""The guard's parts: the password, signed sessions, the kept secret key, the Settings switch."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from tests.accounts.conftest import PASSWORD, basic
from trustpulse.accounts.security import KEY_FILE, Guard, build_guard, kept_secret
from trustpulse.clock import ManualClock, use_clock
from trustpulse.config import Settings
from trustpulse.errors import ConfigError

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def _guard(home: Path, password: str = PASSWORD, **settings: Any) -> Guard:
    guard = build_guard(Settings(home=home, dashboard_password=password, **settings))
    assert guard is not None
    return guard


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".", maxsplit=1)[0]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return decoded


def test_no_password_means_no_guard_and_no_key_file(tmp_path: Path) -> None:
    assert build_guard(Settings(home=tmp_path)) is None
    assert not (tmp_path / KEY_FILE).exists()


def test_an_empty_password_is_refused_rather_than_taken_for_security_off() -> None:
    with pytest.raises(ValidationError, match="unset it to switch security off"):
        Settings(dashboard_password="  ")  # noqa: S106 -- a blank test password


def test_the_password_matches_exactly(tmp_path: Path) -> None:
    guard = _guard(tmp_path)
    assert guard.password_matches(PASSWORD)
    for wrong in ("", PASSWORD + " ", PASSWORD[:-1], PASSWORD.upper()):
        assert not guard.password_matches(wrong)
    assert PASSWORD not in repr(guard)


def test_basic_auth_takes_any_user_name_and_refuses_malformed_headers(tmp_path: Path) -> None:
    guard = _guard(tmp_path)
    assert guard.basic_auth_is_valid(basic(PASSWORD, "x")["Authorization"])
    assert guard.basic_auth_is_valid(basic(PASSWORD, "")["Authorization"])
    no_colon = base64.b64encode(PASSWORD.encode()).decode()
    for header in (
        None,
        "",
        "Bearer abc",
        f"Basic {no_colon}",
        "Basic !!!",
        basic("no")["Authorization"],
    ):
        assert not guard.basic_auth_is_valid(header)


def test_a_session_lasts_session_hours_then_expires(tmp_path: Path) -> None:
    guard = _guard(tmp_path, session_hours=12)
    clock = ManualClock(NOW)
    with use_clock(clock):
        token = guard.issue_session()
        assert _claims(token) == {
            "sub": "local",
            "exp": int((NOW + timedelta(hours=12)).timestamp()),
        }
        clock.advance(timedelta(hours=11, minutes=59))
        assert guard.session_is_valid(token)
        clock.advance(timedelta(minutes=1))
        assert not guard.session_is_valid(token)


@pytest.mark.parametrize(
    "token",
    [None, "", "abc", "a.b.c", "..", "é.é", "bm90IGpzb24.AAAA"],
)
def test_malformed_sessions_are_not_valid(tmp_path: Path, token: str | None) -> None:
    assert not _guard(tmp_path).session_is_valid(token)


def test_a_session_with_a_changed_payload_or_signature_is_refused(tmp_path: Path) -> None:
    guard = _guard(tmp_path)
    token = guard.issue_session()
    payload, signature = token.split(".")
    later = dict(_claims(token), exp=4_000_000_000)
    forged = base64.urlsafe_b64encode(json.dumps(later).encode()).rstrip(b"=").decode()
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert guard.session_is_valid(token)
    assert not guard.session_is_valid(f"{forged}.{signature}")
    assert not guard.session_is_valid(f"{payload}.{flipped}")
    assert not guard.session_is_valid(f"{payload}.")


def test_the_generated_key_is_private_and_kept_across_restarts(tmp_path: Path) -> None:
    first = _guard(tmp_path)
    key_file = tmp_path / KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key_file.read_text().strip()) >= 32
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temporary file left behind
    again = _guard(tmp_path)
    assert again.session_is_valid(first.issue_session())


def test_a_set_secret_key_is_used_and_no_key_file_is_written(tmp_path: Path) -> None:
    key = SecretStr("k" * 40)
    one = _guard(tmp_path / "one", secret_key=key)
    other = _guard(tmp_path / "other", secret_key=key)
    assert other.session_is_valid(one.issue_session())
    assert not (tmp_path / "one" / KEY_FILE).exists()
    assert not _guard(tmp_path / "third").session_is_valid(one.issue_session())


def test_changing_the_password_ends_every_session(tmp_path: Path) -> None:
    token = _guard(tmp_path).issue_session()
    other = _guard(tmp_path, password="another password")  # noqa: S106 -- a test password
    assert not other.session_is_valid(token)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / KEY_FILE
    key_file.write_text("x" * 48)
    key_file.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600") as refused:
        kept_secret(key_file)
    assert refused.value.details["file"] == str(key_file)


def test_a_key_file_without_a_usable_key_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / KEY_FILE
    key_file.write_text("short\n")
    key_file.chmod(0o600)
    with pytest.raises(ConfigError, match="delete it"):
        _guard(tmp_path)


def test_production_cookies_are_https_only(tmp_path: Path) -> None:
    production = _guard(tmp_path, environment="production", secret_key=SecretStr("p" * 40))
    assert production.secure_cookie
    assert not _guard(tmp_path).secure_cookie

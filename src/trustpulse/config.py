"""Process settings (env vars TRUSTPULSE_* and an optional config file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# the development secret key: refused in production; with security on, replaced by a generated
# key kept under home (accounts/security.py)
DEV_SECRET_KEY = "dev-only"  # noqa: S105 -- a known placeholder, never a real secret


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRUSTPULSE_", env_file=".env", extra="ignore", validate_default=True
    )

    # TRUSTPULSE_HOME holds the embedded database, models, rejects and logs (issue #2).
    home: Path = Path("~/.trustpulse")
    database_url: str | None = None  # None: SQLite file under home
    redis_url: str | None = None  # None: jobs run in-process (embedded mode)
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    # Security switch (docs/dashboard.md, "Access"): set, the dashboard asks for this password
    # and the API wants it (HTTP Basic or the login cookie); None, no login (embedded demo).
    dashboard_password: SecretStr | None = None
    session_hours: int = Field(default=12, ge=1, le=24 * 30)  # a login lasts this long
    environment: Literal["development", "production"] = "development"
    default_locale: Literal["zh-CN", "en"] = "zh-CN"
    default_timezone: str = "Asia/Shanghai"
    config_dir: Path | None = None  # YAML configuration; None: home/config
    import_chunk_rows: int = 20_000
    # PostgreSQL settings for TrustPulse's own sessions (libpq `options`; "" keeps the server's).
    # random_page_cost 1.1: the tables are in RAM or on SSD; at the default 4 the planner scanned
    # all 8.5M scores for one month of one channel (2.8 s) instead of probing the index (0.45 s).
    # jit off: compiling took 0.2 s of such queries, more than it saved (docs/benchmarks.md).
    postgres_options: str = "-c random_page_cost=1.1 -c jit=off"
    # Connections kept per process (PostgreSQL): the server runs up to 40 requests at once per
    # process, and with SQLAlchemy's default 5 (+10 overflow) most writes under load opened and
    # closed a connection of their own (790 in 3,000 requests, bench/sla.py).
    database_pool_size: int = Field(default=20, ge=1, le=200)

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("dashboard_password", mode="after")
    @classmethod
    def _refuse_empty_password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty: unset it to switch security off")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if (
            self.environment == "production"
            and self.secret_key.get_secret_value() == DEV_SECRET_KEY
        ):
            raise ValueError("TRUSTPULSE_SECRET_KEY must be set in production")
        return self

    @property
    def security_enabled(self) -> bool:
        """A login is required: the dashboard password is set."""
        return self.dashboard_password is not None

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'trustpulse.db'}"

    @property
    def effective_config_dir(self) -> Path:
        return self.config_dir or self.home / "config"

    @property
    def rejects_dir(self) -> Path:
        return self.home / "rejects"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()

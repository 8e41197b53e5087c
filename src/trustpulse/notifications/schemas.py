"""Pydantic models of the notification outbox: its configuration file (notifications.yaml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class NotificationsConfig(BaseModel):
    """Delivery settings read from notifications.yaml (defaults in config_defaults/)."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=5, ge=1, le=100)
    backoff_seconds: float = Field(default=30, gt=0)  # doubles after each failed attempt
    max_backoff_seconds: float = Field(default=3600, gt=0)
    poll_every_seconds: int = Field(default=60, ge=1)
    batch_size: int = Field(default=100, ge=1, le=10_000)

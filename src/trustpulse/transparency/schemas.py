"""transparency.yaml (which figures a brand publishes) and the snapshot API's response model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trustpulse.reports.transparency import FIGURES


class TransparencyConfig(BaseModel):
    """transparency.yaml: the figures published, in the order shown, and the root causes."""

    model_config = ConfigDict(extra="forbid")

    figures: list[str] = Field(min_length=1)
    root_causes: bool = True  # publish the quarter's main complaint root causes

    @field_validator("figures")
    @classmethod
    def _known_and_unique(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in FIGURES]
        if unknown:
            raise ValueError(
                f"unknown figure {unknown[0]!r}; choose from {', '.join(sorted(FIGURES))}"
            )
        if len(set(value)) != len(value):
            raise ValueError("a figure is listed twice")
        return value


class SnapshotOut(BaseModel):
    id: int
    brand: str
    quarter: str
    version: int
    published_at: datetime
    reason: str | None
    figures: dict[str, Any]

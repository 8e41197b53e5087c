"""Request and response models of the feedback API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trustpulse.pii import redact

# Cells arrive as the importer would read them: the API validates them with the importer's
# rules (feedback.validation), so a field here is deliberately loose.
Cell = str | int | float | None


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["survey", "review", "social"]
    source: str = Field(default="api", min_length=1, max_length=120)
    external_id: Cell = None
    customer_id: Cell = None
    occurred_at: Cell = None
    channel: Cell = None
    touchpoint: Cell = None
    language: Cell = None
    text: str | None = None
    nps: Cell = None
    csat: Cell = None
    ces: Cell = None
    rating: Cell = None
    product: Cell = None
    region: Cell = None

    def cells(self) -> dict[str, str]:
        """The record as text cells, keyed by canonical field (what a CSV row would hold)."""
        values = self.model_dump(exclude={"kind", "source"})
        return {k: "" if v is None else str(v) for k, v in values.items()}


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    channel: str
    touchpoint: str | None
    occurred_at: datetime
    language: str | None
    text: str | None
    product: str | None
    region: str | None
    source: str
    external_id: str
    customer_id: int | None
    raw: dict[str, Any]
    scores: dict[str, float] = Field(default_factory=dict)

    # Issue #5: personal data stays in the restricted feedback.text column; what leaves through
    # the API is redacted, here rather than read from feedback_analysis (the text domain sits
    # above feedback), with the same redactor the pipeline stores, so both give the same text.
    @field_validator("text", mode="after")
    @classmethod
    def _redact_text(cls, value: str | None) -> str | None:
        return None if value is None else redact(value).text

    @field_validator("raw", mode="after")
    @classmethod
    def _redact_cells(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {key: _redacted(cell) for key, cell in value.items()}


def _redacted(cell: Any) -> Any:
    if isinstance(cell, str):
        return redact(cell).text
    if isinstance(cell, list):
        return [_redacted(item) for item in cell]
    if isinstance(cell, dict):
        return {key: _redacted(item) for key, item in cell.items()}
    return cell


class FeedbackPage(BaseModel):
    items: list[FeedbackOut]
    total: int
    limit: int
    offset: int

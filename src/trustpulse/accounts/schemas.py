"""Pydantic models for users and teams (request and response shapes)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

Username = str


class UserCreate(BaseModel):
    username: Username = Field(min_length=1, max_length=80, pattern=r"^[\w.-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str | None
    is_active: bool


class TeamCreate(BaseModel):
    """A team; the lead, if any, must be one of the members."""

    name: str = Field(min_length=1, max_length=120)
    brand_id: int | None = None  # None: shared by all brands
    lead_id: int | None = None
    member_ids: list[int] = Field(default_factory=list)
    calendar: str | None = Field(default=None, max_length=80)

    @model_validator(mode="after")
    def _lead_is_member(self) -> TeamCreate:
        if self.lead_id is not None and self.lead_id not in self.member_ids:
            raise ValueError("the team lead must be a member of the team")
        return self


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    brand_id: int | None
    lead_id: int | None
    calendar: str | None
    created_at: datetime
    members: list[UserOut]

"""Configuration of case rules, root causes, compensation, promises and the follow-up survey.

These models are parts of complaints.yaml (`ComplaintsConfig` in config.py); each is validated at
load, so a bad rule or matrix row is refused with the file, line and reason.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trustpulse.complaints.models import Severity

FeedbackKindName = Literal["survey", "review", "social", "complaint"]
ResponsibilityName = Literal["ours", "supplier", "customer", "external"]
CompensationKind = Literal["refund", "coupon", "points", "extended_warranty", "service_credit"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreBound(_Strict):
    """A score threshold: the feedback's score must lie within [min, max] (absent = open)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ScoreBound:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self

    def holds(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class CaseRule(_Strict):
    """Feedback that matches every given condition opens a case (first matching rule wins).

    `scores` names score metrics (nps, csat, rating, solved …) with bounds; `keywords` match
    the text case-insensitively (any of them); `with_text` requires a non-empty comment.
    """

    name: str = Field(min_length=1, max_length=80)
    channel: list[str] | None = None
    kind: list[FeedbackKindName] | None = None
    scores: dict[str, ScoreBound] = Field(default_factory=dict)
    keywords: list[str] | None = None
    with_text: bool = False
    tier: list[str] | None = None
    category: str = Field(min_length=1, max_length=80)
    severity: Severity = Severity.p3
    team: str | None = None  # team name; None: routing (category × channel)

    @field_validator("keywords")
    @classmethod
    def _non_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (not value or any(not k.strip() for k in value)):
            raise ValueError("keywords must be a non-empty list of non-empty words")
        return value

    @model_validator(mode="after")
    def _conditional(self) -> CaseRule:
        if not (self.scores or self.keywords or self.with_text):
            raise ValueError(f"rule {self.name!r} needs a score, keyword or with_text condition")
        return self


class CompensationRow(_Strict):
    """Category × severity × tier × responsibility → compensation type and range (absent = any)."""

    category: list[str] | None = None
    severity: list[Severity] | None = None
    tier: list[str] | None = None
    responsibility: list[ResponsibilityName] | None = None
    kind: CompensationKind
    min: Decimal = Field(ge=0)
    max: Decimal = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> CompensationRow:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class CompensationConfig(_Strict):
    """The matrix (first match wins) and approval limits; above a limit a manager approves."""

    matrix: list[CompensationRow] = Field(default_factory=list)
    default_approval_limit: Decimal = Field(default=Decimal(200), ge=0)
    approval_limits: dict[str, Decimal] = Field(default_factory=dict)  # username → limit
    approvers: list[str] = Field(default_factory=list)  # usernames who may approve


class FollowupConfig(_Strict):
    enabled: bool = True
    after_hours: float = Field(default=72, gt=0)  # after resolution (issue #3: 72 h)
    expires_after_days: int = Field(default=14, ge=1)
    channel: str = "complaint_followup"


def _check_tree(tree: dict[str, Any], path: str = "") -> None:
    for key, child in tree.items():
        if not key or "." in key:
            raise ValueError(f"root-cause name {path + key!r} must be non-empty without dots")
        if child is None:
            continue
        if not isinstance(child, dict):
            raise ValueError(f"root cause {path + key!r}: children must be a mapping")
        _check_tree(child, f"{path}{key}.")


def tree_paths(tree: dict[str, Any], prefix: str = "") -> set[str]:
    """Every node of the root-cause tree as a dotted path ("logistics", "logistics.delay")."""
    out: set[str] = set()
    for key, child in tree.items():
        path = prefix + key
        out.add(path)
        if isinstance(child, dict):
            out |= tree_paths(child, path + ".")
    return out


class CareConfig(_Strict):
    """The parts of complaints.yaml this module owns (mixed into ComplaintsConfig)."""

    rules: list[CaseRule] = Field(default_factory=list)
    join_window_days: int = Field(default=7, ge=0)  # further feedback joins the open case
    rules_max_age_days: int = Field(default=30, ge=1)  # older feedback is marked, not opened
    rules_every_seconds: int = Field(default=300, ge=1)  # complaints.apply_rules schedule
    root_causes: dict[str, Any] = Field(default_factory=dict)  # empty: any root cause
    compensation: CompensationConfig = Field(default_factory=CompensationConfig)
    followup: FollowupConfig = Field(default_factory=FollowupConfig)
    loop_target_days: float = Field(default=7, gt=0)
    progress_channel: str = "log"
    promise_notify: Literal["owner", "team_lead", "managers"] = "team_lead"

    @field_validator("root_causes")
    @classmethod
    def _valid_tree(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_tree(value)
        return value

    @field_validator("rules")
    @classmethod
    def _unique_rules(cls, value: list[CaseRule]) -> list[CaseRule]:
        names = [r.name for r in value]
        if len(set(names)) != len(names):
            raise ValueError("rule names must be unique")
        return value

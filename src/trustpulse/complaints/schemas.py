"""Request and response models of the complaints API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from trustpulse.complaints.models import (
    ComplaintState,
    PromiseStatus,
    Severity,
    SlaStatus,
    SlaTarget,
)
from trustpulse.complaints.sla import policy_of_clocks
from trustpulse.pii import redact

Text = str
Author = Literal["agent", "customer"]
# Who caused the problem: the resolution must say (issue #3).
ResolutionResponsibility = Literal["ours", "supplier", "customer", "external"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComplaintCreate(_In):
    # the caller's own key for the case (a CRM ticket number, a request id): a retried create
    # with the same key and content returns the case it opened instead of opening another
    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    source: str = Field(default="api", min_length=1, max_length=120)
    customer_id: int | None = None
    title: str | None = Field(default=None, max_length=300)
    description: Text | None = None
    category: str | None = Field(default=None, max_length=80)
    severity: Severity = Severity.p3
    channel: str = Field(default="api", min_length=1, max_length=40)
    team_id: int | None = None  # None: routed by category × channel (complaints.yaml)
    product: str | None = Field(default=None, max_length=120)
    region: str | None = Field(default=None, max_length=80)
    feedback_id: int | None = None
    # the agent opening the case becomes its first responder (首问负责人); None: opened by API
    actor_id: int | None = None


class _Write(_In):
    """Writes to an existing complaint carry the version they were based on (or If-Match)."""

    version: int | None = Field(default=None, ge=1)


class ActorWrite(_Write):
    actor_id: int
    note: Text | None = None


class ReplyCreate(_Write):
    author: Author
    actor_id: int | None = None  # required for agent replies
    message: Text = Field(min_length=1)
    channel: str | None = Field(default=None, max_length=40)  # channel of the reply
    feedback_id: int | None = None  # a customer's further feedback joined to the case by a rule


class ResolveRequest(_Write):
    actor_id: int
    root_cause: str = Field(min_length=1, max_length=120)
    responsibility: ResolutionResponsibility
    summary: Text = Field(min_length=1)
    is_complex: bool = False


class ReopenRequest(_Write):
    actor_id: int | None = None  # None: reopened for the customer (e.g. "not solved")
    reason: Text = Field(min_length=1)


class TransferRequest(_Write):
    actor_id: int | None = None  # None: assigned by a supervisor tool (CLI)
    to_user_id: int
    reason: Text = Field(min_length=1)
    team_id: int | None = None


class SeverityChange(_Write):
    actor_id: int
    severity: Severity
    reason: Text = Field(min_length=1)


class SlaTargetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    target: SlaTarget
    cycle: int
    policy: str
    calendar: str
    status: SlaStatus
    target_seconds: int
    started_at: datetime
    due_at: datetime | None
    paused_at: datetime | None
    paused_seconds: int
    fulfilled_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    escalation_level: int


class ComplaintEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    kind: str
    at: datetime
    actor_id: int | None
    from_state: str | None
    to_state: str | None
    note: str | None
    channel: str | None
    data: dict[str, Any]


class ComplaintOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str  # with external_id: the key an import matched the case on
    external_id: str
    state: ComplaintState
    severity: Severity
    category: str | None
    channel: str
    title: str | None
    description: str | None
    customer_id: int | None
    team_id: int | None
    owner_id: int | None
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    root_cause: str | None
    responsibility: str | None
    resolution_summary: str | None
    is_complex: bool
    reopen_count: int
    version: int
    sla: list[SlaTargetOut] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sla_policy(self) -> str | None:
        """The name of the policy the case's clocks run on (every clock carries it)."""
        return policy_of_clocks(self.sla)

    # Issue #5: the stored title and description keep what the customer wrote (a restricted
    # column); what leaves through the API has personal data replaced by typed placeholders.
    @field_validator("title", "description", mode="after")
    @classmethod
    def _redact(cls, value: str | None) -> str | None:
        return None if value is None else redact(value).text


class ComplaintDetail(ComplaintOut):
    events: list[ComplaintEventOut] = Field(default_factory=list)


class ComplaintPage(BaseModel):
    items: list[ComplaintOut]
    total: int
    limit: int
    offset: int


class ComplaintMetrics(BaseModel):
    """One group of complaint metrics: rates are fractions 0–1, times in hours."""

    group: str
    n: int
    resolved: int
    first_response_attainment: float | None
    resolution_attainment: float | None
    fcr_rate: float | None
    reopen_rate: float | None
    next_reply_attainment: float | None = None
    public_reply_attainment: float | None = None
    median_first_response_hours: float | None
    median_resolution_hours: float | None
    p90_resolution_hours: float | None
    median_business_resolution_hours: float | None = None
    p90_business_resolution_hours: float | None = None
    complex_cases: int = 0
    complex_resolution_rate: float | None = None
    promises_settled: int = 0
    broken_promise_rate: float | None = None
    backlog: int = 0
    median_backlog_age_hours: float | None = None
    max_backlog_age_hours: float | None = None
    loops_closed: int = 0
    median_loop_closure_hours: float | None = None
    followup_answers: int = 0
    followup_csat: float | None = None
    service_credits: float = 0.0
    # "complaints we can fix": responsibility ours / known (attribution, else hint; kpis.py)
    fixable: int = 0
    responsibility_known: int = 0
    responsibility_hinted: int = 0  # of the known: from a hint, not an agent's attribution
    fixable_share: float | None = None


class PromiseCreate(_In):
    actor_id: int
    text: Text = Field(min_length=1, max_length=2000)
    due_at: datetime  # time-zone aware


class PromiseSettle(_In):
    actor_id: int
    kept: bool
    note: Text | None = None


class PromiseOut(BaseModel):
    """A promise as the customer sees it (no internal fields)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    due_at: datetime
    status: PromiseStatus
    settled_at: datetime | None


class StatusPage(BaseModel):
    """The customer's status page: state, next step, promises; no internal notes."""

    reference: int
    title: str | None
    state: ComplaintState
    headline: str
    next_step: str
    opened_at: datetime
    resolved_at: datetime | None
    promises: list[PromiseOut]
    timezone: str = "Asia/Shanghai"  # the brand's: times are shown to the customer in it


class CompensationCreate(_In):
    actor_id: int
    kind: Literal["refund", "coupon", "points", "extended_warranty", "service_credit"]
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    approved_by: int | None = None  # a manager (configured approver) approving an exception
    approval_reason: str | None = Field(default=None, max_length=200)


class CompensationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    complaint_id: int
    kind: str
    amount: Decimal
    range_min: Decimal | None
    range_max: Decimal | None
    needs_approval: bool
    approved_by: int | None
    approval_reason: str | None


class LoopUpdate(_In):
    """Closed loop: link an improvement action, or say why no action is needed."""

    actor_id: int
    improvement_ref: str | None = Field(default=None, max_length=200)
    no_action_reason: Text | None = None


class SurveyAnswer(_In):
    csat: int = Field(ge=1, le=5)
    solved: bool
    nps: int | None = Field(default=None, ge=0, le=10)
    comment: Text | None = Field(default=None, max_length=5000)


class SurveyInvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    complaint_id: int
    token: str
    expires_at: datetime
    used_at: datetime | None


class CreditExemption(_In):
    actor_id: int
    reason: Text = Field(min_length=1)


class ContractSet(_In):
    contract: str = Field(min_length=1, max_length=80)  # a contract named in sla.yaml
    monthly_fee: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(default="CNY", min_length=3, max_length=3)

"""One complaint on the dashboard: header, clocks, timeline, text, and the agent's forms.

The forms post to `/complaints/{id}/{action}` and run the same service functions as the JSON
API (complaints.lifecycle / ownership) with the version the page was rendered from, so a stale
form gets the 409 of optimistic locking and the page reloads with a message instead of
overwriting a colleague's change. Until accounts land the acting agent is picked in a select
(`?agent=ID`, default the case team's first agent by username): a single local user (issue #6).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.accounts.models import User
from trustpulse.clock import utcnow
from trustpulse.complaints import (
    aftercare_views,
    hints,
    lifecycle,
    loop,
    ownership,
    promises,
    resolution,
    views,
)
from trustpulse.complaints.care_config import CompensationConfig, CompensationRow, tree_paths
from trustpulse.complaints.config import complaints_config
from trustpulse.complaints.lifecycle import OPEN_STATES, TRANSITIONS
from trustpulse.complaints.models import Complaint, ComplaintState
from trustpulse.complaints.schemas import (
    ActorWrite,
    CompensationCreate,
    LoopUpdate,
    PromiseCreate,
    PromiseSettle,
    ReopenRequest,
    ReplyCreate,
    ResolveRequest,
    TransferRequest,
)
from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.errors import InvalidInputError
from trustpulse.web.complaint_clocks import (
    STATE_LABELS,
    TARGET_LABELS,
    clock_view,
    countdown_words,
)
from trustpulse.web.context import Page
from trustpulse.web.i18n import N_

S = ComplaintState
RESPONSIBILITY = {
    "ours": N_("ours"),
    "supplier": N_("supplier"),
    "customer": N_("customer side"),
    "external": N_("external"),
}
# older values imported rows may carry: shown, never offered when resolving
RESPONSIBILITY_LABELS = {
    **RESPONSIBILITY,
    "shared": N_("shared"),
    "not_ours": N_("not ours"),
    "unknown": N_("unknown"),
}
PROMISE_LABELS = {"open": N_("open"), "kept": N_("kept"), "broken": N_("broken")}
COMPENSATION_LABELS = {
    "refund": N_("refund"),
    "coupon": N_("coupon"),
    "points": N_("loyalty points"),
    "extended_warranty": N_("extended warranty"),
    "service_credit": N_("service credit"),
}
FOLLOWUP_LABELS = {
    "scheduled": N_("survey scheduled"),
    "sent": N_("invitation sent, no answer yet"),
    "answered": N_("answered"),
    "expired": N_("expired without an answer"),
}
EVENT_LABELS = {
    "opened": N_("Opened"),
    "acknowledged": N_("Acknowledged"),
    "replied": N_("Reply"),
    "state_changed": N_("State changed"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "reopened": N_("Reopened"),
    "owner_assigned": N_("Owner assigned"),
    "transferred": N_("Transferred"),
    "severity_changed": N_("Severity changed"),
    "compensated": N_("Compensation given"),
    "compensation_approved": N_("Compensation approved"),
    "promised": N_("Promise made"),
    "promise_kept": N_("Promise kept"),
    "promise_broken": N_("Promise broken"),
    "credit_earned": N_("Service credit earned"),
    "credit_exempted": N_("Service credit waived"),
    "improvement_linked": N_("Improvement action linked"),
    "no_action_needed": N_("No improvement action needed"),
    "sla_activated": N_("SLA clock started"),
    "sla_paused": N_("SLA clock paused"),
    "sla_resumed": N_("SLA clock resumed"),
    "sla_fulfilled": N_("SLA target met"),
    "sla_breached": N_("SLA target breached"),
    "sla_rescheduled": N_("SLA deadline moved"),
    "sla_warned": N_("SLA warning"),
    "sla_escalated": N_("SLA escalation"),
}
ACTIONS = (
    "acknowledge",
    "reply",
    "progress",
    "waiting",
    "transfer",
    "resolve",
    "close",
    "reopen",
    "promise",
    "settle",
    "compensate",
    "loop",
)


class ActionForm(BaseModel):
    """Every field any complaint form posts, as text: parsed per action so that a missing or
    bad value becomes a message on the page, never FastAPI's JSON 422."""

    model_config = ConfigDict(extra="ignore")

    version: str = ""
    actor_id: str = ""
    note: str = ""
    message: str = ""
    author: str = "agent"
    to_user_id: str = ""
    team_id: str = ""
    reason: str = ""
    root_cause: str = ""
    responsibility: str = ""
    summary: str = ""
    is_complex: str = ""
    promise_text: str = ""
    due_at: str = ""  # datetime-local input: the brand's local time
    promise_id: str = ""
    kept: str = ""
    kind: str = ""
    amount: str = ""
    approved_by: str = ""
    approval_reason: str = ""
    improvement_ref: str = ""
    no_action_reason: str = ""

    def number(self, name: str) -> int:
        value = self.optional_number(name)
        if value is None:
            raise InvalidInputError(f"{name} is required", field=name)
        return value

    def optional_number(self, name: str) -> int | None:
        text = str(getattr(self, name)).strip()
        if not text:
            return None
        if not text.isdigit():
            raise InvalidInputError(f"{name}: {text!r} is not a number", field=name)
        return int(text)

    def text(self, name: str) -> str | None:
        return str(getattr(self, name)).strip() or None


def available_actions(state: ComplaintState) -> list[str]:
    """The forms that make sense in this state (the services still check every transition)."""
    allowed = TRANSITIONS[state]
    actions = []
    if state == S.new:
        actions.append("acknowledge")
    if state in OPEN_STATES:
        actions.append("reply")
    if S.in_progress in allowed and state in (S.acknowledged, S.waiting_on_customer):
        actions.append("progress")
    if S.waiting_on_customer in allowed:
        actions.append("waiting")
    if state in OPEN_STATES:
        actions.append("transfer")
    if S.resolved in allowed:
        actions.append("resolve")
    if S.closed in allowed:
        actions.append("close")
    if state in (S.resolved, S.closed):
        actions.append("reopen")
    if state in OPEN_STATES:
        actions.append("promise")
    actions.append("compensate")  # goodwill may follow the resolution too
    if state in (S.resolved, S.closed):
        actions.append("loop")  # the closed loop's step after attribution
    return actions


def default_agent(case: views.CaseView) -> int | None:
    """The case team's first agent (by username), else the first agent of any team."""
    for team, members in case.desk:
        if case.team is not None and team.id == case.team.id and members:
            return members[0].id
    return next((members[0].id for _, members in case.desk if members), None)


def compensation_standards(
    case: views.CaseView, rules: CompensationConfig
) -> dict[str, CompensationRow | None]:
    """Per compensation type, the matrix row this case matches (None: the standard gives none,
    so any amount needs a manager's approval)."""
    complaint = case.complaint
    return {
        kind: resolution.match_compensation(
            rules,
            category=complaint.category,
            severity=complaint.severity.value,
            tier=case.customer.tier if case.customer else None,
            responsibility=complaint.responsibility.value if complaint.responsibility else None,
            kind=kind,
        )
        for kind in COMPENSATION_LABELS
    }


def detail_context(
    page: Page,
    settings: Settings,
    complaint_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    draft: Mapping[str, str] | None = None,
    agent: str | None = None,
) -> dict[str, Any]:
    brand = page.filters.brand
    if brand is None:
        raise InvalidInputError("no brand to show complaints of", field="brand")
    case = views.get_case(page.session, complaint_id, brand=brand.code)
    now = utcnow()
    words = countdown_words(page.i)
    agents = {u.id: u for _, members in case.desk for u in members}
    chosen = agent or page.request.query_params.get("agent", "")
    acting = int(chosen) if chosen.isdigit() and int(chosen) in agents else default_agent(case)
    zone = ZoneInfo(brand.timezone)
    config = complaints_config(settings, brand.code)
    aftercare = aftercare_views.get_aftercare(page.session, complaint_id, brand=brand.code, now=now)
    standards = compensation_standards(case, config.compensation)
    approvers = list(
        page.session.scalars(
            select(User)
            .where(User.username.in_(config.compensation.approvers), User.is_active)
            .order_by(User.display_name)
        )
    )
    return {
        "case": case,
        "complaint": case.complaint,
        "clocks": [clock_view(t, words=words, now=now) for t in case.targets],
        "events": list(reversed(case.events)),  # newest first, like the queue's urgency
        "event_labels": EVENT_LABELS,
        "clock_labels": STATE_LABELS,
        "target_labels": TARGET_LABELS,
        "responsibilities": RESPONSIBILITY,
        "responsibility_labels": RESPONSIBILITY_LABELS,
        "root_causes": sorted(tree_paths(config.root_causes)),
        "actions": available_actions(case.complaint.state),
        "promises": aftercare.promises,
        "followups": aftercare.followups,
        "promise_labels": PROMISE_LABELS,
        "compensations": aftercare.compensations,
        "compensation_labels": COMPENSATION_LABELS,
        "standards": standards,
        "offered": [(kind, row) for kind, row in standards.items() if row is not None],
        "approvers": approvers,
        "people": {**case.people, **{u.id: u.display_name for u in approvers}},
        "loop_target_days": config.loop_target_days,
        "followup_labels": FOLLOWUP_LABELS,
        "agent": acting,
        "agents": agents,
        "countdown_words": words,
        "zone": zone,
        "notice": notice,
        "error": error,
        "draft": dict(draft or {}),
        # a suggestion for the resolve form (None: no hint model, or not hinted yet)
        "hint": hints.find_hint(page.session, complaint_id, brand=brand.code, settings=settings),
    }


def _actor(form: ActionForm) -> int:
    return form.number("actor_id")


def _version(form: ActionForm) -> int:
    return form.number("version")


def _acknowledge(session: Session, cid: int, form: ActionForm, **kw: Any) -> Complaint:
    data = ActorWrite(actor_id=_actor(form), note=form.text("note"), version=_version(form))
    return lifecycle.acknowledge_complaint(session, cid, data, **kw)


def _reply(session: Session, cid: int, form: ActionForm, **kw: Any) -> Complaint:
    data = ReplyCreate(
        author="customer" if form.author == "customer" else "agent",
        actor_id=_actor(form),
        message=form.message.strip(),
        version=_version(form),
    )
    return lifecycle.reply_to_complaint(session, cid, data, **kw)


def _state(to_state: ComplaintState) -> Callable[..., Complaint]:
    def move(session: Session, cid: int, form: ActionForm, **kw: Any) -> Complaint:
        data = ActorWrite(actor_id=_actor(form), note=form.text("note"), version=_version(form))
        return lifecycle.set_state(session, cid, data, to_state, **kw)

    return move


def _transfer(session: Session, cid: int, form: ActionForm, **kw: Any) -> Complaint:
    data = TransferRequest(
        actor_id=_actor(form),
        to_user_id=form.number("to_user_id"),
        team_id=form.optional_number("team_id"),
        reason=form.reason.strip(),
        version=_version(form),
    )
    return ownership.transfer_complaint(session, cid, data, **kw)


def _resolve(session: Session, cid: int, form: ActionForm, **kw: Any) -> Complaint:
    data = ResolveRequest.model_validate(
        {
            "actor_id": _actor(form),
            "root_cause": form.root_cause.strip(),
            "responsibility": form.responsibility,
            "summary": form.summary.strip(),
            "is_complex": bool(form.is_complex),
            "version": _version(form),
        }
    )
    return lifecycle.resolve_complaint(session, cid, data, **kw)


def _reopen(session: Session, cid: int, form: ActionForm, **kw: Any) -> Complaint:
    data = ReopenRequest(actor_id=_actor(form), reason=form.reason.strip(), version=_version(form))
    return lifecycle.reopen_complaint(session, cid, data, **kw)


def _local_time(text: str, timezone: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInputError(f"due_at: {text!r} is not a date and time", field="due_at") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _promise(session: Session, cid: int, form: ActionForm, *, brand: str, **_: Any) -> object:
    if not form.due_at.strip():
        raise InvalidInputError("due_at is required", field="due_at")
    zone = customers.get_brand(session, brand).timezone
    data = PromiseCreate(
        actor_id=_actor(form),
        text=form.promise_text.strip(),
        due_at=_local_time(form.due_at, zone),
    )
    return promises.add_promise(session, cid, data, brand=brand)


def _settle(session: Session, cid: int, form: ActionForm, *, brand: str, **_: Any) -> object:
    if form.kept not in ("1", "0"):
        raise InvalidInputError("kept must be 1 or 0", field="kept")
    data = PromiseSettle(actor_id=_actor(form), kept=form.kept == "1", note=form.text("note"))
    return promises.settle_promise(session, cid, form.number("promise_id"), data, brand=brand)


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise InvalidInputError(f"amount: {text!r} is not a number", field="amount") from exc


def _compensate(
    session: Session, cid: int, form: ActionForm, *, brand: str, settings: Settings, **_: Any
) -> object:
    if not form.amount.strip():
        raise InvalidInputError("amount is required", field="amount")
    data = CompensationCreate.model_validate(
        {
            "actor_id": _actor(form),
            "kind": form.kind,
            "amount": _amount(form.amount),
            "approved_by": form.optional_number("approved_by"),
            "approval_reason": form.text("approval_reason"),
        }
    )
    return resolution.give_compensation(session, cid, data, brand=brand, settings=settings)


def _loop(session: Session, cid: int, form: ActionForm, *, brand: str, **_: Any) -> object:
    data = LoopUpdate(
        actor_id=_actor(form),
        improvement_ref=form.text("improvement_ref"),
        no_action_reason=form.text("no_action_reason"),
    )
    return loop.link_action(session, cid, data, brand=brand)


HANDLERS: dict[str, Callable[..., object]] = {
    "acknowledge": _acknowledge,
    "reply": _reply,
    "progress": _state(S.in_progress),
    "waiting": _state(S.waiting_on_customer),
    "transfer": _transfer,
    "resolve": _resolve,
    "close": _state(S.closed),
    "reopen": _reopen,
    "promise": _promise,
    "settle": _settle,
    "compensate": _compensate,
    "loop": _loop,
}


def run_action(
    session: Session,
    complaint_id: int,
    action: str,
    form: ActionForm,
    *,
    brand: str,
    settings: Settings,
) -> object:
    """Run one form's service call; the caller commits. Bad input is InvalidInputError."""
    handler = HANDLERS.get(action)
    if handler is None:
        raise InvalidInputError(f"unknown action {action!r}", field="action")
    try:
        return handler(session, complaint_id, form, brand=brand, settings=settings)
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        raise InvalidInputError(
            "missing or invalid: " + ", ".join(fields), field=fields[0] if fields else None
        ) from exc

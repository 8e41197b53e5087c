"""Cases from feedback by rule: an unhappy answer, review or post opens (or joins) a complaint.

`apply_rules` takes feedback that has not been through the rules yet (no row in
complaint_rule_evaluations: the marker table is the watermark), oldest first, and for each:

- skips the customer's own complaint texts (kind `complaint`: they already are cases) and
  feedback older than `rules_max_age_days` (a history import must not flood the desk);
- finds the first rule of complaints.yaml that matches (channel, kind, score bounds,
  keywords, comment, customer tier);
- joins the customer's open case of the same category opened within `join_window_days` as a
  customer message, or opens a case linked to the feedback (complaints.feedback_id).

The marker is inserted first, in a savepoint, with the feedback id as primary key: a second
run, or a concurrent one, finds it and opens nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trustpulse.accounts.models import Team
from trustpulse.complaints import intake, lifecycle
from trustpulse.complaints.care_config import CaseRule
from trustpulse.complaints.config import ComplaintsConfig, complaints_config
from trustpulse.complaints.models import Complaint, ComplaintRuleEvaluation
from trustpulse.complaints.schemas import ComplaintCreate, ReplyCreate
from trustpulse.config import Settings
from trustpulse.customers.models import Brand, Customer
from trustpulse.feedback import service as feedback_service
from trustpulse.feedback.models import Feedback, FeedbackKind
from trustpulse.pii import redact

OPENED, JOINED, NO_MATCH, SKIPPED, STALE = "opened", "joined", "no_match", "skipped", "stale"
FOLLOWUP = "followup"  # a follow-up survey answer: handled by the survey itself


@dataclass(frozen=True)
class FeedbackFacts:
    """What rules look at: the feedback, its scores and its customer's tier."""

    kind: str
    channel: str
    text: str | None
    scores: Mapping[str, float]
    tier: str | None


def match_rule(rules: Sequence[CaseRule], facts: FeedbackFacts) -> CaseRule | None:
    """The first rule whose every given condition holds."""
    for rule in rules:
        if rule.channel is not None and facts.channel not in rule.channel:
            continue
        if rule.kind is not None and facts.kind not in rule.kind:
            continue
        if rule.tier is not None and facts.tier not in rule.tier:
            continue
        if rule.with_text and not (facts.text or "").strip():
            continue
        if not all(bound.holds(facts.scores.get(m)) for m, bound in rule.scores.items()):
            continue
        if rule.keywords is not None:
            text = (facts.text or "").casefold()
            if not any(k.casefold() in text for k in rule.keywords):
                continue
        return rule
    return None


@dataclass
class RulesRun:
    evaluated: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    complaint_ids: list[int] = field(default_factory=list)


def mark_evaluated(
    session: Session,
    feedback_id: int,
    *,
    outcome: str,
    now: datetime,
    rule: str | None = None,
    complaint_id: int | None = None,
) -> ComplaintRuleEvaluation | None:
    """Insert the marker; None if this feedback was already evaluated (by anyone)."""
    marker = ComplaintRuleEvaluation(
        feedback_id=feedback_id,
        outcome=outcome,
        rule=rule,
        complaint_id=complaint_id,
        evaluated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(marker)
    except IntegrityError:
        return None
    return marker


def apply_rules(
    session: Session, *, settings: Settings, now: datetime, limit: int = 500
) -> RulesRun:
    """Evaluate up to `limit` unevaluated feedback records; the caller commits."""
    pending = list(
        session.scalars(
            select(Feedback)
            .where(
                ~exists().where(ComplaintRuleEvaluation.feedback_id == Feedback.id),
            )
            .order_by(Feedback.id)
            .limit(limit)
        )
    )
    run = RulesRun()
    if not pending:
        return run
    scores = feedback_service.scores_of(session, [f.id for f in pending])
    customer_ids = {f.customer_id for f in pending if f.customer_id is not None}
    tiers: dict[int, str | None] = {
        row.id: row.tier
        for row in session.execute(
            select(Customer.id, Customer.tier).where(Customer.id.in_(customer_ids))
        )
    }
    brands: dict[int, str] = {
        row.id: row.code for row in session.execute(select(Brand.id, Brand.code))
    }
    configs: dict[int, ComplaintsConfig] = {}
    for fb in pending:
        if fb.brand_id not in configs:
            configs[fb.brand_id] = complaints_config(settings, brands[fb.brand_id])
        config = configs[fb.brand_id]
        marker = mark_evaluated(session, fb.id, outcome=NO_MATCH, now=now)
        if marker is None:
            continue  # a concurrent run took it
        run.evaluated += 1
        tier = tiers.get(fb.customer_id) if fb.customer_id is not None else None
        facts = FeedbackFacts(fb.kind.value, fb.channel, fb.text, scores[fb.id], tier)
        if fb.kind == FeedbackKind.complaint:
            marker.outcome = SKIPPED
        elif fb.occurred_at < now - timedelta(days=config.rules_max_age_days):
            marker.outcome = STALE
        elif (rule := match_rule(config.rules, facts)) is not None:
            marker.rule = rule.name
            complaint, marker.outcome = _open_or_join(
                session, fb, rule, config=config, brand=brands[fb.brand_id], settings=settings
            )
            marker.complaint_id = complaint.id
            run.complaint_ids.append(complaint.id)
        run.outcomes[marker.outcome] = run.outcomes.get(marker.outcome, 0) + 1
    session.flush()
    return run


def _open_or_join(
    session: Session,
    fb: Feedback,
    rule: CaseRule,
    *,
    config: ComplaintsConfig,
    brand: str,
    settings: Settings,
) -> tuple[Complaint, str]:
    # the case shows what the API shows: personal data stays in feedback.text (issue #5)
    redacted = redact(fb.text).text if fb.text is not None else None
    text = (redacted or "").strip()
    case = _open_case(session, fb, rule.category, config.join_window_days)
    if case is not None:
        message = text or f"further feedback #{fb.id} ({rule.name})"
        joined = lifecycle.reply_to_complaint(
            session,
            case.id,
            ReplyCreate(
                version=case.version,
                author="customer",
                message=message,
                channel=fb.channel,
                feedback_id=fb.id,
            ),
            brand=brand,
            settings=settings,
        )
        return joined, JOINED
    title = f"{rule.name}: {text[:120]}" if text else f"{rule.name} (feedback #{fb.id})"
    opened = intake.open_complaint(
        session,
        ComplaintCreate(
            customer_id=fb.customer_id,
            title=title[:300],
            description=redacted,
            category=rule.category,
            severity=rule.severity,
            channel=fb.channel,
            team_id=_team_id(session, fb.brand_id, rule.team),
            product=fb.product,
            region=fb.region,
            feedback_id=fb.id,
        ),
        brand=brand,
        settings=settings,
    )
    return opened, OPENED


def _open_case(session: Session, fb: Feedback, category: str, days: int) -> Complaint | None:
    """The customer's most recent open case in this category opened within `days`."""
    if fb.customer_id is None or days <= 0:
        return None
    return session.scalar(
        select(Complaint)
        .where(
            Complaint.customer_id == fb.customer_id,
            Complaint.category == category,
            Complaint.state.in_(list(lifecycle.OPEN_STATES)),
            Complaint.opened_at >= fb.occurred_at - timedelta(days=days),
        )
        .order_by(Complaint.opened_at.desc(), Complaint.id.desc())
        .limit(1)
    )


def _team_id(session: Session, brand_id: int, name: str | None) -> int | None:
    if name is None:
        return None
    return session.scalar(
        select(Team.id)
        .where(Team.name == name, Team.brand_id.is_(None) | (Team.brand_id == brand_id))
        .order_by(Team.brand_id.is_(None))
        .limit(1)
    )

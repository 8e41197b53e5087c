"""Responsibility hints per complaint: the pipeline pass that stores them, the desk's view of
one, and each case's responsibility for "complaints we can fix" (issue #5).

The active hint models are text.yaml `hints` (per brand like the sentiment models). Without
them nothing is hinted, the desk shows nothing and the fixable share counts only resolved
attributions. A complaint is (re)hinted when it has no hint from the active models' version or
its text changed since (complaints.content_hash). The text is the complaint's title and
description, redacted before any model sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, insert, or_, select
from sqlalchemy.orm import Session, sessionmaker

from trustpulse.complaints.care_config import tree_paths
from trustpulse.complaints.config import complaints_config
from trustpulse.complaints.models import Complaint, ComplaintHint, Responsibility
from trustpulse.config import Settings
from trustpulse.config_files import brands_with_overrides
from trustpulse.customers.models import Brand
from trustpulse.db import session_scope, utcnow
from trustpulse.errors import NotFoundError
from trustpulse.text.config import HintSettings, load_text_config
from trustpulse.text.hints import HintModels, load_hint_models

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HintGroup:
    """Brands whose complaints one set of hint models hints."""

    models: HintModels
    brand_ids: tuple[int, ...]


@dataclass(frozen=True)
class HintRun:
    written: int
    versions: list[str]


def complaint_text(title: str | None, description: str | None) -> str:
    """The text a complaint is hinted on (and the desk's models are trained on)."""
    return "\n".join(t for t in (title, description) if t)


def hint_settings(settings: Settings, brand: str) -> HintSettings:
    return load_text_config(settings, brand=brand).hints


def hint_groups(
    session: Session, settings: Settings, *, brand: str | None = None
) -> list[HintGroup]:
    """One group per distinct hint configuration among the brands (or just `brand`), leaving
    out brands without a hint model. Raises NotFoundError for an unknown brand, ConfigError for
    a bad file, InvalidInputError for a missing model file."""
    query = select(Brand.id, Brand.code).order_by(Brand.id)
    if brand is not None:
        query = query.where(Brand.code == brand)
    rows = session.execute(query).all()
    if brand is not None and not rows:
        raise NotFoundError(f"no brand {brand!r}", brand=brand)
    overridden = set(brands_with_overrides(settings))
    base = load_text_config(settings).hints
    configs: dict[str, HintSettings] = {}
    members: dict[str, list[int]] = {}
    for brand_id, code in rows:
        config = hint_settings(settings, code) if code in overridden else base
        if not config.configured:
            continue
        # the label map changes no stored hint: only the model files make a group
        key = f"{config.responsibility}\n{config.root_cause}"
        configs[key] = config
        members.setdefault(key, []).append(brand_id)
    groups = []
    for key, ids in members.items():
        models = load_hint_models(configs[key])
        if models is not None:
            groups.append(HintGroup(models, tuple(ids)))
    return groups


def pending_query(version: str, brand_ids: tuple[int, ...], *columns: Any) -> Select[Any]:
    """The brands' complaints (`columns`, default the id) with text and no hint from
    `version` for that text."""
    return (
        select(*(columns or (Complaint.id,)))
        .outerjoin(ComplaintHint, ComplaintHint.complaint_id == Complaint.id)
        .where(Complaint.brand_id.in_(brand_ids))
        .where(or_(Complaint.title.is_not(None), Complaint.description.is_not(None)))
        .where(
            or_(
                ComplaintHint.complaint_id.is_(None),
                ComplaintHint.model_version != version,
                ComplaintHint.content_hash != Complaint.content_hash,
            )
        )
    )


def hint_batch(
    session: Session,
    models: HintModels,
    *,
    brand_ids: tuple[int, ...],
    after_id: int = 0,
    batch_size: int = 500,
) -> tuple[int, int]:
    """Hint the next `batch_size` pending complaints with id > after_id; returns (last id,
    complaints hinted), last id 0 when none remain. Does not commit."""
    version = models.version
    columns = (Complaint.id, Complaint.title, Complaint.description, Complaint.content_hash)
    rows = session.execute(
        pending_query(version, brand_ids, *columns)
        .where(Complaint.id > after_id)
        .order_by(Complaint.id)
        .limit(batch_size)
    ).all()
    if not rows:
        return 0, 0
    ids = [row.id for row in rows]
    texts = [complaint_text(row.title, row.description) for row in rows]
    now = utcnow()
    values = [
        {
            "complaint_id": row.id,
            "responsibility": hint.responsibility,
            "responsibility_score": hint.responsibility_score,
            "root_cause": hint.root_cause,
            "root_cause_score": hint.root_cause_score,
            "model_version": version,
            "content_hash": row.content_hash,
            "hinted_at": now,
        }
        for row, hint in zip(rows, models.hint(texts), strict=True)
    ]
    session.execute(delete(ComplaintHint).where(ComplaintHint.complaint_id.in_(ids)))
    session.execute(insert(ComplaintHint), values)
    return ids[-1], len(ids)


def hint_pending(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    brand: str | None = None,
    batch_size: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> HintRun:
    """Hint every pending complaint (of `brand`) with its brand's active hint models, one
    transaction per batch (`batch_size` None: text.yaml batch_size). Idempotent."""
    with session_scope(factory) as session:
        groups = hint_groups(session, settings, brand=brand)
    size = batch_size or load_text_config(settings).batch_size
    written = 0
    for group in groups:
        after_id = 0
        while True:
            with session_scope(factory) as session:
                after_id, n = hint_batch(
                    session, group.models, brand_ids=group.brand_ids, after_id=after_id,
                    batch_size=size,
                )  # fmt: skip
            if n == 0:
                break
            written += n
            if on_batch is not None:
                on_batch(n)
    versions = [g.models.version for g in groups]
    if groups:
        logger.info("hinted %s complaints with %s", written, versions)
    return HintRun(written, versions)


@dataclass(frozen=True)
class HintView:
    """A complaint's hint as the desk shows it; `*_value` is what the resolve form pre-selects
    (None: the label has no place in the form)."""

    responsibility: str | None
    responsibility_score: float | None
    root_cause: str | None
    root_cause_score: float | None
    responsibility_value: str | None
    root_cause_value: str | None
    model_version: str


def find_hint(
    session: Session, complaint_id: int, *, brand: str, settings: Settings
) -> HintView | None:
    """The stored hint of a complaint the caller may see, or None when the brand has no hint
    model configured or the complaint has not been hinted yet."""
    config = hint_settings(settings, brand)
    if not config.configured:
        return None
    hint = session.get(ComplaintHint, complaint_id)
    if hint is None:
        return None
    offered = {r.value for r in Responsibility} - {"shared", "not_ours", "unknown"}
    cause = None
    if hint.root_cause is not None:
        tree = complaints_config(settings, brand).root_causes
        path = config.root_cause_paths.get(hint.root_cause, hint.root_cause)
        cause = path if not tree or path in tree_paths(tree) else None
    return HintView(
        responsibility=hint.responsibility,
        responsibility_score=hint.responsibility_score,
        root_cause=hint.root_cause,
        root_cause_score=hint.root_cause_score,
        responsibility_value=hint.responsibility if hint.responsibility in offered else None,
        root_cause_value=cause,
        model_version=hint.model_version,
    )


def hinted_responsibilities(
    session: Session, cases: Select[Any], *, brand: str, settings: Settings | None
) -> dict[int, str]:
    """complaint id → hinted responsibility for the chosen cases; empty without settings or
    without a hint model for the brand (no model, no hints)."""
    if settings is None or not hint_settings(settings, brand).configured:
        return {}
    rows = session.execute(
        select(ComplaintHint.complaint_id, ComplaintHint.responsibility).where(
            ComplaintHint.complaint_id.in_(cases), ComplaintHint.responsibility.is_not(None)
        )
    )
    return {cid: party for cid, party in rows if party is not None}


def queue_hints(
    session: Session, complaint_ids: list[int], *, brand: str, settings: Settings
) -> dict[int, tuple[str, float | None]]:
    """complaint id → (hinted responsibility, probability) for a page of the queue; empty when
    the brand has no hint model (a hint stored earlier is then not shown, as on the case)."""
    if not complaint_ids or not hint_settings(settings, brand).configured:
        return {}
    rows = session.execute(
        select(
            ComplaintHint.complaint_id,
            ComplaintHint.responsibility,
            ComplaintHint.responsibility_score,
        ).where(
            ComplaintHint.complaint_id.in_(complaint_ids),
            ComplaintHint.responsibility.is_not(None),
        )
    )
    return {cid: (party, score) for cid, party, score in rows if party is not None}

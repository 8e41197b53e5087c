"""The active analyzer of each brand, and the pipeline over every brand's pending feedback.

A brand whose `<config_dir>/brands/<code>/text.yaml` changes the text configuration (a model
per language, the lexicon) is scored with an analyzer of its own; every other brand shares the
global one. Pending is judged per brand against its own analyzer's version, so a run without
--brand after a run with it finds nothing to redo.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from trustpulse.config import Settings
from trustpulse.config_files import brands_with_overrides
from trustpulse.customers.models import Brand
from trustpulse.db import session_scope
from trustpulse.text.adapt import ADAPT_STEPS, adapt_default, adaptation_step, chinese_texts
from trustpulse.text.config import TextConfig, load_text_config
from trustpulse.text.pending import PendingScope, count_pending
from trustpulse.text.service import (
    Analyzer,
    brand_id_of,
    build_analyzer,
    run_analysis,
    since_instant,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrandGroup:
    """Brands scored by one analyzer: `brand_ids` (None: every brand) minus `excluded`."""

    analyzer: Analyzer
    batch_size: int
    brand_ids: tuple[int, ...] | None = None
    excluded: tuple[int, ...] = ()

    @property
    def scope(self) -> PendingScope:
        return PendingScope(self.analyzer.version, self.brand_ids, self.excluded)


@dataclass(frozen=True)
class AnalysisRun:
    written: int
    versions: list[str]


def brand_groups(
    session: Session, settings: Settings, *, brand: str | None = None, adapt: bool = True
) -> list[BrandGroup]:
    """One group per distinct text configuration: the brand's own when `brand` is given, else
    the global one (every brand without an override of its own) plus one per override.
    `adapt` False: the unadapted default sentiment model whatever the configuration says.

    Brands with equal configurations share one analyzer (models are loaded once). Raises
    NotFoundError for an unknown brand, ConfigError for a bad file.
    """
    if brand is not None:
        config = load_text_config(settings, brand=brand)
        brand_id = brand_id_of(session, brand)
        analyzer = build_analyzer(settings, config)
        if adapt and config.adapt_default:
            analyzer = adapted(session, settings, analyzer, (brand_id,))
        return [BrandGroup(analyzer, config.batch_size, (brand_id,))]
    base = load_text_config(settings)
    brands_dir = settings.effective_config_dir / "brands"
    codes = [c for c in brands_with_overrides(settings) if (brands_dir / c / "text.yaml").is_file()]
    configs: dict[str, TextConfig] = {}
    members: dict[str, list[int]] = {}
    if codes:
        rows = session.execute(select(Brand.id, Brand.code).where(Brand.code.in_(codes)))
        for brand_id, code in rows:
            # hint models are complaints' business (complaints/hints.py): not a new analyzer
            config = load_text_config(settings, brand=code).model_copy(update={"hints": base.hints})
            if config == base:
                continue
            key = config.model_dump_json()
            configs[key] = config
            members.setdefault(key, []).append(brand_id)
    excluded = tuple(sorted(i for ids in members.values() for i in ids))
    analyzer = build_analyzer(settings, base)
    if adapt and base.adapt_default:
        analyzer = adapted(session, settings, analyzer, None, excluded)
    groups = [BrandGroup(analyzer, base.batch_size, excluded=excluded)]
    for key, ids in members.items():
        config, brand_ids = configs[key], tuple(sorted(ids))
        analyzer = build_analyzer(settings, config)
        if adapt and config.adapt_default:
            analyzer = adapted(session, settings, analyzer, brand_ids)
        groups.append(BrandGroup(analyzer, config.batch_size, brand_ids))
    return groups


def adapted(
    session: Session,
    settings: Settings,
    analyzer: Analyzer,
    brand_ids: tuple[int, ...] | None,
    excluded: tuple[int, ...] = (),
    *,
    steps: Sequence[int] | None = None,
) -> Analyzer:
    """`analyzer` with its default Chinese model self-trained on the group's own Chinese
    feedback texts (text/adapt.py) once there are ADAPT_STEPS[0] of them; unchanged when a
    custom Chinese model is active or the texts are too few."""
    if "zh" in analyzer.custom:
        return analyzer
    steps = ADAPT_STEPS if steps is None else steps  # read per call: tests use small steps
    texts = chinese_texts(session, brand_ids=brand_ids, excluded=excluded, limit=max(steps))
    step = adaptation_step(len(texts), steps)
    if not step:
        return analyzer
    default = adapt_default(analyzer.default, texts[:step], settings.home / "models")
    return replace(analyzer, default=default)


def analyse_pending(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    brand: str | None = None,
    since: date | datetime | None = None,
    batch_size: int | None = None,
    start_id: int | None = None,
    end_id: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    adapt: bool = True,
) -> AnalysisRun:
    """Analyse all pending feedback (of `brand`, from `since`, start_id <= id <= end_id), each
    brand's with its own active analyzer; `batch_size` None: each configuration's own;
    `adapt` False: without adapting the default sentiment model first (brand_groups).

    Callbacks as in run_analysis: the pending total over all brands, then each batch's rows.
    """
    since_at = since_instant(since)
    with session_scope(factory) as session:
        groups = brand_groups(session, settings, brand=brand, adapt=adapt)
        if on_start is not None:
            on_start(
                sum(
                    count_pending(
                        session, g.scope, since=since_at, start_id=start_id, end_id=end_id
                    )
                    for g in groups
                )
            )
    written = 0
    for group in groups:
        written += run_analysis(
            factory,
            group.analyzer,
            brand_ids=group.brand_ids,
            excluded=group.excluded,
            since=since_at,
            batch_size=batch_size or group.batch_size,
            start_id=start_id,
            end_id=end_id,
            on_batch=on_batch,
        )
    return AnalysisRun(written, [g.analyzer.version for g in groups])

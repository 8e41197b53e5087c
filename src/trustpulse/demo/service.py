"""Builds the demo database: generate, load and write the truth, or skip if already loaded."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from trustpulse import migrations
from trustpulse.complaints.config import sla_config
from trustpulse.complaints.sla_bulk import recompute_bulk
from trustpulse.config import Settings
from trustpulse.customers import service as customers
from trustpulse.db import refresh_statistics, utcnow
from trustpulse.demo.actions import plant_actions
from trustpulse.demo.generate import generate
from trustpulse.demo.load import Progress, is_loaded, load
from trustpulse.demo.model import BRANDS, DemoConfig
from trustpulse.demo.truth import TRUTH_FILE, write_truth
from trustpulse.metrics.rollups import build_rollups


@dataclass
class DemoBuild:
    config: DemoConfig
    skipped: bool  # the same seed and scale were already loaded
    truth_path: Path
    counts: dict[str, int] = field(default_factory=dict)
    generate_seconds: float = 0.0
    load_seconds: float = 0.0

    @property
    def total_seconds(self) -> float:
        return self.generate_seconds + self.load_seconds


def build_demo(
    engine: Engine,
    *,
    truth_dir: Path,
    config: DemoConfig,
    on_stage: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
) -> DemoBuild:
    """Bring the schema to head, then (re)build the demo brands unless this seed is loaded.

    Only the demo brands' data is replaced; the truth files are written to `truth_dir`. The
    daily rollups are rebuilt, so the dashboard reads NPS, CSAT and CES from them, and every
    complaint's SLA clocks are derived from its events with each brand's sla.yaml (`settings`;
    None: the settings of the environment), so SLA attainment has clocks to count.
    """
    stage = on_stage or (lambda _text: None)
    stage("migrating the schema")
    migrations.upgrade(engine, "head")
    truth_path = truth_dir / TRUTH_FILE
    if is_loaded(engine, config) and truth_path.exists():
        return DemoBuild(config=config, skipped=True, truth_path=truth_path)
    stage("generating the demo company")
    data = generate(config)
    stage("writing rows")
    started = time.perf_counter()
    counts = load(engine, data, progress=progress)
    with Session(engine) as session, session.begin():
        refresh_statistics(session)
    stage("starting the SLA clocks")
    settings = settings or Settings()
    with Session(engine) as session, session.begin():
        counts["complaint_sla_targets"] = sum(
            recompute_bulk(
                session,
                brand_id=customers.get_brand(session, spec.code).id,
                config=sla_config(settings, spec.code),
                now=utcnow(),
            ).rows
            for spec in BRANDS
        )
    stage("building the daily rollups")
    with Session(engine) as session, session.begin():
        build_rollups(session, full=True)  # the demo replaced its brands: rebuild every day
        counts["improvement_actions"] = plant_actions(session)
    load_seconds = time.perf_counter() - started
    write_truth(truth_dir, data)
    return DemoBuild(
        config=config,
        skipped=False,
        truth_path=truth_path,
        counts=counts,
        generate_seconds=data.seconds,
        load_seconds=load_seconds,
    )

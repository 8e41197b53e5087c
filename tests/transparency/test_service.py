"""Publishing freezes a quarter's figures; corrections add dated versions with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.transparency.conftest import NOW, add_complaint, promise
from trustpulse.clock import ManualClock, use_clock
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.errors import ConfigError, InvalidInputError, NotFoundError
from trustpulse.transparency.models import TransparencySnapshot
from trustpulse.transparency.service import (
    SnapshotPublishedError,
    list_snapshots,
    publish_snapshot,
    snapshot_history,
)


def _values(snapshot: TransparencySnapshot) -> dict[str, object]:
    return {f["code"]: f["value"] for f in snapshot.figures["figures"]}


def test_publishing_freezes_values_period_and_method(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    snapshot = publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
    assert snapshot.version == 1
    assert snapshot.reason is None
    assert snapshot.published_at == clock.now()
    values = _values(snapshot)
    assert values["complaints_received"] == 3
    assert values["share_resolved"] == pytest.approx(2 / 3)
    assert values["first_response_median_h"] == pytest.approx(2.0)
    assert values["resolution_median_h"] == pytest.approx(10.0)
    first = snapshot.figures["figures"][0]
    assert (first["since"], first["until"], first["quarter"]) == (
        "2026-07-01",
        "2026-09-30",
        "2026Q3",
    )
    assert "opened in the quarter" in first["method"]
    assert snapshot.figures["root_causes"] == [["courier_delay", 3]]


def test_publishing_again_is_refused_and_changes_nothing(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
    with pytest.raises(SnapshotPublishedError, match="already published"):
        publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
    assert session.scalar(select(func.count()).select_from(TransparencySnapshot)) == 1


def test_a_correction_is_a_new_dated_version_and_the_first_stays(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    first = publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
    add_complaint(session, acme, 9, datetime(2026, 9, 29, 2, tzinfo=UTC))  # filed late
    clock.advance(timedelta(days=3))
    second = publish_snapshot(
        session,
        settings=settings,
        brand="acme",
        quarter="2026Q3",
        correct=True,
        reason="  One complaint was imported late.  ",
    )
    assert second.version == 2
    assert second.reason == "One complaint was imported late."
    assert second.published_at == clock.now()
    assert _values(second)["complaints_received"] == 4
    history = snapshot_history(session, brand="acme", quarter="2026Q3")
    assert [s.id for s in history] == [first.id, second.id]
    session.expire_all()
    assert _values(history[0])["complaints_received"] == 3


@pytest.mark.parametrize(("correct", "reason"), [(True, None), (True, "   "), (False, "why")])
def test_reason_goes_with_a_correction_only(
    session: Session, settings: Settings, acme: Brand, correct: bool, reason: str | None
) -> None:
    with use_clock(ManualClock(NOW)):
        publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
        with pytest.raises(InvalidInputError) as info:
            publish_snapshot(
                session,
                settings=settings,
                brand="acme",
                quarter="2026Q3",
                correct=correct,
                reason=reason,
            )
    assert info.value.details["field"] == "reason"


def test_correcting_an_unpublished_quarter_is_refused(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    with pytest.raises(InvalidInputError, match="never published"):
        publish_snapshot(
            session, settings=settings, brand="acme", quarter="2026Q3", correct=True, reason="x"
        )


def test_a_quarter_still_running_cannot_be_published(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    with pytest.raises(InvalidInputError, match="not ended yet"):
        publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q4")
    with pytest.raises(InvalidInputError, match="not a quarter"):
        publish_snapshot(session, settings=settings, brand="acme", quarter="2026-09")
    with pytest.raises(NotFoundError):
        publish_snapshot(session, settings=settings, brand="nobody", quarter="2026Q3")


def test_list_snapshots_is_brand_scoped_and_ordered(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
    publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q2")
    publish_snapshot(
        session, settings=settings, brand="acme", quarter="2026Q2", correct=True, reason="typo"
    )
    listed = [(code, s.quarter, s.version) for code, s in list_snapshots(session, brand="acme")]
    assert listed == [("acme", "2026Q2", 1), ("acme", "2026Q2", 2), ("acme", "2026Q3", 1)]
    assert [s.version for _c, s in list_snapshots(session, quarter="2026Q3")] == [1]
    with pytest.raises(NotFoundError):
        list_snapshots(session, brand="nobody")


def test_brand_config_chooses_the_figures(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock, tmp_path: Path
) -> None:
    custom = settings.model_copy(update={"config_dir": tmp_path})
    (tmp_path / "brands" / "acme").mkdir(parents=True)
    override = tmp_path / "brands" / "acme" / "transparency.yaml"
    override.write_text("figures: [sla_attainment, complaints_received]\nroot_causes: false\n")
    snapshot = publish_snapshot(session, settings=custom, brand="acme", quarter="2026Q3")
    assert [f["code"] for f in snapshot.figures["figures"]] == [
        "sla_attainment",
        "complaints_received",
    ]
    assert snapshot.figures["root_causes"] is None
    override.write_text("figures:\n  - complaints_received\n  - happiness\n")
    with pytest.raises(ConfigError) as info:
        publish_snapshot(session, settings=custom, brand="acme", quarter="2026Q2")
    assert "happiness" in info.value.message
    assert "transparency.yaml" in info.value.message


def test_commitments_kept_counts_promises_settled_that_fell_due_in_the_quarter(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    case = add_complaint(session, acme, 5, datetime(2026, 8, 1, 2, tzinfo=UTC))
    promise(session, case, datetime(2026, 8, 2, 2, tzinfo=UTC), kept=True)
    promise(session, case, datetime(2026, 9, 30, 15, tzinfo=UTC), kept=True)  # 23:00 local
    promise(session, case, datetime(2026, 8, 5, 2, tzinfo=UTC), kept=False)
    promise(session, case, datetime(2026, 9, 1, 2, tzinfo=UTC), kept=None)  # open: not settled
    promise(session, case, datetime(2026, 9, 30, 17, tzinfo=UTC), kept=False)  # Oct 1 local
    snapshot = publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
    assert _values(snapshot)["commitments_kept"] == pytest.approx(2 / 3)
    method = next(f for f in snapshot.figures["figures"] if f["code"] == "commitments_kept")
    assert method["unit"] == "share"
    assert "fell due in the quarter" in method["method"]


def test_commitments_kept_is_empty_without_settled_promises(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    snapshot = publish_snapshot(session, settings=settings, brand="acme", quarter="2026Q3")
    assert _values(snapshot)["commitments_kept"] is None

"""Prepared dashboard results: computed once after the rollups, served to any process's first
load, and after the data moved on only for a while and with the time they are from."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.metrics.conftest import add_late_response, insert_surveys
from trustpulse.app import create_app
from trustpulse.db import session_scope
from trustpulse.metrics import cache, complaint_leaves, engine
from trustpulse.metrics.actions import create_action
from trustpulse.metrics.query import Slice
from trustpulse.metrics.rollups import build_rollups
from trustpulse.reports import complaints as report_complaints
from trustpulse.reports import improvements as report_improvements
from trustpulse.runtime import Runtime
from trustpulse.web import drivers, jobs, transparency
from trustpulse.web.overview import overview_figures
from trustpulse.web.prepare import is_prepared, last_prepared, prepare_dashboard

BRAND = "acme"


def _must_not_compute(*_args: object, **_kwargs: object) -> list[dict[str, object]]:
    raise AssertionError("computed although a prepared result was there")


@pytest.fixture
def prepared(runtime: Runtime) -> Runtime:
    with session_scope(runtime.session_factory) as session:
        insert_surveys(session, n=120)
        build_rollups(session)
    done = prepare_dashboard(runtime.session_factory, runtime.settings)
    assert not done.skipped
    assert BRAND in done.brands
    assert done.results > 0
    cache.clear()  # what a new process, or this one after a restart, starts with
    return runtime


def test_a_new_process_reads_the_prepared_result_and_it_equals_a_fresh_one(
    prepared: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, factory = prepared.settings, prepared.session_factory
    with session_scope(factory, read_only=True) as session:
        stored_figures = overview_figures(session, settings, slc=Slice(brand=BRAND), segment=None)
        with monkeypatch.context() as patch:
            patch.setattr(drivers, "key_drivers", _must_not_compute)
            stored_drivers = drivers.driver_rows(
                session, settings, target="nps", slc=Slice(brand=BRAND)
            )
    assert stored_drivers  # the survey data has touchpoint scores to explain NPS with

    with session_scope(factory) as session:
        assert cache.forget_stored(session) > 0
    cache.clear()
    with session_scope(factory, read_only=True) as session:
        fresh_figures = overview_figures(session, settings, slc=Slice(brand=BRAND), segment=None)
        fresh_drivers = drivers.driver_rows(session, settings, target="nps", slc=Slice(brand=BRAND))
    assert stored_figures == fresh_figures
    assert stored_drivers == fresh_drivers


def _drivers_page(runtime: Runtime) -> str:
    app = create_app(runtime.settings, engine=runtime.engine)
    with TestClient(app) as client:
        response = client.get(f"/drivers?brand={BRAND}&lang=en")
    assert response.status_code == 200
    return response.text


def test_after_new_feedback_the_page_shows_prepared_figures_as_of_their_time(
    prepared: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory, slc = prepared.session_factory, Slice(brand=BRAND)
    with session_scope(factory, read_only=True) as session:
        prepared_at = last_prepared(session)
        assert cache.stale_as_of(session) is None
    assert "newer data is being prepared" not in _drivers_page(prepared)
    with session_scope(factory) as session:
        add_late_response(session, nps=0.0)
    cache.clear()

    with session_scope(factory, read_only=True) as session:
        assert not is_prepared(session)
        with monkeypatch.context() as patch:
            patch.setattr(drivers, "key_drivers", _must_not_compute)
            # a report or the CLI never gets figures older than the data
            with pytest.raises(AssertionError, match="computed although"):
                drivers.driver_rows(session, prepared.settings, target="nps", slc=slc)
            cache.allow_stale(session)  # what every dashboard page does
            rows = drivers.driver_rows(
                session, prepared.settings, target="nps", slc=Slice(brand=BRAND)
            )
            assert rows  # the prepared rows, served although the data moved on ...
            as_of = cache.stale_as_of(session)  # ... and said to be from the last preparation
            assert as_of is not None
            assert prepared_at is not None
            assert prepared_at - timedelta(minutes=1) < as_of <= prepared_at
            # past the age limit they are not served: the page computes afresh
            patch.setattr(cache, "STALE_SECONDS", 0.0)
            with pytest.raises(AssertionError, match="computed although"):
                drivers.driver_rows(
                    session, prepared.settings, target="nps", slc=Slice(brand=BRAND)
                )
    assert "newer data is being prepared" in _drivers_page(prepared)

    # prepared a moment ago: the job waits for the rollups rather than bootstrap every minute
    assert jobs.prepare() == {"skipped": "rollups not fresh"}
    with session_scope(factory) as session:
        build_rollups(session)
    done = jobs.prepare()
    assert isinstance(done["results"], int)
    assert done["results"] > 0
    cache.clear()
    assert "newer data is being prepared" not in _drivers_page(prepared)


def test_preparing_again_at_the_same_data_does_nothing_even_after_a_rollup_rerun(
    prepared: Runtime,
) -> None:
    factory = prepared.session_factory
    with session_scope(factory) as session:
        build_rollups(session)  # re-reads the latest days, changes no number
    with session_scope(factory, read_only=True) as session:
        assert is_prepared(session)
    again = prepare_dashboard(factory, prepared.settings)
    assert again.skipped
    assert again.results == 0
    assert jobs.prepare()["skipped"] == "already prepared"


def test_a_view_a_page_computed_before_the_job_is_stored_too(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory, settings = runtime.session_factory, runtime.settings
    with session_scope(factory) as session:
        insert_surveys(session, n=120)
        build_rollups(session)
    cache.clear()
    with session_scope(factory, read_only=True) as session:
        first = drivers.driver_rows(session, settings, target="nps", slc=Slice(brand=BRAND))
    prepare_dashboard(factory, settings)  # finds it in this process's memory
    cache.clear()
    monkeypatch.setattr(drivers, "key_drivers", _must_not_compute)
    with session_scope(factory, read_only=True) as session:
        again = drivers.driver_rows(session, settings, target="nps", slc=Slice(brand=BRAND))
        assert cache.stale_as_of(session) is None
    assert again == first


def test_the_latest_two_months_are_prepared_as_the_month_picker_asks_for_them(
    prepared: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """insert_surveys spans 2026-02-20 .. 2026-04-10 (brand zone): April and March."""
    app = create_app(prepared.settings, engine=prepared.engine)
    monkeypatch.setattr(engine, "compute_metric", _must_not_compute)
    breakdown = f"/breakdown?metric=trust_index&by=segment&brand={BRAND}"
    with TestClient(app) as client:
        for month in ("2026-04", "2026-03"):
            page = client.get(f"{breakdown}&month={month}")
            assert page.status_code == 200  # from the table: computing would raise
        with pytest.raises(AssertionError, match="computed although"):
            client.get(f"{breakdown}&month=2026-02")  # not prepared


def test_each_channel_and_the_segment_overview_are_prepared(
    prepared: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """insert_surveys answers by email and sms from family and business customers."""
    app = create_app(prepared.settings, engine=prepared.engine)
    monkeypatch.setattr(engine, "compute_metric", _must_not_compute)
    with TestClient(app) as client:
        for query in ("channel=email", "channel=sms", "segment=family", "segment=business"):
            page = client.get(f"/?brand={BRAND}&{query}&lang=en")
            assert page.status_code == 200, query  # from the table: computing would raise
        with pytest.raises(AssertionError, match="computed although"):
            client.get(f"/?brand={BRAND}&channel=email&month=2026-03&lang=en")  # not prepared


def test_transparency_complaint_figures_of_the_latest_quarters_are_prepared(
    prepared: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """insert_surveys ends in 2026Q2: it and the eleven quarters before are prepared (each
    page shows the quarter before too, so the picker walks back one at a time)."""
    app = create_app(prepared.settings, engine=prepared.engine)
    monkeypatch.setattr(transparency, "complaint_handling", _must_not_compute)
    with TestClient(app) as client:
        for quarter in ("2026Q2", "2025Q2", "2023Q4"):  # 2023Q4 shows 2023Q3, the 12th
            page = client.get(f"/transparency?brand={BRAND}&quarter={quarter}&lang=en")
            assert page.status_code == 200, quarter  # from the table: computing would raise
        with pytest.raises(AssertionError, match="computed although"):
            client.get(f"/transparency?brand={BRAND}&quarter=2023Q3&lang=en")  # not prepared


def test_any_month_finds_its_complaint_figures_prepared(
    prepared: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """February is not a prepared month: its overview computes the survey figures, but the
    complaint KPIs (a trust-index leaf, the same for every slice of the month) and the whole
    month's handling figures come from the table."""
    app = create_app(prepared.settings, engine=prepared.engine)
    monkeypatch.setattr(complaint_leaves, "complaint_metrics", _must_not_compute)
    monkeypatch.setattr(report_complaints, "complaint_handling", _must_not_compute)
    with TestClient(app) as client:
        page = client.get(f"/?brand={BRAND}&month=2026-02&lang=en")
        assert page.status_code == 200  # computing either would raise
        with pytest.raises(AssertionError, match="computed although"):
            client.get(f"/?brand={BRAND}&since=2026-02-03&until=2026-02-17&lang=en")


def test_improvement_verdicts_are_prepared(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(runtime.session_factory) as session:
        insert_surveys(session, n=120)
        create_action(
            session,
            brand=BRAND,
            problem="shorter hotline wait",
            metric="nps",
            impact=7.0,
            cost=1_000.0,
            expected_gain=3.0,
            status="done",
            start_date=date(2026, 3, 10),
            done_date=date(2026, 3, 12),
        )
        build_rollups(session)
    prepare_dashboard(runtime.session_factory, runtime.settings)
    cache.clear()
    monkeypatch.setattr(report_improvements, "verify_action", _must_not_compute)
    app = create_app(runtime.settings, engine=runtime.engine)
    with TestClient(app) as client:
        page = client.get(f"/improvements?brand={BRAND}&lang=en")
        assert page.status_code == 200  # the verdict from the table: computing would raise
        assert "shorter hotline wait" in page.text

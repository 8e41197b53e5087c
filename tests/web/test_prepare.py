"""Prepared dashboard results: computed once after the rollups, served to any process's first
load, and never once the data has moved on."""

from __future__ import annotations

import pytest

from tests.metrics.conftest import add_late_response, insert_surveys
from trustpulse.db import session_scope
from trustpulse.metrics import cache
from trustpulse.metrics.query import Slice
from trustpulse.metrics.rollups import build_rollups
from trustpulse.runtime import Runtime
from trustpulse.web import drivers, jobs
from trustpulse.web.overview import overview_figures
from trustpulse.web.prepare import is_prepared, prepare_dashboard

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


def test_new_feedback_voids_the_prepared_results(
    prepared: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = prepared.session_factory
    with session_scope(factory) as session:
        add_late_response(session, nps=0.0)
    with session_scope(factory, read_only=True) as session:
        assert not is_prepared(session)
        monkeypatch.setattr(drivers, "key_drivers", _must_not_compute)
        with pytest.raises(AssertionError, match="computed although"):
            drivers.driver_rows(session, prepared.settings, target="nps", slc=Slice(brand=BRAND))
    # the job waits for the rollups: preparing now would be voided by the next rollup build
    assert jobs.prepare() == {"skipped": "rollups not fresh"}


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

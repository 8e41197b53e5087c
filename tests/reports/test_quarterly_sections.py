"""The quarterly report's complaint figures (published snapshot or marked live), its improvements
with verdicts, and the commitments kept; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from tests.transparency.conftest import add_complaint, promise, publish_with_correction
from trustpulse.clock import ManualClock
from trustpulse.config import Settings
from trustpulse.customers.models import Brand
from trustpulse.db import session_scope
from trustpulse.metrics.actions import create_action
from trustpulse.reports.render import render_html
from trustpulse.reports.service import quarterly_report
from trustpulse.runtime import build_runtime


def _html(session: Session, settings: Settings, quarter: str = "2026Q3") -> str:
    report = quarterly_report(session, brand="acme", quarter=quarter, settings=settings)
    return render_html(report, locale="en", settings=settings)


def _row(html: str, label: str) -> str:
    found = re.search(rf"<tr><td>{re.escape(label)}</td><td>([^<]+)</td>", html)
    assert found is not None, label
    return found.group(1)


def test_unpublished_quarter_reports_live_figures_and_says_so(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    html = _html(session, settings)
    assert 'id="live-figures"' in html
    assert "complaint figures live, not yet published" in html
    assert 'id="published-figures"' not in html
    assert _row(html, "Complaints received") == "3"


def test_published_quarter_reports_the_snapshot_with_version_date_and_reasons(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    publish_with_correction(
        session, settings, acme, clock, reason="One complaint was imported <late>."
    )
    add_complaint(session, acme, 10, datetime(2026, 9, 28, 2, tzinfo=UTC))  # live: 5 now
    report = quarterly_report(session, brand="acme", quarter="2026Q3", settings=settings)
    assert report.handling.opened == 5
    assert report.published is not None
    assert report.published.version == 2
    assert report.published.published_on == date(2026, 10, 20)
    html = render_html(report, locale="en", settings=settings)
    assert "version 2, published on Oct 20, 2026" in html
    assert _row(html, "Complaints received") == "4"
    assert 'id="live-figures"' not in html
    corrections = html[html.index('id="corrections"') :]
    assert "Oct 15, 2026" in corrections
    assert "First publication" in corrections
    assert "One complaint was imported &lt;late&gt;." in corrections
    chinese = render_html(report, locale="zh-CN", settings=settings)
    assert "更正记录" in chinese


def test_commitments_kept_and_improvements_of_the_quarter_are_listed(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    case = add_complaint(session, acme, 5, datetime(2026, 8, 1, 2, tzinfo=UTC))
    promise(session, case, datetime(2026, 8, 2, 2, tzinfo=UTC), kept=True)
    promise(session, case, datetime(2026, 8, 3, 2, tzinfo=UTC), kept=True)
    promise(session, case, datetime(2026, 8, 4, 2, tzinfo=UTC), kept=False)
    promise(session, case, datetime(2026, 11, 4, 2, tzinfo=UTC), kept=None)  # due in Q4
    fields = {"metric": "nps", "impact": 5.0, "cost": 1000.0, "expected_gain": 2.0}
    create_action(
        session,
        brand="acme",
        problem="Courier SLA renegotiated",
        status="done",
        start_date=date(2026, 7, 1),
        done_date=date(2026, 8, 10),
        **fields,
    )
    create_action(
        session,
        brand="acme",
        problem="Old fix",
        status="done",
        done_date=date(2026, 5, 1),
        **fields,
    )
    create_action(
        session,
        brand="acme",
        problem="Hotline hours",
        status="open",
        due_date=date(2027, 1, 31),
        **fields,
    )
    report = quarterly_report(session, brand="acme", quarter="2026Q3", settings=settings)
    assert (report.promises.kept, report.promises.broken, report.promises.open) == (2, 1, 0)
    assert [a.problem for a in report.improved] == ["Courier SLA renegotiated"]
    assert [a.problem for a in report.open_actions] == ["Hotline hours"]
    html = render_html(report, locale="en", settings=settings)
    assert "2 kept, 1 broken, 0 still open. Kept: 66.7% of those settled." in html
    improved = html[
        html.index('id="improved"') : html.index("</table>", html.index('id="improved"'))
    ]
    assert "Courier SLA renegotiated" in improved
    assert "too few responses" in improved  # no survey answers around it in this brand
    assert "Old fix" not in html  # done in 2026Q2
    assert "Hotline hours" in html[html.index('id="open-actions"') :]


def test_demo_report_shows_the_verdict_with_its_interval(demo_settings: Settings) -> None:
    runtime = build_runtime(demo_settings)
    with session_scope(runtime.session_factory) as session:
        report = quarterly_report(session, brand="aurora", quarter="2026Q2", settings=demo_settings)
        html = render_html(report, locale="en", settings=demo_settings)
    runtime.engine.dispose()
    (action,) = report.improved
    assert action.problem.startswith("AWH-60 valve seal")
    verdict = action.verdict
    assert verdict is not None
    assert verdict.ci_low is not None
    assert verdict.ci_high is not None
    row = html[html.index('id="improved"') :]
    assert f"{verdict.ci_low:.1f}".replace("-", "−") in row
    assert verdict.verdict in row
    assert 'id="live-figures"' in html


def test_report_without_actions_or_promises_says_so(
    session: Session, settings: Settings, acme: Brand, clock: ManualClock
) -> None:
    html = _html(session, settings)
    assert 'id="no-improvements"' in html
    assert 'id="open-actions"' not in html
    assert "0 kept, 0 broken, 0 still open. Kept: — of those settled." in html

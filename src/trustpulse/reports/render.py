"""The quarterly report as HTML (Jinja2, autoescaped, zh-CN or en) and as PDF (WeasyPrint).

Charts are inline SVG (reports/svg.py). Chinese needs a CJK font on the machine
(Debian: fonts-wqy-microhei); the stylesheet names it first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from trustpulse.config import Settings
from trustpulse.metrics.trust_index import load_trust_config
from trustpulse.reports import improvements
from trustpulse.reports.service import QuarterlyReport
from trustpulse.reports.svg import BandPoint, band_chart, bar_chart
from trustpulse.reports.transparency import figure_rows
from trustpulse.web.i18n import N_, Locale, formatter

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
METRIC_LABELS = {
    "trust_index": N_("Trust index"),
    "nps": N_("NPS"),
    "csat": N_("CSAT"),
    "ces": N_("CES"),
}
STATUS_LABELS = {
    "met": N_("met"),
    "at_risk": N_("at risk"),
    "missed": N_("missed"),
    "no_data": N_("no data"),
}


def _charts(report: QuarterlyReport, locale: Locale) -> dict[str, Markup]:
    i = formatter(locale)
    targets = {h.metric: h.target.target if h.target else None for h in report.headlines}
    charts = {}
    for metric, points in report.monthly.items():
        charts[metric] = Markup(  # noqa: S704 -- svg.py escapes every label it writes
            band_chart(
                [BandPoint(p.period, p.value, p.ci_low, p.ci_high) for p in points],
                title=i.gettext(METRIC_LABELS[metric]),
                target=targets.get(metric),
            )
        )
    months = list(report.handling.by_month)
    charts["complaints"] = Markup(  # noqa: S704 -- svg.py escapes every label it writes
        bar_chart(
            months,
            [
                (i.gettext("opened"), [report.handling.by_month[m]["opened"] for m in months]),
                (i.gettext("resolved"), [report.handling.by_month[m]["resolved"] for m in months]),
            ],
            title=i.gettext("Complaints by month"),
        )
    )
    return charts


def render_html(report: QuarterlyReport, *, locale: Locale, settings: Settings) -> str:
    i = formatter(locale)
    dims = load_trust_config(settings, brand=report.brand.code).dimensions
    trust_head = report.headlines[0]
    values: Any = trust_head.current.extra.get("dimensions", {}) if trust_head.current else {}
    dimensions = [(d.name_zh if locale == "zh-CN" else d.name_en, values.get(d.code)) for d in dims]
    return _ENV.get_template("quarterly.html").render(
        r=report,
        i=i,
        _=i.gettext,
        locale=locale,
        charts=_charts(report, locale),
        dimensions=dimensions,
        metric_labels=METRIC_LABELS,
        status_labels=STATUS_LABELS,
        published_rows=figure_rows(i, report.published.figures) if report.published else [],
        verdict_labels=improvements.VERDICT_LABELS,
        verdict_classes=improvements.VERDICT_CLASSES,
        action_status_labels=improvements.STATUS_LABELS,
        window_days=improvements.WINDOW_DAYS,
    )


def render_pdf(html: str) -> bytes:
    """PDF bytes of the report HTML (~0.5 s); imports WeasyPrint (pango) only when asked."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # noqa: PLC0415 -- heavy, PDF only

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf

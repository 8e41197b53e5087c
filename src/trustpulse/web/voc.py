"""The voice-of-the-customer page: sentiment trend, aspects, watch-list terms, topics (shares and
emerging), verbatims."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from trustpulse.errors import InvalidInputError
from trustpulse.metrics import cache
from trustpulse.reports import voc, voc_topics
from trustpulse.text.config import load_text_config
from trustpulse.web.context import Page, app_settings
from trustpulse.web.export import Cell, ExportTable, pick_table
from trustpulse.web.i18n import N_
from trustpulse.web.labels import catalogue_names, code_label

PAGE_SIZE = 20
SENTIMENT_LABELS = {
    "positive": N_("positive"),
    "neutral": N_("neutral"),
    "negative": N_("negative"),
}
SENTIMENT_COLORS = {"positive": "#2f9e44", "neutral": "#adb5bd", "negative": "#c92a2a"}
EXPORT_LIMIT = 50_000  # rows in one verbatim download


def _int(value: str | None, default: int) -> int:
    if not value:
        return default
    try:
        return max(int(value), 1)
    except ValueError as exc:
        raise InvalidInputError(f"page: {value!r} is not a number", field="page") from exc


def _key(flt: voc.VocFilter) -> Hashable:
    return cache.freeze(dict(flt.__dict__))


def _aspect_table(page: Page, aspects: dict[str, dict[str, int]]) -> ExportTable:
    _ = page.i.gettext
    names = catalogue_names(page.session)
    rows: list[list[Cell]] = []
    for aspect, counts in aspects.items():
        total = sum(counts.values())
        net = (counts.get("positive", 0) - counts.get("negative", 0)) / total if total else None
        rows.append(
            [code_label(page.i, aspect, names), *(counts.get(s, 0) for s in voc.SENTIMENTS), net]
        )
    return ExportTable(
        title="aspects x sentiment",
        filename="voc-aspects",
        headers=[_("Aspect"), *(_(SENTIMENT_LABELS[s]) for s in voc.SENTIMENTS), _("Net")],
        rows=rows,
    )


def _watch_table(page: Page, watch: list[tuple[str, str, int]]) -> ExportTable:
    _ = page.i.gettext
    names = catalogue_names(page.session)
    return ExportTable(
        title="watch-list terms",
        filename="voc-watch-list",
        headers=[_("Watch list"), _("Term"), _("Mentions")],
        rows=[[code_label(page.i, lst, names), term, n] for lst, term, n in watch],
    )


def voc_context(page: Page) -> tuple[dict[str, Any], ExportTable]:
    """The page's context and the table `?table=` picks: verbatims (default), aspects, watch."""
    flt = page.filters
    _ = page.i.gettext
    query = page.request.query_params
    if flt.brand is None:
        return {"empty": True}, ExportTable("verbatims", [], [])
    sentiment = query.get("sentiment") or None
    if sentiment is not None and sentiment not in voc.SENTIMENTS:
        raise InvalidInputError(f"unknown sentiment {sentiment!r}", field="sentiment")
    search = (query.get("q") or "").strip()[:200] or None
    base = voc.VocFilter(
        brand=flt.brand.code,
        since=flt.since,
        until=flt.until,
        channel=flt.channel,
        segment=flt.segment,
    )
    aspects = cache.cached(
        page.session,
        ("voc.aspects", _key(base)),
        lambda: voc.aspect_sentiment(page.session, base),
    )
    watch = cache.cached(
        page.session, ("voc.watch", _key(base)), lambda: voc.watch_terms(page.session, base)
    )
    tables = {"aspects": _aspect_table(page, aspects), "watch": _watch_table(page, watch)}
    exporting = bool(query.get("export"))
    if exporting and query.get("table") in tables:
        return {}, tables[query["table"]]  # no verbatim list to read for these
    listed = voc.VocFilter(**{**base.__dict__, "sentiment": sentiment, "search": search})
    number = _int(query.get("page"), 1)
    limit = EXPORT_LIMIT if exporting else PAGE_SIZE
    offset = 0 if exporting else (number - 1) * PAGE_SIZE
    verbatims, total = cache.cached(
        page.session,
        ("voc.verbatims", _key(listed), limit, offset),
        lambda: voc.list_verbatims(page.session, listed, limit=limit, offset=offset),
    )
    tables = {
        "verbatims": ExportTable(
            title="verbatims",
            headers=[
                _("Date"),
                _("Channel"),
                _("Language"),
                _("Sentiment"),
                _("Score"),
                _("Text"),
            ],
            rows=[
                [
                    v.occurred_at,
                    v.channel,
                    v.language,
                    _(SENTIMENT_LABELS[v.sentiment]) if v.sentiment in SENTIMENT_LABELS else "",
                    v.sentiment_score,
                    v.text,
                ]
                for v in verbatims
            ],
        ),
        **tables,
    }
    export = pick_table(tables, query.get("table"))
    if exporting:
        return {}, export
    trend = cache.cached(
        page.session, ("voc.trend", _key(base)), lambda: voc.sentiment_by_month(page.session, base)
    )
    months = list(trend)
    chart = {
        "kind": "bars",
        "x": months,
        "series": [
            {
                "name": _(SENTIMENT_LABELS[s]),
                "values": [int(trend[m][s]) for m in months],
                "stack": "sentiment",
                "color": SENTIMENT_COLORS[s],
            }
            for s in voc.SENTIMENTS
        ],
    }
    rules = load_text_config(app_settings(page.request), brand=flt.brand.code).topics
    topics = cache.cached(
        page.session,
        ("voc.topics", _key(base), cache.freeze(rules.model_dump())),
        lambda: voc_topics.topic_summary(page.session, base, rules=rules),
    )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    context = {
        "empty": False,
        "chart": chart,
        "aspects": aspects,
        "watch": watch,
        "topics": topics,
        "verbatims": verbatims,
        "total": total,
        "page_number": min(number, pages),
        "pages": pages,
        "search": search or "",
        "sentiment": sentiment or "",
        "sentiment_labels": SENTIMENT_LABELS,
    }
    return context, export

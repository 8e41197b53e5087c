"""The complaint desk on the dashboard: the queue (SLA urgency, live countdowns) and one case.

Queue filters are query parameters kept with the global filters (`team`, `owner`, `severity`,
`state` = open (default) | all | a state, `breaching=1`, `page`); the global channel and period
filters apply to the channel and the opening time (dates in the brand's time zone). Routes call
the complaint services only (complaints.views, lifecycle, ownership): no queries here.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from trustpulse.accounts.actors import CurrentActor
from trustpulse.clock import utcnow
from trustpulse.complaints import views
from trustpulse.complaints.hints import queue_hints
from trustpulse.complaints.lifecycle import OPEN_STATES, StaleVersionError
from trustpulse.complaints.models import ComplaintState, Severity
from trustpulse.db import DbSession
from trustpulse.errors import InvalidInputError, TrustPulseError
from trustpulse.web.complaint_clocks import STATE_LABELS, clock_view, countdown_words
from trustpulse.web.complaint_detail import (
    RESPONSIBILITY_LABELS,
    ActionForm,
    detail_context,
    run_action,
)
from trustpulse.web.complaint_timeline import timeline_table
from trustpulse.web.context import Page, app_settings, render, serve_page
from trustpulse.web.export import ExportTable, parse_format
from trustpulse.web.export import export_response as export_table
from trustpulse.web.i18n import N_

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
EXPORT_LIMIT = 10_000
STATE_NAMES = {
    "new": N_("new"),
    "acknowledged": N_("acknowledged"),
    "in_progress": N_("in progress"),
    "waiting_on_customer": N_("waiting on customer"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}


def _int(value: str | None, name: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInputError(f"{name}: {value!r} is not a number", field=name)
    return int(value)


def _states(value: str) -> list[ComplaintState]:
    if value in ("", "open"):
        return sorted(OPEN_STATES)
    if value == "all":
        return []
    try:
        return [ComplaintState(value)]
    except ValueError as exc:
        raise InvalidInputError(f"unknown state {value!r}", field="state") from exc


def _severity(value: str | None) -> Severity | None:
    if not value:
        return None
    try:
        return Severity(value)
    except ValueError as exc:
        raise InvalidInputError(f"unknown severity {value!r}", field="severity") from exc


def queue_filter(page: Page, brand: str, zone: ZoneInfo) -> views.QueueFilter:
    query, flt = page.request.query_params, page.filters
    since = datetime.combine(flt.since, time(), zone) if flt.since else None
    before = datetime.combine(flt.until + timedelta(days=1), time(), zone) if flt.until else None
    return views.QueueFilter(
        brand=brand,
        states=_states(query.get("state", "")),
        team_id=_int(query.get("team"), "team"),
        owner_id=_int(query.get("owner"), "owner"),
        severity=_severity(query.get("severity")),
        breaching=query.get("breaching") in ("1", "true", "on"),
        channel=flt.channel,
        opened_since=since,
        opened_before=before,
    )


def queue_context(page: Page) -> tuple[dict[str, Any], ExportTable]:
    brand = page.filters.brand
    if brand is None:
        return {"empty": True}, ExportTable("complaints", [], [])
    _ = page.i.gettext
    zone = ZoneInfo(brand.timezone)
    flt = queue_filter(page, brand.code, zone)
    exporting = bool(page.request.query_params.get("export"))
    number = max(_int(page.request.query_params.get("page"), "page") or 1, 1)
    now = utcnow()
    rows, total = views.list_queue(
        page.session,
        flt,
        now=now,
        limit=EXPORT_LIMIT if exporting else PAGE_SIZE,
        offset=0 if exporting else (number - 1) * PAGE_SIZE,
    )
    hints = queue_hints(
        page.session,
        [row.complaint.id for row in rows],
        brand=brand.code,
        settings=app_settings(page.request),
    )
    words = countdown_words(page.i)
    items = []
    for row in rows:
        target = row.next_target
        items.append((row, clock_view(target, words=words, now=now) if target else None))
    export = ExportTable(
        title="complaints",
        headers=[
            _("Complaint"),
            _("State"),
            _("Severity"),
            _("Category"),
            _("Channel"),
            _("Team"),
            _("Owner"),
            _("Opened"),
            _("Next deadline"),
            _("Due"),
            _("SLA"),
            _("Responsibility"),
            _("Suggested responsibility"),
            _("Suggestion confidence"),
        ],
        rows=[
            [
                row.complaint.id,
                _(STATE_NAMES[row.complaint.state.value]),
                row.complaint.severity.value,
                row.complaint.category,
                row.complaint.channel,
                row.team,
                row.owner,
                row.complaint.opened_at.astimezone(zone).replace(microsecond=0),
                _(clock.label) if clock else None,
                clock.due_at.astimezone(zone).replace(microsecond=0)
                if clock and clock.due_at
                else None,
                _(STATE_LABELS[clock.state]) if clock else None,
                _party(row.complaint.responsibility, _),
                _party(hints[row.complaint.id][0], _) if row.complaint.id in hints else None,
                hints[row.complaint.id][1] if row.complaint.id in hints else None,
            ]
            for row, clock in items
        ],
    )
    if exporting:
        return {}, export
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    query = page.request.query_params
    return {
        "empty": False,
        "items": items,
        "total": total,
        "page_number": min(number, pages),
        "pages": pages,
        "desk": views.brand_desk(page.session, brand=brand.code),
        "state_names": STATE_NAMES,
        "clock_labels": STATE_LABELS,
        "severities": [s.value for s in Severity],
        "chosen": {k: query.get(k, "") for k in ("team", "owner", "severity", "state")},
        "breaching": flt.breaching,
        "countdown_words": words,
        "zone": zone,
        "hints": hints,
        "responsibility_labels": RESPONSIBILITY_LABELS,
    }, export


def _party(value: str | None, gettext: Any) -> str | None:
    """A responsibility in the reader's language (a label a model made up stays as it is)."""
    if value is None:
        return None
    return str(gettext(RESPONSIBILITY_LABELS[value])) if value in RESPONSIBILITY_LABELS else value


@router.get("/complaints")
def complaint_queue(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    def view(page: Page) -> Response:
        context, table = queue_context(page)
        fmt = parse_format(request.query_params.get("export"))
        if fmt is not None:
            return export_table(table, fmt, filename="complaints")
        return render(page, "complaints.html", {**context, "state_names": STATE_NAMES})

    return serve_page(request, session, view, actor=actor)


@router.get("/complaints/{complaint_id}")
def complaint_page(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    complaint_id: int,
    done: str | None = None,
) -> Response:
    def view(page: Page) -> Response:
        notice = page.i.gettext("Saved.") if done else None
        context = detail_context(page, app_settings(request), complaint_id, notice=notice)
        fmt = parse_format(request.query_params.get("export"))
        if fmt is not None:
            table = timeline_table(page, context, STATE_NAMES)
            return export_table(table, fmt, filename=f"complaint-{complaint_id}-timeline")
        return render(page, "complaint_detail.html", {**context, "state_names": STATE_NAMES})

    return serve_page(request, session, view, actor=actor)


@router.post("/complaints/{complaint_id}/{action}")
def complaint_action(  # noqa: PLR0917 -- FastAPI reads parameters from the signature
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    complaint_id: int,
    action: str,
    form: Annotated[ActionForm, Form()],
) -> Response:
    """Post/redirect/get; a stale version or a refused change re-renders the case (fresh from
    the database) with the message and the status code, keeping what the agent typed."""

    def view(page: Page) -> Response:
        brand = page.filters.brand
        if brand is None:
            raise InvalidInputError("no brand to show complaints of", field="brand")
        _ = page.i.gettext
        try:
            run_action(
                session,
                complaint_id,
                action,
                form,
                brand=brand.code,
                settings=app_settings(request),
            )
        except StaleVersionError:
            session.rollback()
            message = _("Someone else changed this complaint; it was reloaded. Check and retry.")
            return _again(page, complaint_id, form, message, status=409)
        except TrustPulseError as exc:
            session.rollback()
            if exc.status_code == 404:
                raise
            message = _("Not saved: %(reason)s", reason=exc.message)
            return _again(page, complaint_id, form, message, status=exc.status_code)
        session.commit()
        target = page.url(f"/complaints/{complaint_id}", agent=form.actor_id, done=action)
        return RedirectResponse(target + "#timeline", status_code=303)

    return serve_page(request, session, view, actor=actor)


def _again(
    page: Page, complaint_id: int, form: ActionForm, message: str, *, status: int
) -> Response:
    context = detail_context(
        page,
        app_settings(page.request),
        complaint_id,
        error=message,
        draft=form.model_dump(exclude={"version"}),
        agent=form.actor_id,
    )
    return render(
        page, "complaint_detail.html", {**context, "state_names": STATE_NAMES}, status=status
    )

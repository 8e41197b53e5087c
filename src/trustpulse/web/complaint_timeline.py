"""One complaint's timeline as an export table (`/complaints/{id}?export=xlsx|csv`).

The rows are the events the detail page lists, newest first, with the same names: the event,
who acted, the state change, the channel, what the page adds beside some kinds (a transfer's
owners, a resolution's root cause and responsibility, an SLA event's target) and the note.
Times are in the brand's time zone, like the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trustpulse.complaints.models import ComplaintEvent
from trustpulse.web.complaint_clocks import TARGET_LABELS
from trustpulse.web.complaint_detail import EVENT_LABELS, RESPONSIBILITY_LABELS
from trustpulse.web.context import Page
from trustpulse.web.export import Cell, ExportTable
from trustpulse.web.labels import Names, catalogue_names, code_label


def _details(page: Page, event: ComplaintEvent, who: Mapping[int, str], names: Names) -> str:
    _ = page.i.gettext
    data = event.data or {}
    if event.kind == "transferred":
        return " → ".join(_person(page, data.get(k), who) for k in ("from_owner_id", "to_owner_id"))
    if event.kind == "resolved":
        cause = code_label(page.i, data.get("root_cause"), names)
        party = data.get("responsibility")
        return (
            f"{cause} · {_(RESPONSIBILITY_LABELS[party])}"
            if party in RESPONSIBILITY_LABELS
            else cause
        )
    if event.kind == "replied" and data.get("author") == "customer":
        return _("customer")
    target = data.get("target")
    if event.kind.startswith("sla_") and target:
        return _(TARGET_LABELS[target]) if target in TARGET_LABELS else str(target)
    return ""


def _person(page: Page, user_id: object, who: Mapping[int, str]) -> str:
    if not isinstance(user_id, int):
        return page.i.gettext("system")
    return who.get(user_id, f"#{user_id}")


def timeline_table(
    page: Page, context: Mapping[str, Any], state_names: Mapping[str, str]
) -> ExportTable:
    """The timeline of a `detail_context` answer; `state_names` are the queue's state labels."""
    _ = page.i.gettext
    case = context["case"]
    zone = context["zone"]
    names = catalogue_names(page.session)

    def state(value: str | None) -> str:
        if value is None:
            return ""
        return _(state_names[value]) if value in state_names else value

    rows: list[list[Cell]] = []
    for e in context["events"]:
        at: datetime = e.at
        changed = e.from_state and e.to_state and e.from_state != e.to_state
        rows.append(
            [
                at.astimezone(zone),
                _(EVENT_LABELS[e.kind]) if e.kind in EVENT_LABELS else e.kind,
                _person(page, e.actor_id, case.people),
                state(e.from_state) if changed else "",
                state(e.to_state) if changed else "",
                code_label(page.i, e.channel, names) if e.channel else "",
                _details(page, e, case.people, names),
                e.note or "",
            ]
        )
    return ExportTable(
        title=f"complaint {case.complaint.id} timeline",
        headers=[
            _("Date"),
            _("Event"),
            _("By"),
            _("From"),
            _("To"),
            _("Channel"),
            _("Details"),
            _("Note"),
        ],
        rows=rows,
    )

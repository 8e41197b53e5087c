"""The figures a brand may publish on its transparency page: what each is and how it is computed.

Each figure is a plain number (or None) computed from a quarter's complaint handling, its
improvement actions and its promises to complainants, so a published snapshot can freeze it as
JSON. Labels and methods are English msgids (translated when shown); a snapshot stores the
method text it was computed with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from trustpulse.reports.complaints import HandlingStats, PromiseStats
from trustpulse.web.i18n import N_, Formatter


@dataclass(frozen=True)
class Period:
    quarter: str
    since: date  # first local day
    until: date  # last local day (inclusive)


@dataclass(frozen=True)
class FigureInputs:
    """What the figures are computed from: one quarter's handling, its finished actions and the
    promises to complainants that fell due in it."""

    handling: HandlingStats
    improvements_done: int
    promises: PromiseStats = field(default_factory=PromiseStats)


@dataclass(frozen=True)
class FigureDef:
    code: str
    label: str
    unit: str  # "count", "share" (0-1) or "hours"
    method: str
    value: Callable[[FigureInputs], float | int | None]


FIGURES: dict[str, FigureDef] = {
    f.code: f
    for f in (
        FigureDef(
            "complaints_received",
            N_("Complaints received"),
            "count",
            N_("Complaints opened in the quarter (brand time zone), from every channel."),
            lambda x: x.handling.opened,
        ),
        FigureDef(
            "share_resolved",
            N_("Share resolved"),
            "share",
            N_("Complaints of the quarter resolved so far, divided by complaints received."),
            lambda x: x.handling.share_resolved,
        ),
        FigureDef(
            "first_response_median_h",
            N_("First response, median (hours)"),
            "hours",
            N_("Median wall-clock hours from receipt to the first response to the customer."),
            lambda x: x.handling.response_median_h,
        ),
        FigureDef(
            "resolution_median_h",
            N_("Resolution, median (hours)"),
            "hours",
            N_("Median wall-clock hours from receipt to resolution, over resolved complaints."),
            lambda x: x.handling.resolution_median_h,
        ),
        FigureDef(
            "resolution_p90_h",
            N_("Resolution, 90th percentile (hours)"),
            "hours",
            N_("90 % of resolved complaints were resolved within this many wall-clock hours."),
            lambda x: x.handling.resolution_p90_h,
        ),
        FigureDef(
            "sla_attainment",
            N_("SLA attainment"),
            "share",
            N_("Share of finished SLA clocks (response, resolution) that were never breached."),
            lambda x: x.handling.sla_met,
        ),
        FigureDef(
            "compensated",
            N_("Complaints compensated"),
            "count",
            N_("Complaints of the quarter for which compensation was paid."),
            lambda x: x.handling.compensated,
        ),
        FigureDef(
            "commitments_kept",
            N_("Commitments kept"),
            "share",
            N_(
                "Promises made to complainants that fell due in the quarter and were kept, "
                "divided by those kept or broken (an open promise past its due time is broken)."
            ),
            lambda x: x.promises.share_kept,
        ),
        FigureDef(
            "improvements_completed",
            N_("Improvements completed"),
            "count",
            N_("Improvement actions marked done with a completion date in the quarter."),
            lambda x: x.improvements_done,
        ),
    )
}


def compute_figures(
    codes: Sequence[str], inputs: FigureInputs, period: Period
) -> list[dict[str, object]]:
    """The chosen figures as JSON-ready dicts: code, value, unit, period, method (English)."""
    out: list[dict[str, object]] = []
    for code in codes:
        figure = FIGURES[code]
        out.append(
            {
                "code": code,
                "value": figure.value(inputs),
                "unit": figure.unit,
                "quarter": period.quarter,
                "since": period.since.isoformat(),
                "until": period.until.isoformat(),
                "method": figure.method,
            }
        )
    return out


def count_done(actions: Sequence[Mapping[str, object]], *, since: date, until: date) -> int:
    """Rows of metrics.actions.list_actions that were done with a done date in since..until."""
    done = 0
    for row in actions:
        day = row.get("done_date")
        if row.get("status") == "done" and isinstance(day, str):
            done += since <= date.fromisoformat(day) <= until
    return done


def format_value(i: Formatter, unit: object, value: object) -> str:
    """A figure's value as shown: shares as percentages, hours with one decimal, "—" if none."""
    if not isinstance(value, int | float):
        return "—"
    if unit == "share":
        return i.percent(value, 1)
    return i.number(value, 1 if unit == "hours" else 0)


def figure_label(i: Formatter, code: str) -> str:
    """The figure's translated label (the code itself for a figure no longer defined)."""
    figure = FIGURES.get(code)
    return i.gettext(figure.label) if figure else code


def figure_rows(
    i: Formatter, figures: Sequence[Mapping[str, object]]
) -> list[tuple[str, str, str]]:
    """(label, value, how it is computed) of each figure of a snapshot payload, translated."""
    return [
        (
            figure_label(i, str(f["code"])),
            format_value(i, f.get("unit"), f.get("value")),
            i.gettext(str(f.get("method", ""))),
        )
        for f in figures
    ]

"""How the complaint pages show SLA clocks: status, due time, and the countdown's first text.

The server renders every countdown as text (the page works without JavaScript);
`static/countdown.js` then updates each element carrying `data-due` (a UTC instant) every
second, with the same words, which the page embeds as JSON (`countdown_words`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from trustpulse.complaints.models import ComplaintSlaTarget, SlaStatus
from trustpulse.web.i18n import N_, Formatter

ClockState = Literal["running", "overdue", "paused", "met", "missed"]
SOON_SECONDS = 3600  # a running clock with less than an hour left is shown in orange
TARGET_LABELS = {
    "first_response": N_("First response"),
    "next_reply": N_("Next reply"),
    "resolution": N_("Resolution"),
    "public_reply": N_("Public reply"),
}
STATE_LABELS = {
    "running": N_("running"),
    "overdue": N_("overdue"),
    "paused": N_("paused"),
    "met": N_("met"),
    "missed": N_("missed"),
}


def countdown_words(i: Formatter) -> dict[str, str]:
    """The words countdown.js uses; `%(n)s` / `%(time)s` are filled in by the script."""
    _ = i.gettext
    return {
        "d": _("%(n)sd"),
        "h": _("%(n)sh"),
        "m": _("%(n)sm"),
        "s": _("%(n)ss"),
        "left": _("%(time)s left"),
        "overdue": _("%(time)s overdue"),
    }


def span_text(words: dict[str, str], seconds: int) -> str:
    """1d 2h 3m / 2h 3m 4s / 3m 4s / 4s (the same rule as countdown.js)."""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    first = next((k for k, (value, _) in enumerate(parts) if value), 3)
    shown = parts[first : first + 3]
    return " ".join(words[unit].replace("%(n)s", str(value)) for value, unit in shown)


def countdown_text(words: dict[str, str], due_at: datetime, now: datetime) -> str:
    left = int((due_at - now).total_seconds())
    template = words["left"] if left >= 0 else words["overdue"]
    return template.replace("%(time)s", span_text(words, left))


@dataclass(frozen=True)
class ClockView:
    target: str
    label: str  # untranslated msgid (templates translate)
    state: ClockState
    due_at: datetime | None  # shown and counted down while running
    fulfilled_at: datetime | None
    breached_at: datetime | None
    countdown: str | None  # first text of the countdown (running or overdue clocks)
    soon: bool


def clock_view(row: ComplaintSlaTarget, *, words: dict[str, str], now: datetime) -> ClockView:
    """A clock as the agent should read it: a stopped clock says met or missed, never counts."""
    state: ClockState
    countdown = None
    soon = False
    if row.status == SlaStatus.fulfilled:
        state = "missed" if row.breached_at is not None else "met"
    elif row.status == SlaStatus.paused or row.due_at is None:
        state = "paused"
    else:
        left = (row.due_at - now).total_seconds()
        state = "overdue" if left < 0 or row.breached_at is not None else "running"
        countdown = countdown_text(words, row.due_at, now)
        soon = 0 <= left < SOON_SECONDS
    return ClockView(
        target=row.target.value,
        label=TARGET_LABELS.get(row.target.value, row.target.value),
        state=state,
        due_at=row.due_at,
        fulfilled_at=row.fulfilled_at,
        breached_at=row.breached_at,
        countdown=countdown,
        soon=soon,
    )

"""The channel and touchpoint catalogues as names: what pages show instead of the codes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustpulse.feedback.models import Channel, Touchpoint


def names(session: Session) -> dict[str, tuple[str, str]]:
    """code -> (name_en, name_zh) of every channel and touchpoint (touchpoints win a clash)."""
    found: dict[str, tuple[str, str]] = {}
    for model in (Channel, Touchpoint):
        for code, name_en, name_zh in session.execute(
            select(model.code, model.name_en, model.name_zh)
        ):
            found[str(code)] = (str(name_en), str(name_zh))
    return found

"""The customer's own pages, behind unguessable tokens and without login: case status and the
follow-up survey form.

`/case/{token}` shows what `notices.status_page` allows (state, next step, promises and their
due times; never internal notes). `/survey/{token}` is the follow-up form: CSAT 1–5, "was your
problem solved?", optional NPS and comment, posted back to the same address and stored through
`followup.answer_survey` (the same service as the API; "not solved" reopens the case). A wrong
field re-renders the form with the reason beside it; a used, expired or unknown link says so
without naming anything internal.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from trustpulse.clock import utcnow
from trustpulse.complaints import followup, notices
from trustpulse.complaints.schemas import SurveyAnswer
from trustpulse.db import DbSession
from trustpulse.errors import TrustPulseError
from trustpulse.web.context import TEMPLATES, app_settings, choose_locale
from trustpulse.web.i18n import N_, Formatter, formatter

router = APIRouter(include_in_schema=False)

# what complaints/notices.py tells the customer (CUSTOMER_VIEW), marked here for the catalogs
CUSTOMER_VIEW_STRINGS = (
    N_("received"),
    N_("being handled"),
    N_("waiting for you"),
    N_("reopened"),
    N_("An agent will contact you shortly."),
    N_("Your case has an owner who is looking into it."),
    N_("We are working on a solution."),
    N_("Please reply with the information we asked for."),
    N_("Tell us in the follow-up survey whether it is really solved."),
    N_("Reply within the reopen window if the problem comes back."),
)


def _render(
    request: Request, i: Formatter, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"i": i, "_": i.gettext, "locale": i.locale, **context},
        status_code=status,
    )


@router.get("/case/{token}")
def case_status(request: Request, session: DbSession, token: str) -> HTMLResponse:
    i = formatter(choose_locale(request))
    try:
        page = notices.status_page(session, token)
    except TrustPulseError as exc:
        return _render(request, i, "customer_status.html", {"page": None}, exc.status_code)
    zone = ZoneInfo(page.timezone)
    return _render(request, i, "customer_status.html", {"page": page, "zone": zone})


@router.get("/survey/{token}")
def survey_form(request: Request, session: DbSession, token: str) -> HTMLResponse:
    i = formatter(choose_locale(request))
    try:
        invitation = followup.get_invitation(session, token)
    except TrustPulseError as exc:
        return _survey(request, i, {"closed": "unknown"}, exc.status_code)
    if invitation.used_at is not None:
        return _survey(request, i, {"closed": "answered"})
    if utcnow() > invitation.expires_at:
        return _survey(request, i, {"closed": "expired"})
    return _survey(request, i, {"reference": invitation.complaint_id})


@router.post("/survey/{token}")
async def survey_answer(request: Request, session: DbSession, token: str) -> HTMLResponse:
    i = formatter(choose_locale(request))
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    raw = {
        "csat": values.get("csat") or None,
        "solved": {"yes": True, "no": False}.get(values.get("solved", "")),
        "nps": values.get("nps") or None,
        "comment": values.get("comment") or None,
    }
    try:
        answer = SurveyAnswer.model_validate(raw)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors()}
        return _survey(request, i, {"errors": errors, "values": values}, 422)
    try:
        followup.answer_survey(session, token, answer, settings=app_settings(request))
    except TrustPulseError as exc:
        closed = {"invitation_used": "answered", "invitation_expired": "expired"}
        return _survey(request, i, {"closed": closed.get(exc.code, "unknown")}, exc.status_code)
    session.commit()
    return _survey(request, i, {"thanks": True, "solved": answer.solved}, 201)


def _survey(
    request: Request, i: Formatter, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    base: dict[str, Any] = {
        "closed": None,
        "errors": {},
        "values": {},
        "thanks": False,
        "reference": None,
    }
    return _render(request, i, "customer_survey.html", base | context, status)

"""Dashboard routes; each builds its context from service functions and never queries the DB.

Every page runs as the request's actor (`CurrentActor`, built in accounts/actors.py) and reads
the global filters through `context.read_filters`, whose brand comes from the brand-scoped
access function, so roles can later be enforced in one place. `router` holds the dashboard,
which app.py includes behind the login; `public` holds what anyone may open: the customer's
pages, published transparency figures, the login page and the static assets.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from trustpulse.accounts.actors import CurrentActor
from trustpulse.db import DbSession
from trustpulse.errors import NotFoundError
from trustpulse.web.complaints import router as complaints_router
from trustpulse.web.context import Page, app_settings, render, serve_page
from trustpulse.web.customer import router as customer_router
from trustpulse.web.drivers import drivers_context
from trustpulse.web.export import export_response, parse_format
from trustpulse.web.i18n import N_
from trustpulse.web.improvements import improvements_context
from trustpulse.web.login import router as login_router
from trustpulse.web.overview import breakdown_context, overview_context
from trustpulse.web.public import router as public_router
from trustpulse.web.report_download import quarterly_download
from trustpulse.web.transparency import transparency_context
from trustpulse.web.voc import voc_context

public = APIRouter(include_in_schema=False)
public.include_router(public_router)  # /public/{brand}/transparency: published figures only
public.include_router(customer_router)  # /case/{token}, /survey/{token}: the customer's own
public.include_router(login_router)  # /login, /logout
router = APIRouter(include_in_schema=False)
router.include_router(complaints_router)  # before the placeholders: /complaints is a real page
STATIC = Path(__file__).resolve().parent / "static"
PLACEHOLDERS = {
    "alerts": N_("Alerts & crises"),
}


@router.get("/")
def overview(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    return serve_page(
        request,
        session,
        lambda page: render(page, "overview.html", overview_context(page, app_settings(request))),
        actor=actor,
    )


@router.get("/breakdown")
def breakdown(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    metric: str = "nps",
    by: str = "channel",
) -> Response:
    def view(page: Page) -> Response:
        context, table = breakdown_context(page, app_settings(request), metric=metric, by=by)
        fmt = parse_format(request.query_params.get("export"))
        if fmt is not None:
            return export_response(table, fmt, filename=f"{metric}-by-{by}")
        return render(page, "breakdown.html", context)

    return serve_page(request, session, view, actor=actor)


@router.get("/voc")
def voc(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    def view(page: Page) -> Response:
        context, table = voc_context(page)
        fmt = parse_format(request.query_params.get("export"))
        if fmt is not None:
            return export_response(table, fmt, filename="verbatims")
        return render(page, "voc.html", context)

    return serve_page(request, session, view, actor=actor)


@router.get("/drivers")
def drivers(
    request: Request, session: DbSession, actor: CurrentActor, target: str = "nps"
) -> Response:
    def view(page: Page) -> Response:
        context, table = drivers_context(
            page, app_settings(request), target=target, gain=request.query_params.get("gain")
        )
        fmt = parse_format(request.query_params.get("export"))
        if fmt is not None:
            return export_response(table, fmt, filename=f"drivers-of-{target}")
        return render(page, "drivers.html", context)

    return serve_page(request, session, view, actor=actor)


@router.get("/improvements")
def improvements(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    def view(page: Page) -> Response:
        context, table = improvements_context(page, app_settings(request))
        fmt = parse_format(request.query_params.get("export"))
        if fmt is not None:
            return export_response(table, fmt, filename="improvements")
        return render(page, "improvements.html", context)

    return serve_page(request, session, view, actor=actor)


@router.get("/transparency")
def transparency(
    request: Request, session: DbSession, actor: CurrentActor, quarter: str | None = None
) -> Response:
    def view(page: Page) -> Response:
        context, table = transparency_context(page, app_settings(request), quarter=quarter)
        fmt = parse_format(request.query_params.get("export"))
        if fmt is not None:
            return export_response(table, fmt, filename="complaint-handling")
        return render(page, "transparency.html", context)

    return serve_page(request, session, view, actor=actor)


@router.get("/reports/quarterly.{fmt}")
def quarterly_report(
    request: Request, session: DbSession, actor: CurrentActor, fmt: str, quarter: str | None = None
) -> Response:
    return serve_page(
        request,
        session,
        lambda page: quarterly_download(page, app_settings(request), quarter=quarter, fmt=fmt),
        actor=actor,
    )


@router.get("/{slot}")
def placeholder(request: Request, session: DbSession, actor: CurrentActor, slot: str) -> Response:
    """Pages whose issues have not landed yet keep their place in the navigation."""

    def view(page: Page) -> Response:
        if slot not in PLACEHOLDERS:
            raise NotFoundError(f"no page {slot!r}", page=slot)
        return render(page, "placeholder.html", {"title": PLACEHOLDERS[slot]})

    return serve_page(request, session, view, actor=actor)


@public.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    """Vendored and own assets, served locally (the product runs offline: no CDN)."""
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file():
        raise NotFoundError(f"no static file {path!r}", path=path)
    return FileResponse(target, headers={"Cache-Control": "public, max-age=3600"})

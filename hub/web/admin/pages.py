"""Admin pages: login, dashboard and the lists. Forms post to ``actions``; prints in ``printing``."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub import i18n
from hub.domain import household_codes
from hub.domain.vocab import CheckInStatus
from hub.services import accounts, address_views, admin_lists
from hub.services import board as board_service
from hub.services import dashboard as dashboard_view
from hub.services import partners as partner_service
from hub.web.admin import (
    access,
    actions,
    addresses,
    alerts,
    board,
    drill_plots,
    partners,
    printing,
    record_actions,
    signals,
    supplies,
)
from hub.web.admin.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    AnyPageUser,
    NetworkCheck,
    PageUser,
    login_throttle,
)
from hub.web.admin.common import NO_STORE, back, link_states, page
from hub.web.deps import HubDep, client_ip
from hub.web.templating import render, request_language

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[NetworkCheck])
router.include_router(partners.router)  # before ``actions``: its /tasks/{id}/partner is not a step
router.include_router(actions.router)
router.include_router(board.router)  # before record_actions' /{kind}/{id}/delete
router.include_router(supplies.router)
router.include_router(record_actions.router)
router.include_router(alerts.router)
router.include_router(printing.router)
router.include_router(access.router)
router.include_router(addresses.router)
router.include_router(signals.router)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, failed: str = "") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "admin/login.html", login_csrf=token, failed=failed[:40], offered=i18n.ADMIN_LANGUAGES
    )
    response.headers.update(NO_STORE)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", path="/admin", max_age=3600)
    return response


@router.post("/login")
async def login(
    request: Request,
    hub: HubDep,
    name: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf):
        return HTMLResponse("This form has expired. Reload the login page.", status_code=403)
    client = client_ip(request)
    throttle = login_throttle(request)
    if not throttle.attempt(client):
        return back("/admin/login", failed="slow")
    attempt = await accounts.login_begins(hub, name.strip())
    if attempt.locked:
        return back("/admin/login", failed="locked")
    # argon2 is slow on purpose: keep it off the event loop and out of the writer
    if not await asyncio.to_thread(attempt.verify, password) or attempt.user_id is None:
        await accounts.login_failed(hub, attempt, client=client)
        return back("/admin/login", failed="locked" if attempt.locks else "wrong")
    throttle.succeeded(client)
    user_id = attempt.user_id
    old = request.cookies.get(SESSION_COOKIE)
    new = await accounts.login_succeeded(hub, user_id, client=client, replaces=old)
    response = RedirectResponse("/admin/partner" if new.partner else "/admin", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        httponly=True,
        samesite="strict",
        path="/",
        max_age=accounts.SESSION_HOURS * 3600,
    )
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@router.post("/logout")
async def logout(request: Request, hub: HubDep, user: AnyPageUser) -> Response:
    form = await request.form()
    given = form.get("csrf")
    if (
        not isinstance(given, str)
        or not user.csrf_token
        or not secrets.compare_digest(given, user.csrf_token)
    ):
        return HTMLResponse("This form has expired. Reload the page.", status_code=403)
    token = user.session_token or ""
    await accounts.logout(hub, token, actor=user.name)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    data = dashboard_view.dashboard(hub, link_states(hub))
    # Refreshing by itself is the coordinator's choice (WCAG 2.2.1): off until switched on.
    refresh = 30 if request.query_params.get("refresh") == "on" else 0
    # The small map: the same SVG as /admin/map (drawn again only when a dot changed), its
    # links one level up (this page is /admin, the map's are relative to /admin/).
    small_map = addresses.drawn_map(request, hub, link_base="admin/")
    return page(request, "admin/dashboard.html", user, d=data, refresh=refresh, small_map=small_map)


AUDIT_LIMIT = 500  # the audit log's page

# Keyset paging for the long lists: ``?before=<pk>`` shows the rows older than that one.
Before = Annotated[int | None, Query(ge=1, le=10**18, description="The first row not to show")]


# ``?status=help``: only the calls for help (the dashboard's "asked for help" links here).
Status = Annotated[CheckInStatus | None, Query(description="Only the check-ins of this status")]


# ``?q=Kerkstraat 5a``: a search by address ("5a", "5 A" and "5-A" alike) and by name, on every list.
Search = Annotated[str, Query(max_length=200, description="An address or a name to search for")]
NeedsShown = Annotated[Literal["closed"] | None, Query(description="closed: the closed needs")]
TasksShown = Annotated[Literal["done"] | None, Query(description="done: the finished tasks")]


def _keep(**params: object) -> str:
    """The query string a list's links carry on (its search and filters; not the page)."""
    return urlencode({k: v for k, v in params.items() if v})


def _paging(older: int | None, before: int | None, q: str, **filters: object) -> dict[str, Any]:
    """What every searchable list page hands its template: the next page, whether this is one,
    the search, and the query string its links carry on."""
    query = q.strip()
    return {"older": older, "paged": before is not None, "q": query, "keep": _keep(**filters, q=query)}


@router.get("/checkins", response_class=HTMLResponse)
def checkins(
    request: Request,
    hub: HubDep,
    user: PageUser,
    before: Before = None,
    status: Status = None,
    q: Search = "",
) -> HTMLResponse:
    found = admin_lists.checkins(hub, before, status, q)
    return page(
        request,
        "admin/checkins.html",
        user,
        rows=found.rows,
        **_paging(found.older, before, q, status=status),
        status=status,
        names=found.names,
        worklist=found.worklist,
        volunteers=found.volunteers,
    )


@router.get("/needs", response_class=HTMLResponse)
def needs(
    request: Request,
    hub: HubDep,
    user: PageUser,
    before: Before = None,
    status: NeedsShown = None,
    q: Search = "",
) -> HTMLResponse:
    found = admin_lists.needs(hub, before, status, q)
    return page(
        request,
        "admin/needs.html",
        user,
        open_needs=found.open_needs,
        **_paging(found.older, before, q, status=status),
        status=status,
        closed=found.closed,
        more_closed=found.more_closed,
        duplicates=found.duplicates,
        matches=found.matches,
        volunteers=found.volunteers,
    )


@router.get("/offers", response_class=HTMLResponse)
def offers(
    request: Request, hub: HubDep, user: PageUser, before: Before = None, q: Search = ""
) -> HTMLResponse:
    found = admin_lists.offers(hub, before, q)
    return page(
        request,
        "admin/offers.html",
        user,
        rows=found.rows,
        **_paging(found.older, before, q),
    )


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(
    request: Request,
    hub: HubDep,
    user: PageUser,
    need: str = "",
    household: str = "",
    before: Before = None,
    status: TasksShown = None,
    q: Search = "",
) -> HTMLResponse:
    found = admin_lists.tasks(hub, need, household, before, status, q)
    return page(
        request,
        "admin/tasks.html",
        user,
        active=found.active,
        **_paging(found.older, before, q, status=status),
        status=status,
        finished=found.finished,
        more_finished=found.more_finished,
        volunteers=found.volunteers,
        names=found.names,
        radio_volunteers=found.radio_volunteers,
        prefill_need=found.prefill_need,
        prefill_household=found.prefill_household,
        partners=partner_service.partners(hub),
    )


@router.get("/volunteers", response_class=HTMLResponse)
def volunteers_page(
    request: Request, hub: HubDep, user: PageUser, before: Before = None, q: Search = ""
) -> HTMLResponse:
    found = admin_lists.volunteers(hub, before, q)
    return page(
        request,
        "admin/volunteers.html",
        user,
        rows=found.rows,
        **_paging(found.older, before, q),
        outside=address_views.volunteers_outside(hub.store),
        offers=board_service.waiting_offers(hub),
    )


@router.get("/households", response_class=HTMLResponse)
def households(
    request: Request, hub: HubDep, user: PageUser, edit: str = "", before: Before = None, q: Search = ""
) -> HTMLResponse:
    found = admin_lists.households(hub, edit, before, q)
    return page(
        request,
        "admin/households.html",
        user,
        rows=found.rows,
        **_paging(found.older, before, q),
        editing=found.editing,
        reached=found.reached,
        unverified=found.unverified,
        shown_code=household_codes.shown,
        volunteers=found.volunteers,
        names=found.names,
        partners=partner_service.partners(hub),
        consents=partner_service.all_consents(hub),
    )


@router.get("/announcements", response_class=HTMLResponse)
def announcements_page(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    found = admin_lists.announcements(hub)
    return page(
        request,
        "admin/announcements.html",
        user,
        rows=found.rows,
        active=found.active,
        all_languages=list(i18n.LANGUAGES.values()),
    )


@router.get("/messages", response_class=HTMLResponse)
def messages(
    request: Request, hub: HubDep, user: PageUser, before: Before = None, q: Search = ""
) -> HTMLResponse:
    found = admin_lists.messages(hub, before, q)
    return page(
        request,
        "admin/messages.html",
        user,
        rows=found.rows,
        by_node=found.by_node,
        **_paging(found.older, before, q),
    )


@router.get("/mesh", response_class=HTMLResponse)
def mesh(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    found = admin_lists.mesh_queue(hub)
    return page(
        request,
        "admin/mesh.html",
        user,
        link=link_states(hub).get("mesh"),
        radio=hub.settings.radio,
        queue=found.queue,
        volunteers=found.volunteers,
    )


@router.get("/sync", response_class=HTMLResponse)
def sync(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    found = admin_lists.sync_state(hub)
    return page(
        request,
        "admin/sync.html",
        user,
        link=link_states(hub).get("sync"),
        configured=bool(hub.settings.mqtt_url),
        backlog=found.backlog,
        share=hub.settings.sync_share,
        events=found.events,
        inbox=found.inbox,
        dead_letters=found.dead_letters,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request, hub: HubDep, user: PageUser, before: Before = None, q: Search = ""
) -> HTMLResponse:
    found = admin_lists.audit_log(hub, AUDIT_LIMIT, before, q)
    return page(
        request,
        "admin/audit.html",
        user,
        rows=found.rows,
        **_paging(found.older, before, q),
    )


@router.get("/drill", response_class=HTMLResponse)
def drill(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    found = admin_lists.drill(hub)
    return page(
        request,
        "admin/drill.html",
        user,
        mode=found.mode,
        current=found.current,
        report=found.report,
        past=found.past,
        plots=_drill_plots(request, found.past),
    )


def _drill_plots(request: Request, past: list[Any]) -> drill_plots.DrillPlots | None:
    with i18n.using(request_language(request, i18n.ADMIN_LANGUAGES)):
        return drill_plots.drill_plots(past)


@router.get("/export", response_class=HTMLResponse)
def export_page(request: Request, user: PageUser) -> HTMLResponse:
    return page(request, "admin/export.html", user, all_languages=i18n.available_languages())


__all__ = ["back", "router"]

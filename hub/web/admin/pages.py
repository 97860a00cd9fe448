"""Admin pages: login, dashboard and the lists. Forms post to ``actions``; prints in ``printing``."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, SQLModel, col, select

from hub import i18n
from hub.domain import household_codes
from hub.domain.task_states import TaskStatus
from hub.models import (
    Announcement,
    AuditEntry,
    CheckIn,
    DeadLetter,
    Drill,
    Household,
    InboxMessage,
    MeshMessage,
    MeshOutbound,
    Need,
    Offer,
    OutboxEvent,
    Task,
    Volunteer,
)
from hub.services import accounts, drills, escalation, outbox, worklist
from hub.services.announcements import is_active
from hub.services.state import get_mode
from hub.web.admin import access, actions, alerts, printing, record_actions, views
from hub.web.admin.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    NetworkCheck,
    PageUser,
    login_throttle,
)
from hub.web.admin.common import NO_STORE, back, page
from hub.web.deps import HubDep, client_ip
from hub.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[NetworkCheck])
router.include_router(actions.router)
router.include_router(record_actions.router)
router.include_router(alerts.router)
router.include_router(printing.router)
router.include_router(access.router)
LIST_LIMIT = 300


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
    attempt = await hub.db.writer.run(lambda s: accounts.begin_login(s, name.strip()))
    if attempt.locked:
        return back("/admin/login", failed="locked")
    # argon2 is slow on purpose: keep it off the event loop and out of the writer
    if not await asyncio.to_thread(attempt.verify, password) or attempt.user_id is None:
        await hub.db.writer.run(lambda s: accounts.record_failure(s, attempt, client=client))
        return back("/admin/login", failed="locked" if attempt.locks else "wrong")
    throttle.succeeded(client)
    user_id = attempt.user_id
    old = request.cookies.get(SESSION_COOKIE)
    new = await hub.db.writer.run(lambda s: accounts.start_session(s, user_id, client=client, replaces=old))
    response = RedirectResponse("/admin", status_code=303)
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
async def logout(request: Request, hub: HubDep, user: PageUser) -> Response:
    form = await request.form()
    given = form.get("csrf")
    if (
        not isinstance(given, str)
        or not user.csrf_token
        or not secrets.compare_digest(given, user.csrf_token)
    ):
        return HTMLResponse("This form has expired. Reload the page.", status_code=403)
    token = user.session_token or ""
    await hub.db.writer.run(lambda s: accounts.end_session(s, token, actor=user.name))
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    with hub.db.read() as session:
        data = views.dashboard(session, hub)
        data.extra["help_waiting"] = worklist.waiting_count(session)
        # Refreshing by itself is the coordinator's choice (WCAG 2.2.1): off until switched on.
        refresh = 30 if request.query_params.get("refresh") == "on" else 0
        return page(request, "admin/dashboard.html", user, d=data, refresh=refresh)


M = TypeVar("M", bound=SQLModel)


# Keyset paging for the long lists: ``?before=<pk>`` shows the rows older than that one.
Before = Annotated[int | None, Query(ge=1, le=10**18, description="The first row not to show")]


def _recent(session: Session, model: type[M], limit: int = LIST_LIMIT, before: int | None = None) -> list[M]:
    """Newest first, ``limit`` rows older than ``before``: a search on the primary key."""
    pk = col(model.pk)  # type: ignore[attr-defined]
    query = select(model).order_by(pk.desc()).limit(limit)
    if before is not None:
        query = query.where(pk < before)
    return list(session.exec(query).all())


def _older(rows: list[Any], limit: int = LIST_LIMIT) -> int | None:
    """The ``before`` of the next page; ``None`` when this one is the last."""
    return rows[-1].pk if len(rows) == limit and rows else None


@router.get("/checkins", response_class=HTMLResponse)
def checkins(request: Request, hub: HubDep, user: PageUser, before: Before = None) -> HTMLResponse:
    with hub.db.read() as session:
        rows = _recent(session, CheckIn, before=before)
        return page(
            request,
            "admin/checkins.html",
            user,
            rows=rows,
            older=_older(rows),
            paged=before is not None,
            names=views.names(session),
            worklist=worklist.help_worklist(session),
            volunteers=views.volunteer_rows(session),
        )


@router.get("/needs", response_class=HTMLResponse)
def needs(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    with hub.db.read() as session:
        open_needs = views.open_needs(session)
        closed = [n for n in _recent(session, Need) if n.status != "open"]
        return page(
            request,
            "admin/needs.html",
            user,
            open_needs=open_needs,
            closed=closed[:100],
            matches=views.offers_for(session, open_needs),
            volunteers=views.volunteer_rows(session),
        )


@router.get("/offers", response_class=HTMLResponse)
def offers(request: Request, hub: HubDep, user: PageUser, before: Before = None) -> HTMLResponse:
    with hub.db.read() as session:
        rows = _recent(session, Offer, before=before)
        return page(
            request, "admin/offers.html", user, rows=rows, older=_older(rows), paged=before is not None
        )


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(
    request: Request, hub: HubDep, user: PageUser, need: str = "", household: str = ""
) -> HTMLResponse:
    with hub.db.read() as session:
        finished = [t for t in _recent(session, Task, 200) if t.status == TaskStatus.DONE]
        prefill_need = session.exec(select(Need).where(Need.id == need)).first() if need else None
        prefill_household = (
            session.exec(select(Household).where(Household.id == household)).first() if household else None
        )
        return page(
            request,
            "admin/tasks.html",
            user,
            active=views.active_tasks(session),
            finished=finished[:100],
            volunteers=views.volunteer_rows(session),
            names=views.names(session),
            radio_volunteers=views.radio_volunteers(session),
            prefill_need=prefill_need,
            prefill_household=prefill_household,
        )


@router.get("/volunteers", response_class=HTMLResponse)
def volunteers_page(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    with hub.db.read() as session:
        return page(request, "admin/volunteers.html", user, rows=views.volunteer_rows(session))


@router.get("/households", response_class=HTMLResponse)
def households(request: Request, hub: HubDep, user: PageUser, edit: str = "") -> HTMLResponse:
    with hub.db.read() as session:
        rows = _recent(session, Household, 2000)
        editing = next((h for h in rows if h.id == edit), None)
        reached = drills_reached(session)
        return page(
            request,
            "admin/households.html",
            user,
            rows=sorted(rows, key=lambda h: views.walking_key(h.address)),
            editing=editing,
            reached=reached,
            unverified=escalation.unverified_reports(session, escalation.reference_time(session)),
            shown_code=household_codes.shown,
            volunteers=views.volunteer_rows(session),
            names=views.names(session),
        )


def drills_reached(session: Session) -> set[str]:
    return escalation.reached_ids(session, escalation.reference_time(session))


@router.get("/announcements", response_class=HTMLResponse)
def announcements_page(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    with hub.db.read() as session:
        rows = _recent(session, Announcement, 200)
        return page(
            request,
            "admin/announcements.html",
            user,
            rows=rows,
            active={a.id for a in rows if is_active(a)},
            all_languages=list(i18n.LANGUAGES.values()),
        )


@router.get("/messages", response_class=HTMLResponse)
def messages(request: Request, hub: HubDep, user: PageUser, before: Before = None) -> HTMLResponse:
    with hub.db.read() as session:
        rows = _recent(session, MeshMessage, before=before)
        by_node = {v.node_id: v.name for v in session.exec(select(Volunteer)).all() if v.node_id}
        return page(
            request,
            "admin/messages.html",
            user,
            rows=rows,
            by_node=by_node,
            older=_older(rows),
            paged=before is not None,
        )


@router.get("/mesh", response_class=HTMLResponse)
def mesh(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    with hub.db.read() as session:
        queue = _recent(session, MeshOutbound, 200)
        return page(
            request,
            "admin/mesh.html",
            user,
            link=views.link_states(hub).get("mesh"),
            radio=hub.settings.radio,
            queue=queue,
            volunteers=views.volunteer_rows(session),
        )


@router.get("/sync", response_class=HTMLResponse)
def sync(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    with hub.db.read() as session:
        backlog = outbox.depth(session)
        return page(
            request,
            "admin/sync.html",
            user,
            link=views.link_states(hub).get("sync"),
            configured=bool(hub.settings.mqtt_url),
            backlog=backlog,
            share=hub.settings.sync_share,
            events=session.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq).desc()).limit(50)).all(),
            inbox=_recent(session, InboxMessage, 100),
            dead_letters=_recent(session, DeadLetter, 100),
        )


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, hub: HubDep, user: PageUser, before: Before = None) -> HTMLResponse:
    with hub.db.read() as session:
        rows = _recent(session, AuditEntry, 500, before)
        return page(
            request, "admin/audit.html", user, rows=rows, older=_older(rows, 500), paged=before is not None
        )


@router.get("/drill", response_class=HTMLResponse)
def drill(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    with hub.db.read() as session:
        current = drills.open_drill(session)
        report = drills.drill_report(session, current) if current else None
        past = [d for d in _recent(session, Drill, 20) if d.ended_at is not None]
        return page(
            request,
            "admin/drill.html",
            user,
            mode=get_mode(session),
            current=current,
            report=report,
            past=past,
        )


@router.get("/export", response_class=HTMLResponse)
def export_page(request: Request, user: PageUser) -> HTMLResponse:
    return page(request, "admin/export.html", user, all_languages=i18n.available_languages())


__all__ = ["back", "router"]

"""Paper: the door-knock list, task sheets, the resident flyer and poster; the export downloads."""

from __future__ import annotations

from typing import Literal

import segno
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from hub import i18n
from hub.domain import household_codes
from hub.domain.escalation import by_street
from hub.domain.messages import task_dispatch
from hub.domain.task_states import UNFINISHED, statuses
from hub.models import Task, Volunteer
from hub.models.base import utcnow
from hub.services import coordination, exports
from hub.services.audit import record
from hub.web.admin import views
from hub.web.admin.auth import PageUser
from hub.web.admin.common import NO_STORE, page
from hub.web.captive import portal_url
from hub.web.deps import HubDep
from hub.web.templating import render

router = APIRouter()


@router.get("/print/doorknock", response_class=HTMLResponse)
def print_doorknock(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    with hub.db.read() as session:
        to_visit, since = views.door_knock(session)
        tasks = views.household_tasks(session, since)
        return page(
            request,
            "admin/print_doorknock.html",
            user,
            streets=by_street(to_visit),
            count=len(to_visit),
            tasks=tasks,
            names=views.names(session),
            printed_at=utcnow(),
            since=since,
        )


@router.get("/print/tasks", response_class=HTMLResponse)
def print_tasks(request: Request, hub: HubDep, user: PageUser, volunteer: str = "") -> HTMLResponse:
    """One sheet per volunteer with their unfinished tasks (or all unassigned ones)."""
    with hub.db.read() as session:
        query = select(Task).where(col(Task.status).in_(statuses(UNFINISHED))).order_by(col(Task.number))
        rows = session.exec(query).all()
        people = {v.id: v for v in session.exec(select(Volunteer)).all()}
        sheets: dict[str, list[Task]] = {}
        for task in rows:
            key = task.volunteer_id or ""
            if volunteer and key != volunteer:
                continue
            sheets.setdefault(key, []).append(task)
        texts = {t.id: task_dispatch(t.number, t.kind, t.address, t.note, drill=t.drill) for t in rows}
        return page(
            request,
            "admin/print_tasks.html",
            user,
            sheets=sorted(sheets.items(), key=lambda kv: people[kv[0]].name if kv[0] in people else ""),
            people=people,
            texts=texts,
            printed_at=utcnow(),
        )


def qr_data_uri(text: str) -> str:
    return str(segno.make(text, error="m").svg_data_uri(scale=8, border=2))


def wifi_payload(ssid: str) -> str:
    escaped = "".join("\\" + ch if ch in '\\;,:"' else ch for ch in ssid)
    return f"WIFI:S:{escaped};T:nopass;;"


def print_language(request: Request, hub: HubDep) -> str:
    """``?lang=`` when it names a language with a catalog, else the hub's default language."""
    codes = [lang.code for lang in i18n.available_languages()]
    choice = request.query_params.get("lang", "")
    return choice if choice in codes else i18n.negotiate(None, None, hub.settings.default_lang)


def resident_paper(request: Request, hub: HubDep, kind: Literal["flyer", "poster"]) -> HTMLResponse:
    """A flyer or poster in one language, QR codes made here (no internet needed)."""
    ssid = hub.settings.wifi_ssid
    url = portal_url(request, hub)
    response = render(
        request,
        f"print/{kind}.html",
        offered=[print_language(request, hub)],
        remember=False,
        kind=kind,
        paper_languages=i18n.available_languages(),
        ssid=ssid,
        url=url,
        wifi_qr=qr_data_uri(wifi_payload(ssid)),
        portal_qr=qr_data_uri(url),
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/print/card/{household_id}", response_class=HTMLResponse)
def print_card(request: Request, hub: HubDep, user: PageUser, household_id: str) -> HTMLResponse:
    """The card a special-attention household gets: its address and its own household code."""
    with hub.db.read() as session:
        household = coordination.get_household(session, household_id)
        address, code = household.address, household_codes.shown(household.code or "")
    response = render(
        request,
        "print/card.html",
        offered=[print_language(request, hub)],
        remember=False,
        kind="card",
        paper_languages=i18n.available_languages(),
        address=address,
        code=code,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/print/poster", response_class=HTMLResponse)
def print_poster(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    """The Wi-Fi poster for the door of the community centre, in ``?lang=``."""
    return resident_paper(request, hub, "poster")


@router.get("/print/flyer", response_class=HTMLResponse)
def print_flyer(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    """'How to check in', for letterboxes, in ``?lang=``."""
    return resident_paper(request, hub, "flyer")


@router.get("/export/{fmt}")
def download(
    hub: HubDep,
    user: PageUser,
    fmt: Literal["json", "csv", "cap"],
    scope: Literal["minimised", "full"] = "minimised",
) -> Response:
    """A download of residents' data: who took it, and when, goes into the audit log first.

    The minimised export is for the municipality; the full one only for coordinators."""
    if scope == "full" and not user.can_write:
        raise HTTPException(403, "Only coordinators can take the full export.")
    hub.db.writer.run_sync(
        lambda session: record(session, user.name, "export.download", None, format=fmt, scope=scope)
    )
    with hub.db.read() as session:
        content, media_type, filename = exports.export(
            session, fmt, hub.settings.id, hub.settings.name, scope=scope, share=hub.settings.sync_share
        )
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )

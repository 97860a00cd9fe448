"""Paper: the door-knock list, task sheets, the resident flyer and poster; the export downloads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import segno
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from hub import i18n
from hub.domain import household_codes
from hub.services import coordination, dashboard, exports
from hub.web.admin.auth import PageUser
from hub.web.admin.common import NO_STORE, page
from hub.web.captive import portal_url
from hub.web.deps import HubDep
from hub.web.templating import render

router = APIRouter()


@router.get("/print/doorknock", response_class=HTMLResponse)
def print_doorknock(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    sheet = dashboard.door_knock_sheet(hub)
    return page(
        request,
        "admin/print_doorknock.html",
        user,
        groups=sheet.groups,
        count=sheet.count,
        tasks=sheet.tasks,
        names=sheet.names,
        printed_at=datetime.now(UTC),
        since=sheet.since,
    )


@router.get("/print/tasks", response_class=HTMLResponse)
def print_tasks(request: Request, hub: HubDep, user: PageUser, volunteer: str = "") -> HTMLResponse:
    """One sheet per volunteer with their unfinished tasks (or all unassigned ones)."""
    found = dashboard.task_sheets(hub, volunteer)
    return page(
        request,
        "admin/print_tasks.html",
        user,
        sheets=found.sheets,
        people=found.people,
        texts=found.texts,
        printed_at=datetime.now(UTC),
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
    household = coordination.find_household(hub, household_id)
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
    content, media_type, filename = exports.take_export(
        hub,
        fmt,
        actor=user.name,
        hub_id=hub.settings.id,
        hub_name=hub.settings.name,
        scope=scope,
        share=hub.settings.sync_share,
    )
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )

"""Supply requests in the admin: the coordinators ask the region for supplies for a number of
households (``hub.services.supplies``; over MQTT as an event, over the region channel at once
while MQTT is down). Every form carries the session's CSRF token (``FormUser``); every change
is audited by the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.domain.supplies import MAX_HOUSEHOLDS, NOTE_CHARS, SUPPLY_KINDS, read_supply_request
from hub.errors import HubError
from hub.services import supplies
from hub.web.admin.auth import FormUser, PageUser
from hub.web.admin.common import act, page, refused
from hub.web.deps import HubDep

router = APIRouter()
Text = Annotated[str, Form(max_length=2000)]
SUPPLIES = "/admin/supplies"


@router.get("/supplies", response_class=HTMLResponse)
def supplies_page(request: Request, hub: HubDep, user: PageUser) -> HTMLResponse:
    return page(
        request,
        "admin/supplies.html",
        user,
        rows=supplies.requests(hub),
        kinds=SUPPLY_KINDS,
        max_households=MAX_HOUSEHOLDS,
        note_chars=NOTE_CHARS,
    )


@router.post("/supplies")
async def request_supplies(
    hub: HubDep, user: FormUser, category: Text = "", households: Text = "", note: Text = ""
) -> RedirectResponse:
    try:
        data = read_supply_request(category, households, note)
    except HubError as exc:
        return refused(SUPPLIES, exc)
    return await act(supplies.request_supplies(hub, data, actor=user.name), SUPPLIES, "supply_requested")


@router.post("/supplies/{request_id}/close")
async def close_request(hub: HubDep, user: FormUser, request_id: str) -> RedirectResponse:
    return await act(supplies.close_request(hub, request_id, actor=user.name), SUPPLIES, "supply_closed")

"""The resident portal pages (no JavaScript, no account)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.services import announcements
from hub.web.deps import HubDep
from hub.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, hub: HubDep) -> HTMLResponse:
    with hub.db.read() as session:
        active = announcements.active_announcements(session, limit=3)
    return render(request, "portal/home.html", announcements=active)

"""Helpers shared by the admin pages: rendering with the session's CSRF token, acting, redirecting."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError as PydanticError
from sqlmodel import Session

from hub import i18n
from hub.errors import HubError
from hub.models.base import as_utc
from hub.runtime import Hub
from hub.services import alerts
from hub.services.accounts import Principal
from hub.web.templating import env, render

NO_STORE = {"Cache-Control": "no-store"}


def N_(message: str) -> str:
    """Mark a notice or error for the catalogs; the page translates it when it shows it."""
    return message


def when(value: datetime | None, with_date: bool = False) -> str:
    """Local time for coordinators: ``19:42``, or ``18-11 19:42`` when not today."""
    if value is None:
        return "–"
    local = as_utc(value).astimezone()
    today = datetime.now().astimezone().date()
    if with_date or local.date() != today:
        return local.strftime("%d-%m %H:%M")
    return local.strftime("%H:%M")


def minutes_ago(value: datetime | None) -> str:
    if value is None:
        return "–"
    seconds = (datetime.now().astimezone() - as_utc(value)).total_seconds()
    if seconds < 90:
        return "< 2 min"
    if seconds < 5400:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"


env.filters["when"] = when
env.filters["ago"] = minutes_ago


def header_state(hub: Hub) -> dict[str, Any]:
    """What every admin page's header shows: open SOS alerts and whether the clock is verified."""
    with hub.db.read() as session:
        open_alerts = alerts.open_count(session)
    wall = time.time()
    return {
        "header_alerts": open_alerts,
        "clock": hub.ctx.clock.state(),
        "clock_epoch": int(wall),
        "clock_shown": datetime.fromtimestamp(wall).astimezone().strftime("%d-%m-%Y %H:%M"),
    }


def page(
    request: Request, template: str, user: Principal, status_code: int = 200, **context: Any
) -> HTMLResponse:
    shown: dict[str, Any] = {
        "notice": request.query_params.get("ok", "")[:200],
        "error": request.query_params.get("error", "")[:300],
        **header_state(request.app.state.hub),
        **context,
    }
    response = render(
        request,
        template,
        status_code=status_code,
        user=user,
        csrf=user.csrf_token or "",
        path=request.url.path,
        offered=i18n.ADMIN_LANGUAGES,
        **shown,
    )
    response.headers.update(NO_STORE)
    return response


def back(url: str, **params: str) -> RedirectResponse:
    """303 back to a page, with a short notice or error shown there (escaped on render)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)


def error_text(exc: Exception) -> str:
    if isinstance(exc, PydanticError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}"
    field = getattr(exc, "field", None)
    return f"{field}: {exc}" if field else str(exc)


async def act(hub: Hub, job: Callable[[Session], Any], url: str, ok: str) -> RedirectResponse:
    """Run ``job`` through the writer; back to ``url`` with ``ok`` or the error, nothing half-done."""
    try:
        await hub.db.writer.run(job)
    except (HubError, PydanticError) as exc:
        return back(url, error=error_text(exc))
    return back(url, ok=ok)


def problem(request: Request, user: Principal, status_code: int, message: str, url: str) -> HTMLResponse:
    """A clear 4xx page for a form that changed nothing (``message`` is translated on render)."""
    return page(request, "admin/problem.html", user, status_code=status_code, error=message, back_url=url)

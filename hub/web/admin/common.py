"""Helpers shared by the admin pages: rendering with the session's CSRF token, acting, redirecting."""

from __future__ import annotations

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


def page(
    request: Request, template: str, user: Principal, status_code: int = 200, **context: Any
) -> HTMLResponse:
    response = render(
        request,
        template,
        status_code=status_code,
        user=user,
        csrf=user.csrf_token or "",
        notice=request.query_params.get("ok", "")[:200],
        error=request.query_params.get("error", "")[:300],
        path=request.url.path,
        offered=i18n.ADMIN_LANGUAGES,
        **context,
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


# The admin pages a form may return to; any other form (``/admin/mode``) returns to the dashboard.
FORM_PAGES = frozenset(
    {"checkins", "needs", "offers", "tasks", "volunteers", "households", "announcements", "messages"}
    | {"mesh", "sync", "audit", "drill"}
)
FORM_REFUSED = N_("Check the form: a field is empty, too long or not one of the choices.")


def refused_form(request: Request) -> RedirectResponse | None:
    """A logged-in coordinator's form that FastAPI refused before its route ran (a required
    field empty, a field too long): back to its page with an error, like any other bad input.

    ``None`` for anything else (the JSON API answers 422; the login form is its own).
    """
    parts = request.url.path.split("/")
    if request.method != "POST" or len(parts) < 3 or parts[1] != "admin" or parts[2] == "login":
        return None
    return back(f"/admin/{parts[2]}" if parts[2] in FORM_PAGES else "/admin", error=FORM_REFUSED)


async def act(hub: Hub, job: Callable[[Session], Any], url: str, ok: str) -> RedirectResponse:
    """Run ``job`` through the writer; back to ``url`` with ``ok`` or the error, nothing half-done."""
    try:
        await hub.db.writer.run(job)
    except (HubError, PydanticError) as exc:
        return back(url, error=error_text(exc))
    return back(url, ok=ok)

"""Helpers shared by the admin pages: rendering with the session's CSRF token, acting, redirecting."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Collection
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError as PydanticError

from hub import i18n
from hub.errors import HubError
from hub.runtime import Hub
from hub.services import alerts
from hub.services.accounts import Principal
from hub.web.admin import notices
from hub.web.templating import env, render

NO_STORE = {"Cache-Control": "no-store"}


def as_utc(value: datetime) -> datetime:
    """The database hands back naive UTC: make it aware."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def when(value: datetime | None, with_date: bool = False) -> str:
    """Local time for coordinators: ``19:42``, or ``18-11 19:42`` when not today."""
    if value is None:
        return "–"
    local = as_utc(value).astimezone()
    today = datetime.now().astimezone().date()
    if with_date or local.date() != today:
        return i18n.day_and_time(local)
    return local.strftime("%H:%M")


def duration(minutes: float | None) -> str:
    """``3 min 28 s`` (a drill's times: a minute with decimals is no time anyone reads)."""
    if minutes is None:
        return "–"
    total = round(minutes * 60)
    whole, seconds = divmod(total, 60)
    if whole >= 60:
        return f"{whole // 60} h {whole % 60} min"
    return f"{whole} min {seconds} s" if whole else f"{seconds} s"


def minutes_ago(value: datetime | None) -> str:
    if value is None:
        return "–"
    seconds = (datetime.now().astimezone() - as_utc(value)).total_seconds()
    if seconds < 90:
        return "< 2 min"
    if seconds < 5400:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"


def iso_when(value: str | None) -> str:
    """:func:`when` of a time kept as ISO text (a signal's steps)."""
    try:
        return when(datetime.fromisoformat(value)) if value else "–"
    except ValueError:
        return "–"


def local_input(value: datetime) -> str:
    """A moment as a ``datetime-local`` field's value, in the hub's time: ``2026-12-12T19:30``."""
    return as_utc(value).astimezone().strftime("%Y-%m-%dT%H:%M")


env.filters["when"] = when
env.filters["iso_when"] = iso_when
env.filters["local_input"] = local_input
env.filters["ago"] = minutes_ago
env.filters["duration"] = duration
env.filters["with_year"] = lambda moment: i18n.day_and_time(moment, year=True)


def header_state(hub: Hub) -> dict[str, Any]:
    """What every admin page's header shows: open SOS alerts and whether the clock is verified."""
    open_alerts = alerts.open_alert_count(hub)
    wall = time.time()
    return {
        "header_alerts": open_alerts,
        "clock": hub.ctx.clock.state(),
        "clock_epoch": int(wall),
        "clock_shown": datetime.fromtimestamp(wall).astimezone(),  # shown with its year: a clock
        # that lost its time is often years off
    }


def page(
    request: Request, template: str, user: Principal, status_code: int = 200, **context: Any
) -> HTMLResponse:
    shown: dict[str, Any] = {
        "notice": notices.shown(notices.NOTICES, request.query_params.get("ok")),
        "error": notices.shown(notices.ERRORS, request.query_params.get("error")),
        "error_field": notices.shown(notices.FIELDS, request.query_params.get("field")),
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


_TABLES: dict[str, Collection[str]] = {
    "ok": notices.NOTICES,
    "error": notices.ERRORS,
    "field": notices.FIELDS,
    "failed": notices.LOGIN_FAILURES,
}


def back(url: str, **ids: str) -> RedirectResponse:
    """303 back to a page, with a notice or error id (``ok=``, ``error=``, ``field=``) shown there.

    Only ids from :mod:`hub.web.admin.notices` travel in the address, never text.
    """
    for key, value in ids.items():
        if value and value not in _TABLES[key]:
            raise ValueError(f"{key}={value!r} is not a known message id")
    query = urlencode({k: v for k, v in ids.items() if v})
    return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)


def refused(url: str, exc: Exception) -> RedirectResponse:
    """Back to ``url`` with the id of what went wrong."""
    return back(url, **notices.failure(exc))


# The admin pages a form may return to; any other form (``/admin/mode``) returns to the dashboard.
FORM_PAGES = frozenset(
    {"checkins", "needs", "offers", "tasks", "volunteers", "households", "announcements", "messages"}
    | {
        "mesh",
        "sync",
        "audit",
        "drill",
        "addresses",
        "readiness",
        "signals",
        "partners",
        "partner",
        "activities",
        "supplies",
    }
)


def refused_form(request: Request) -> RedirectResponse | None:
    """A logged-in coordinator's form that FastAPI refused before its route ran (a required
    field empty, a field too long): back to its page with an error, like any other bad input.

    ``None`` for anything else (the JSON API answers 422; the login form is its own).
    """
    parts = request.url.path.split("/")
    if request.method != "POST" or len(parts) < 3 or parts[1] != "admin" or parts[2] == "login":
        return None
    return back(f"/admin/{parts[2]}" if parts[2] in FORM_PAGES else "/admin", error="form_refused")


async def act(change: Awaitable[Any], url: str, ok: str) -> RedirectResponse:
    """Await a write use case; back to ``url`` with ``ok`` or the error, nothing half-done."""
    try:
        await change
    except (HubError, PydanticError) as exc:
        return refused(url, exc)
    return back(url, ok=ok)


def problem(request: Request, user: Principal, status_code: int, message: str, url: str) -> HTMLResponse:
    """A clear 4xx page for a form that changed nothing (``message`` is translated on render)."""
    return page(request, "admin/problem.html", user, status_code=status_code, error=message, back_url=url)


def link_states(hub: Hub) -> dict[str, dict[str, Any]]:
    """How the hub's links (radio, broker, scheduler) are doing; never an error page."""
    states: dict[str, dict[str, Any]] = {}
    for name, link in hub.links.items():
        try:
            states[name] = dict(link.status())
        except Exception as exc:  # a link's status must never break the dashboard
            states[name] = {"state": "error", "error": str(exc)}
    return states

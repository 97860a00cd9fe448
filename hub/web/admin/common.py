"""Helpers shared by the admin pages: rendering with the session's CSRF token, acting, redirecting."""

from __future__ import annotations

from collections.abc import Callable, Collection
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
from hub.web.admin import notices
from hub.web.templating import env, render

NO_STORE = {"Cache-Control": "no-store"}


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
        notice=notices.shown(notices.NOTICES, request.query_params.get("ok")),
        error=notices.shown(notices.ERRORS, request.query_params.get("error")),
        error_field=notices.shown(notices.FIELDS, request.query_params.get("field")),
        path=request.url.path,
        offered=i18n.ADMIN_LANGUAGES,
        **context,
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


async def act(hub: Hub, job: Callable[[Session], Any], url: str, ok: str) -> RedirectResponse:
    """Run ``job`` through the writer; back to ``url`` with ``ok`` or the error, nothing half-done."""
    try:
        await hub.db.writer.run(job)
    except (HubError, PydanticError) as exc:
        return refused(url, exc)
    return back(url, ok=ok)

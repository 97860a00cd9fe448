"""Unknown addresses get the residents' portal, never a bare ``{"detail": "Not Found"}``.

The hub's DNS answers every name with the hub (captive portal), so a resident's bookmark of
some other site, or a deep link shared in a chat, lands here on any host name. Every path
that is not an API gets the portal's not-found page: HTTP 404, in the visitor's language,
with the big buttons to the forms. API paths keep their JSON errors, and every other HTTP
error (403, 405, a redirect to the login) is answered as FastAPI always does.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from hub.errors import StorageUnavailable
from hub.services import overview
from hub.web.templating import render

# Paths whose callers are programs: they keep JSON errors.
API_PREFIXES = ("/api/", "/admin/api/", "/captive-portal/api")
API_PATHS = frozenset({"/api", "/admin/api", "/openapi.json", "/docs", "/healthz", "/metrics"})


def is_api(path: str) -> bool:
    return path in API_PATHS or path.startswith(API_PREFIXES)


async def friendly_not_found(request: Request, exc: Exception) -> Response:
    """The portal's not-found page for a 404 outside the APIs; anything else as FastAPI does."""
    assert isinstance(exc, HTTPException)
    if exc.status_code != 404 or is_api(request.url.path):
        return await http_exception_handler(request, exc)
    try:
        mode = overview.mode(request.app.state.hub.store)
    except StorageUnavailable:
        mode = "normal"
    return render(
        request,
        "portal/message.html",
        status_code=404,
        headers={"Cache-Control": "no-store"},
        mode=mode,
        message="not_found",
    )

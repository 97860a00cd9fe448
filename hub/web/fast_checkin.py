"""``POST /api/v1/checkins`` without FastAPI's per-request machinery, for the request that counts.

In a crisis the check-in is the request the hub gets most, from every phone on the Wi-Fi at once,
on one Pi core. Through FastAPI it spent more CPU in the framework (routing through the included
routers, dependency solving, building a ``Request``, the response model, the exception and
exit-stack layers) than in the durable write itself. The guard (:class:`hub.web.guard.Guard`)
hands a check-in here first; this answers the ordinary case and gives everything else back:

- the same work: :func:`hub.web.api.accept_checkin` (rate limit, household-code guesses, the
  write through the services, the metrics) is the FastAPI endpoint's own code;
- the same answers: a refusal (429, a wrong household code, storage down) goes through the app's
  own exception handlers, the 201 body is the response model's JSON;
- the same route: the request is counted and timed under ``/api/v1/checkins`` as before, and the
  route stays in the OpenAPI document;
- anything unusual (not JSON, a body the schema refuses, an over-long ``Idempotency-Key``) is
  passed on untouched to FastAPI, which answers it exactly as it always did (its 422 details).

``tests/test_fast_checkin.py`` sends the same requests down both paths and compares the answers.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from pydantic import ValidationError as SchemaError
from starlette.exceptions import HTTPException
from starlette.requests import Request

from hub.schemas import CheckInCreate
from hub.web.api import KEY_MAX_LENGTH, accept_checkin, router
from hub.web.security import BodyReplay, Scope, Send

PATH = "/api/v1/checkins"
_KEY = b"idempotency-key"
_JSON_HEADERS = [(b"content-type", b"application/json")]


class FastCheckIn:
    """The check-in route's fast path; ``answer`` returns False when FastAPI is to answer."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.route = _route(router, PATH, "POST")

    async def answer(self, scope: Scope, receive: BodyReplay, send: Send) -> bool:
        content_type: bytes | None = None
        key: str | None = None
        for name, value in scope["headers"]:  # the first of each, as Starlette's headers give
            if name == b"content-type" and content_type is None:
                content_type = value
            elif name == _KEY and key is None:
                key = value.decode("latin-1")
        if content_type is None or content_type.split(b";", 1)[0].strip().lower() != b"application/json":
            return False
        if key is not None and len(key) > KEY_MAX_LENGTH:
            return False
        try:
            body = CheckInCreate.model_validate_json(receive.body)
        except SchemaError:
            return False
        scope["route"] = self.route  # counted and timed as the route, as FastAPI's router marks it
        client = scope["client"][0] if scope.get("client") else "unknown"
        state = self.app.state
        try:
            checkin = await accept_checkin(state, state.hub, client, body, key)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise  # the guard's 500, as for any other route
            response = handler(Request(scope, receive), exc)
            if inspect.isawaitable(response):
                response = await response
            await response(scope, receive, send)
            return True
        content = checkin.__pydantic_serializer__.to_json(checkin)
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-length", str(len(content)).encode()), *_JSON_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": content})
        return True

    def _handler(self, exc: Exception) -> Callable[[Request, Any], Any] | None:
        """The app's handler for ``exc``, looked up as Starlette's exception middleware does
        (a handler for ``500`` or ``Exception`` is the server-error layer's, not this one's)."""
        handlers: Mapping[Any, Callable[[Request, Any], Any]] = self.app.exception_handlers
        if isinstance(exc, HTTPException) and exc.status_code != 500 and exc.status_code in handlers:
            return handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls is not Exception and cls in handlers:
                return handlers[cls]
        return None


def _route(router: APIRouter, path: str, method: str) -> APIRoute:
    """The API router's own route object: what FastAPI puts in the scope for the metrics."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == path and method in (route.methods or ()):
            return route
    raise LookupError(f"no {method} {path} route in the API router")

"""The hub app's guard: one pure ASGI layer around every HTTP request.

It does, in one layer, what the middleware of :mod:`hub.web.security` and
:class:`hub.web.metrics.RequestMetrics` do one layer each (the region's app still stacks those):
``HEAD`` answered as ``GET`` without a body, the security headers on every answer, the body
limit (413), the request counted and timed per route, and an exception nobody handled turned into
a plain 500 that is counted and carries the headers. Five layers cost a request five coroutines
and four wrapped ``send`` functions; on the check-in that was a twentieth of its CPU. A check-in
goes to its fast path first (:mod:`hub.web.fast_checkin`), which gives back what it does not
answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from hub.web.fast_checkin import PATH as FAST_PATH
from hub.web.fast_checkin import FastCheckIn
from hub.web.metrics import AppMetrics, route_template
from hub.web.security import (
    ASGIApp,
    BodyLimit,
    Message,
    Receive,
    Scope,
    Send,
    add_security_headers,
    is_private,
    plain_answer,
)

log = logging.getLogger(__name__)

NO_BODY_METHODS = ("GET", "HEAD", "OPTIONS")


class Guard:
    """Headers, body limit, metrics and unexpected errors for the hub's app, in this order from
    the outside in (a refused body is answered before it is counted, as the stacked layers did)."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: AppMetrics,
        limit: int,
        uploads: Mapping[str, int] | None = None,
        upload_cookie: str = "",
        fast: FastCheckIn | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.body = BodyLimit(app, limit, uploads, upload_cookie)
        self.fast = fast

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        private = is_private(scope.get("path", ""))

        async def guarded_send(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                add_security_headers(message, private)
            elif head and kind == "http.response.body":
                message = {**message, "body": b""}
            elif head and kind == "http.response.pathsend":  # a file sent by the server itself
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        replay = None
        if scope["method"] not in NO_BODY_METHODS:
            replay = await self.body.read(scope, receive, guarded_send)
            if replay is None:
                return
            receive = replay

        start = time.perf_counter()
        status = 500  # an app that fails before answering: answered 500 below
        started = False

        async def counted_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
            await guarded_send(message)

        try:
            if (
                self.fast is None
                or replay is None
                or scope["path"] != FAST_PATH
                or scope["method"] != "POST"
                or not await self.fast.answer(scope, replay, counted_send)
            ):
                await self.app(scope, receive, counted_send)
        except Exception:
            if started:
                raise
            log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            await plain_answer(
                counted_send, 500, "Something went wrong in the hub. Nothing was changed. Try again."
            )
        finally:
            self.metrics.observe(route_template(scope), scope["method"], status, time.perf_counter() - start)

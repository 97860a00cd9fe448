"""Middleware that guards every response: headers, body size, submission rate."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
]


# Paths whose answers must never be kept by a browser or a proxy: who did what, and when.
PRIVATE_PREFIXES = ("/admin", "/api/v1/admin")
RETRY_AFTER_429 = b"60"


def is_private(path: str) -> bool:
    return path.startswith(PRIVATE_PREFIXES) and any(
        path == prefix or path.startswith(prefix + "/") for prefix in PRIVATE_PREFIXES
    )


def add_security_headers(start: Message, private: bool) -> None:
    """Give a ``http.response.start`` message the security headers (see ``SecurityHeaders``)."""
    headers = [
        (name, value)
        for name, value in start.get("headers", [])
        if not (private and name.lower() == b"cache-control")
    ]
    present = {name.lower() for name, _ in headers}
    headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
    if private:
        headers.append((b"cache-control", b"no-store"))
    if start["status"] == 429 and b"retry-after" not in present:
        headers.append((b"retry-after", RETRY_AFTER_429))
    start["headers"] = headers


class SecurityHeaders:
    """Every answer, errors included: the security headers; admin answers: ``no-store``;
    a 429: ``Retry-After``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = is_private(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(message, private)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class UnexpectedErrors:
    """An exception nobody handled becomes a plain 500 here, inside the other guards.

    Starlette answers such errors in its outermost layer, where no middleware of ours sees
    the answer; caught here, the 500 is counted and carries the security headers like any other.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception:
            if started:
                raise
            log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            await plain_answer(send, 500, "Something went wrong in the hub. Nothing was changed. Try again.")


class HeadAsGet:
    """``HEAD`` for every ``GET`` page: answered as the ``GET``, headers only, no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            elif message["type"] == "http.response.pathsend":  # a file sent by the server itself
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class BodyLimit:
    """Answer 413 to bodies over ``limit`` bytes, declared or streamed.

    Bodies here are small (forms, JSON), so the body is read up front and handed on whole:
    the app never sees a request that is cut off half way. ``uploads``: paths that take a file
    (the address register's export), with their own limit; it holds only for a request that
    carries the cookie named ``upload_cookie`` (a coordinator's session, checked by the page
    itself), so that nobody on the open Wi-Fi makes the hub hold megabytes without one.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        uploads: Mapping[str, int] | None = None,
        upload_cookie: str = "",
    ) -> None:
        self.app = app
        self.limit = limit
        self.uploads = dict(uploads or {})
        self.upload_cookie = upload_cookie.encode()

    def _limit(self, scope: Scope) -> int:
        larger = self.uploads.get(scope.get("path", ""))
        if larger is None or not self.upload_cookie:
            return self.limit
        for name, value in scope.get("headers", []):
            if name == b"cookie" and any(
                part.strip().startswith(self.upload_cookie + b"=") for part in value.split(b";")
            ):
                return max(larger, self.limit)
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        replay = await self.read(scope, receive, send)
        if replay is not None:
            await self.app(scope, replay, send)

    async def read(self, scope: Scope, receive: Receive, send: Send) -> BodyReplay | None:
        """Read the whole body: a ``receive`` that hands it on, or ``None`` when it was refused
        (413 sent) or the client left."""
        limit = self._limit(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await plain_answer(send, 413, f"Too much data: at most {limit} bytes.")
                return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await plain_answer(send, 413, f"Too much data: at most {limit} bytes.")
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return BodyReplay(chunks[0] if len(chunks) == 1 else b"".join(chunks), receive)


class BodyReplay:
    """A ``receive`` that hands on a body already read (``body``), then the client's own."""

    __slots__ = ("_delivered", "_receive", "body")

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body = body
        self._delivered = False
        self._receive = receive

    async def __call__(self) -> Message:
        if not self._delivered:
            self._delivered = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        return await self._receive()


async def plain_answer(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """A token bucket per client: ``per_minute`` submissions, bursts up to the same number."""

    def __init__(self, per_minute: int, max_clients: int = 10_000) -> None:
        self.per_minute = per_minute
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_clients = max_clients

    def allow(self, client: str, now: float | None = None) -> bool:
        if self.per_minute <= 0:
            return True
        moment = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(client, (float(self.per_minute), moment))
        tokens = min(float(self.per_minute), tokens + (moment - last) * self.per_minute / 60)
        allowed = tokens >= 1
        self._buckets[client] = (tokens - 1 if allowed else tokens, moment)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return allowed

"""Limits for the open Wi-Fi, kept by the HTTP server itself: slow clients cannot hold it.

Anyone on the residents' Wi-Fi can open connections and send a request a byte at a time.
uvicorn times out idle keep-alive connections, but not a request whose headers or body are
still arriving, and it lets one address hold any number of connections. This protocol (uvicorn's
httptools protocol with three additions) closes:

- a request whose headers have not all arrived ``header_timeout`` seconds after they began (or
  after the connection opened): answered ``408`` and closed;
- a request whose body has not all arrived ``body_timeout`` seconds after its headers: likewise;
- a connection from an address that already holds ``max_per_client`` connections: answered
  ``429`` at once and closed (``0`` turns the limit off).

The firewall (``deploy/nftables.conf.j2``) limits connections per address as well; this is the
hub's own guard, for when it runs without that firewall.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hub.config import Settings
from hub.web.security import SECURITY_HEADERS


def _plain_answer(status: str, text: str, *headers: str) -> bytes:
    body = text.encode()
    head = [f"HTTP/1.1 {status}", "content-type: text/plain; charset=utf-8", *headers]
    head += [f"{name.decode()}: {value.decode()}" for name, value in SECURITY_HEADERS]
    head += [f"content-length: {len(body)}", "connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


TIMED_OUT = _plain_answer("408 Request Timeout", "The request arrived too slowly.\n")
TOO_MANY = _plain_answer("429 Too Many Requests", "Too many open connections.\n", "retry-after: 5")


@dataclass
class ConnectionLimits:
    """The limits, and the connections each client address holds now (event loop only)."""

    header_timeout: float
    body_timeout: float
    max_per_client: int
    open_per_client: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            max_per_client=settings.max_connections_per_client,
        )

    def admit(self, client: str) -> bool:
        if self.max_per_client and self.open_per_client[client] >= self.max_per_client:
            return False
        self.open_per_client[client] += 1
        return True

    def release(self, client: str) -> None:
        self.open_per_client[client] -= 1
        if self.open_per_client[client] <= 0:
            del self.open_per_client[client]


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol with a deadline for each request's arrival and a per-client cap."""

    limits: ClassVar[ConnectionLimits]
    _admitted: str | None = None
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        client = self.client[0] if self.client else ""
        if not self.limits.admit(client):
            transport.write(TOO_MANY)
            transport.close()
            return
        self._admitted = client
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._admitted is not None:
            self.limits.release(self._admitted)
            self._admitted = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # the next request on a kept-alive connection
            self._arm(self.limits.header_timeout)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.limits.body_timeout)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def _unsupported_upgrade_warning(self) -> None:
        """A WebSocket handshake (``hub serve`` loads no WebSocket protocol) is answered as a
        plain request: not two warnings per request, nor advice to install a library."""

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(TIMED_OUT)
        self.transport.close()


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedHttpProtocol]:
    """The protocol class for one server (uvicorn makes one instance per connection)."""

    class Protocol(GuardedHttpProtocol):
        pass

    Protocol.limits = limits
    return Protocol

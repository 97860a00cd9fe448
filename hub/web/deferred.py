"""Routers included at their first use, so that ``hub serve`` answers ``/healthz`` sooner.

Building the coordinators' routes (about 90 of them: their validation and OpenAPI models) is a
fifth of the CPU ``hub serve`` spends before its first answer; on a Pi-class core that is most of
a second. ``hub serve`` therefore puts a :class:`DeferredRouters` where the admin routers go. The
first time the router looks past the routes before it (a request no earlier route answers, an
``url_for``, the OpenAPI schema), it imports the routers, includes them in the app and puts them in
its own place, in their order; from then on the app is the one :func:`hub.app.create_app` builds
eagerly (``tests/test_deferred_routes.py`` compares the two). A background thread imports them a
few seconds after the start and then includes them on the event loop, so that a coordinator
seldom waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)

WARM_AFTER = 5.0  # seconds after the start: the import in the background (``warm``)


class DeferredRouters(BaseRoute):
    """A stand-in in ``app.router.routes`` for the routers ``load`` returns, in that order."""

    def __init__(self, app: FastAPI, load: Callable[[], Sequence[APIRouter]], module: str) -> None:
        self.app = app
        self.load = load
        self.module = module
        self.included: list[BaseRoute] | None = None
        self.lock = threading.Lock()

    def include(self) -> list[BaseRoute]:
        """Include the routers in the app, in this stand-in's place (once)."""
        with self.lock:
            if self.included is not None:
                return self.included
            routes = self.app.router.routes
            before = len(routes)
            for router in self.load():
                self.app.include_router(router)
            added = routes[before:]
            del routes[before:]
            place = next(i for i, route in enumerate(routes) if route is self)
            # The router may be iterating over this list right now, at this stand-in: it goes
            # on at the next place, so the first included route is answered through this one
            # (``matches``/``handle`` below) and the rest are met in the list itself.
            routes[place : place + 1] = added
            self.included = added
            log.debug("included the deferred routers of %s", self.module)
            return added

    def warm(self, loop: asyncio.AbstractEventLoop | None = None, delay: float | None = None) -> None:
        """After ``delay`` seconds, import the routers' module in a daemon thread (the costly
        part, beside the server), then include them on ``loop``, the thread that routes."""

        def run() -> None:
            try:
                importlib.import_module(self.module)
            except Exception:  # the first request that needs it raises it where it is seen
                log.exception("importing %s in the background failed", self.module)
                return
            if loop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed: the server is stopping
                    loop.call_soon_threadsafe(self.include)

        timer = threading.Timer(WARM_AFTER if delay is None else delay, run)
        timer.daemon = True
        timer.start()

    @property
    def first(self) -> BaseRoute:
        return self.include()[0]

    @property
    def path_format(self) -> str | None:
        return getattr(self.first, "path_format", None)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return self.first.matches(scope)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        try:
            return self.first.url_path_for(name, **path_params)
        except NoMatchFound:
            raise NoMatchFound(name, path_params) from None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.first.handle(scope, receive, send)


def deferred_openapi(app: FastAPI, deferred: DeferredRouters) -> None:
    """The OpenAPI schema includes the deferred routers (they are included first)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        deferred.include()
        return build()

    app.openapi = openapi  # type: ignore[method-assign]

"""The running hub: settings, database and the links, started and stopped together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.clock import ClockWatch
from hub.config import Settings, secret_key
from hub.db import Database
from hub.migrate import upgrade
from hub.services.context import HubContext
from hub.services.store import Store

log = logging.getLogger(__name__)


class Link(Protocol):
    """A part of the hub with a life of its own (radio, broker, scheduler)."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


class LateLink:
    """A link built and started ``delay`` seconds after the hub starts, off the path to its
    first answer.

    ``hub serve`` starts the scheduler this way: importing APScheduler and the jobs' services is
    about 30 ms of CPU, a tenth of a second on a Pi-class core, while no job is due before its
    first interval anyway. Until the link is started its status says ``starting``; when building
    or starting it fails, ``error`` (and the log says why)."""

    def __init__(self, name: str, build: Callable[[], Link], delay: float) -> None:
        self.name = name
        self._build = build
        self._delay = delay
        self._link: Link | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self._error: str | None = None

    def start(self) -> None:
        self._stopped = False
        self._timer = threading.Timer(self._delay, self.start_now)
        self._timer.daemon = True
        self._timer.start()

    def start_now(self) -> None:
        """Build and start the link now (once; not after ``stop``)."""
        with self._lock:
            if self._stopped or self._link is not None:
                return
            try:
                link = self._build()
                link.start()
            except Exception as exc:
                log.exception("starting %s failed", self.name)
                self._error = str(exc) or type(exc).__name__
                return
            self._link = link

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
            link, self._link = self._link, None
        if link is not None:
            link.stop()

    def status(self) -> dict[str, Any]:
        link = self._link
        if link is not None:
            return link.status()
        if self._error is not None:
            return {"state": "error", "connected": False, "error": self._error}
        return {"state": "starting" if not self._stopped else "stopped", "connected": False}


@dataclass
class Hub:
    settings: Settings
    db: Database
    ctx: HubContext
    secret: str
    links: dict[str, Link] = field(default_factory=dict)
    on_start: list[Callable[[Hub], None]] = field(default_factory=list)
    # What the web, the links and the jobs hand to the services (they never touch ``db``).
    store: Store = field(init=False)

    def __post_init__(self) -> None:
        self.store = Store(self.db, self.ctx)

    @classmethod
    def from_settings(cls, settings: Settings) -> Hub:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.database_url)
        return cls(
            settings=settings,
            db=Database(settings.database_url),
            ctx=HubContext(
                hub_id=settings.id,
                share=settings.sync_share,
                mesh_repeat_seconds=settings.mesh_repeat_seconds,
                clock=ClockWatch(settings.clock_sync_check),
            ),
            secret=secret_key(settings),
        )

    def add_link(self, link: Link) -> None:
        self.links[link.name] = link

    def start(self) -> None:
        self.db.start()
        for hook in self.on_start:
            hook(self)
        for link in self.links.values():
            log.info("starting %s", link.name)
            link.start()

    def stop(self) -> None:
        for link in reversed(list(self.links.values())):
            try:
                link.stop()
            except Exception:
                log.exception("stopping %s failed", link.name)
        self.db.close()

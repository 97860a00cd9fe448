"""The running hub: settings, database and the links, started and stopped together."""

from __future__ import annotations

import logging
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

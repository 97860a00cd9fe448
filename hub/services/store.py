"""The services' hold on the database: the one object callers outside the services pass along.

Web routes, the radio and sync links and the scheduler never open a session or hand the writer a
function: they call named use cases (``hub.services.submissions``, ``hub.services.overview``,
``hub.services.mesh_traffic``, ``hub.services.received``, ``hub.services.scheduled``) with the hub's
:class:`Store`, and get plain values back. Inside the services, a use case reads in a session of
its own (:meth:`Store.read`) or hands its work to the writer's group commit (:meth:`Store.write`,
:meth:`Store.write_async`); the function it hands over is an implementation detail.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from sqlmodel import Session

from hub.db import Database
from hub.services.context import HubContext
from hub.services.outbox import Outbox

T = TypeVar("T")


class Store:
    """The hub's database and context, as the services use them (for the services only)."""

    def __init__(self, db: Database, ctx: HubContext) -> None:
        self._db = db
        self.ctx = ctx
        self.outbox = Outbox(db)

    def read(self, query: Callable[[Session], T]) -> T:
        """``query`` in a read session of its own, beside the writer; its result must not need
        the session afterwards (plain values, not rows that load more)."""
        with self._db.read() as session:
            return query(session)

    def write(self, job: Callable[[Session], T]) -> T:
        """``job`` through the writer; returns once its commit is on disk (threads)."""
        return self._db.writer.run_sync(job)

    def submit(self, job: Callable[[Session], T]) -> Future[T]:
        """``job`` through the writer without waiting for it (``StorageUnavailable`` when the writer
        is not running)."""
        return self._db.writer.submit(job)

    async def write_async(self, job: Callable[[Session], T]) -> T:
        """``job`` through the writer; returns once its commit is on disk (async code)."""
        return await self._db.writer.run(job)

    # -- the writer's health (``/healthz``, ``/metrics``) --------------------------------------
    @property
    def commits(self) -> int:
        return self._db.writer.commits

    @property
    def storage_failures(self) -> int:
        return self._db.writer.storage_failures

    @property
    def storage_failing(self) -> bool:
        """The storage refused a write, and no write as large has reached the disk since."""
        return self._db.writer.storage_failing

    def storage_recovered(self, failures: int) -> None:
        """A write as large as the real ones reached the disk after ``failures`` refusals."""
        writer = self._db.writer
        writer.storage_recovered = max(writer.storage_recovered, failures)

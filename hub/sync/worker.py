"""A thread that keeps one broker connection alive and feeds what happens to a subclass.

States: ``off`` (not started), ``connecting``, ``connected``, ``offline`` (waiting to retry).
Retries back off 1 → 2 → 4 … → 60 s. An attempt that gets no CONNACK within
``connect_timeout`` (a broker that is stopped but whose kernel still accepts TCP) counts as
failed. Events from a client that has been replaced are ignored, so a late callback of a
dead connection cannot confuse the new one.

Subclasses implement the ``on_*`` hooks; they all run on this worker's thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.errors import StorageUnavailable
from hub.sync.client import (
    BrokerClient,
    BrokerEvent,
    ClientFactory,
    Connected,
    ConnectionLost,
    Published,
    Received,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Wake:
    pass


@dataclass(frozen=True)
class _Stop:
    pass


@dataclass(frozen=True)
class _Call:
    fn: Callable[[], None]


_Item = tuple[int, BrokerEvent] | _Wake | _Stop | _Call


class Backoff:
    def __init__(self, first: float = 1.0, cap: float = 60.0) -> None:
        self.first = first
        self.cap = cap
        self.delay = first

    def next(self) -> float:
        delay = self.delay
        self.delay = min(self.delay * 2, self.cap)
        return delay

    def reset(self) -> None:
        self.delay = self.first


class BrokerWorker:
    """Connection state machine on its own thread; subclasses add what to do when connected."""

    name = "broker"

    def __init__(
        self,
        client_factory: ClientFactory,
        *,
        connect_timeout: float = 10.0,
        backoff: Backoff | None = None,
        tick: float = 0.25,
        coalesce: float = 0.005,
    ) -> None:
        self._factory = client_factory
        self._connect_timeout = connect_timeout
        self._backoff = backoff or Backoff()
        self._tick = tick
        self._coalesce = coalesce
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._generation = 0
        self._deadline = 0.0
        self._next_attempt = 0.0
        self.client: BrokerClient | None = None
        self.state = "off"
        self.last_contact: datetime | None = None
        self.last_error: str | None = None
        self.connects = 0

    # --- lifecycle ---

    def start(self) -> None:
        if self._thread is None:
            self.state = "connecting"
            self._thread = threading.Thread(target=self._run, name=f"hub-{self.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_Stop())
            self._thread.join(timeout=30)
            self._thread = None
        self.state = "off"

    def wake(self) -> None:
        """Something new to do (thread-safe; cheap enough for every commit)."""
        self._queue.put(_Wake())

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the worker's thread."""
        self._queue.put(_Call(fn))

    # --- hooks ---

    def on_connected(self, client: BrokerClient, session_present: bool) -> None: ...

    def on_lost(self) -> None: ...

    def on_published(self, mid: int, ok: bool) -> None: ...

    def on_received(self, client: BrokerClient, message: Received) -> None: ...

    def on_wake(self) -> None: ...

    def on_idle(self, client: BrokerClient) -> bool:
        """Do work while connected; return True when there is more to do right away."""
        return False

    def on_tick(self) -> None:
        """Called every loop, connected or not."""

    def on_stopping(self, client: BrokerClient) -> None: ...

    # --- the loop ---

    def _sink_for(self, generation: int) -> Callable[[BrokerEvent], None]:
        def sink(event: BrokerEvent) -> None:
            self._queue.put((generation, event))

        return sink

    def _attempt(self) -> None:
        self._generation += 1
        self.state = "connecting"
        self._deadline = time.monotonic() + self._connect_timeout
        self.client = self._factory(self._sink_for(self._generation))
        self.client.connect()

    def _lose(self, reason: str) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        self._generation += 1
        was = self.state
        self.state = "offline"
        self.last_error = reason
        delay = self._backoff.next()
        self._next_attempt = time.monotonic() + delay
        if was == "connected":
            log.warning("%s: connection lost (%s); retrying in %.0f s", self.name, reason, delay)
        else:
            log.info("%s: %s; retrying in %.0f s", self.name, reason, delay)
        self.on_lost()

    def _run(self) -> None:
        busy = False
        while True:
            now = time.monotonic()
            if self.client is None and now >= self._next_attempt:
                self._attempt()
            elif self.state == "connecting" and now > self._deadline:
                self._lose("no answer from the broker")
            timeout = 0.0 if busy else self._tick
            if self.client is None:
                timeout = min(timeout or self._tick, max(0.0, self._next_attempt - now))
            items: list[_Item] = []
            try:
                items.append(self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait())
                if timeout > 0 and self._coalesce:
                    # Woken by one event (a PUBACK, most often) while more are on their way: a
                    # moment's wait lets them come in together, one pass of the loop for many.
                    time.sleep(self._coalesce)
                while len(items) < 2000:
                    items.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            for item in items:
                if isinstance(item, _Stop):
                    self._shutdown()
                    return
                try:
                    self._handle(item)
                except StorageUnavailable as exc:  # said by the hook itself; no traceback
                    if self.client is not None:
                        self._lose(f"work failed: {exc}")
                except Exception as exc:  # e.g. the database refused a read: start over later
                    log.exception("%s: handling %s failed", self.name, type(item).__name__)
                    if self.client is not None:
                        self._lose(f"work failed: {exc}")
            try:
                self.on_tick()
                busy = self.state == "connected" and self.client is not None and self.on_idle(self.client)
            except StorageUnavailable as exc:  # said by the hook itself; no traceback
                self._lose(f"work failed: {exc}")
                busy = False
            except Exception as exc:
                log.exception("%s: work failed", self.name)
                self._lose(f"work failed: {exc}")
                busy = False

    def _handle(self, item: _Item) -> None:
        if isinstance(item, _Wake):
            self.on_wake()
            return
        if isinstance(item, _Call):
            item.fn()
            return
        if isinstance(item, _Stop):  # pragma: no cover - handled by the loop
            return
        generation, event = item
        if generation != self._generation or self.client is None:
            return
        if isinstance(event, Connected):
            self.state = "connected"
            self.connects += 1
            self.last_contact = datetime.now(UTC)
            self._backoff.reset()
            log.info("%s: connected (session present: %s)", self.name, event.session_present)
            self.on_connected(self.client, event.session_present)
        elif isinstance(event, ConnectionLost):
            self._lose(event.reason)
        elif isinstance(event, Published):
            self.last_contact = datetime.now(UTC)
            self.on_published(event.mid, event.ok)
        else:
            self.last_contact = datetime.now(UTC)
            try:
                self.on_received(self.client, event)
            except Exception:
                log.exception("%s: handling a message on %s failed", self.name, event.topic)

    def _shutdown(self) -> None:
        if self.client is not None:
            if self.state == "connected":
                try:
                    self.on_stopping(self.client)
                except Exception:
                    log.exception("%s: stopping failed", self.name)
            self.client.close()
            self.client = None
        self.state = "off"

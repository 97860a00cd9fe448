"""When the sync link sends an event again: never on a timer alone, always with backoff.

An event handed to the broker (PUBACK) is not sent again on the same connection: the broker
holds it, and behind the Pi's own Mosquitto the bridge carries it upstream when the internet
is back. Resending a whole unconfirmed backlog every 30 s, as the hub once did, queued
thousands of copies per event on the SD card during a long outage.

What is sent again, and when:

- after a reconnect, what the broker never acknowledged (the link starts at the lowest
  *unsent* event);
- on the upstream consumer's replay request ``{"from": n}``; the same range asked again within
  ``first`` seconds is not sent twice (the consumer asks every few seconds while a replay drains);
- a *probe* when confirmations stall: the path upstream is up (the local broker's bridge
  notification says so, or there is no bridge), events are sent but unconfirmed, and no receipt
  has moved for ``wait`` seconds. The probe is the newest such event, once: a consumer that has
  everything answers with a receipt, one that misses some sees a gap and asks for a replay. The
  wait doubles after every probe up to ``cap`` and falls back to ``first`` on progress.

While the bridge reports the upstream link down nothing is probed: the local broker queues.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ResendPolicy:
    """The clock of resends; the link asks it and reports what happened."""

    def __init__(self, first: float, cap: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.first = first
        self.cap = max(cap, first)
        self.wait = first
        self.clock = clock
        self.upstream_up: bool | None = None  # None: no bridge notification (a direct connection)
        self.probes = 0
        self.replays_held = 0
        self._since = clock()
        self._last_replay: tuple[int, float] | None = None

    def activity(self) -> None:
        """Something was sent or (re)connected: the stall timer starts again."""
        self._since = self.clock()

    def progress(self) -> None:
        """A receipt moved the confirmed mark: back to the first wait."""
        self._since = self.clock()
        self.wait = self.first

    def bridge(self, up: bool) -> None:
        """The local broker's bridge went up or down."""
        if up and self.upstream_up is not True:
            self.progress()
        self.upstream_up = up

    def probe_due(self) -> bool:
        return self.upstream_up is not False and self.clock() - self._since >= self.wait

    def probed(self) -> None:
        self.probes += 1
        self._since = self.clock()
        self.wait = min(self.wait * 2, self.cap)

    def replay_wanted(self, start: int) -> bool:
        """False for a request that a replay begun less than ``first`` s ago already covers."""
        now = self.clock()
        if self._last_replay is not None:
            last_start, at = self._last_replay
            if start >= last_start and now - at < self.first:
                self.replays_held += 1
                return False
        self._last_replay = (start, now)
        return True

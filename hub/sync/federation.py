"""Following federation peers: which of their events we have, and when to ask for a replay.

A peer's events carry a gap-free ``seq``. Per peer the hub keeps the highest *contiguous* seq
it has handled (saved with each event, in ``hub_state``) and, in memory, the seqs above it and
the highest seen. It asks the peer for a replay ``{"from": contiguous + 1}`` on
``R/hubs/<peer>/replay``:

- after every (re)connect and whenever the local broker's bridge comes back (it may have
  missed events while it was away; the peer sends nothing when there is nothing newer);
- when a gap shows (an event above ``contiguous + 1`` arrived), after ``first`` seconds and
  then with backoff up to ``cap``, until the gap is filled.

Creations apply in any order (by id, once). A status change or a deletion applies only in
order, when every earlier event of that peer is handled: so it never arrives before the record
it changes (a deleted need cannot come back with a late creation), and an older status never
overwrites a newer one. One that arrives early is left for the replay to bring again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

IN_ORDER_ACTIONS = ("status", "deleted")


@dataclass
class PeerMarks:
    contiguous: int = 0
    above: set[int] = field(default_factory=set)
    high: int = 0
    asked_at: float = -1e18
    gap_since: float | None = None
    wait: float = 0.0

    def after(self, seq: int) -> int:
        """``contiguous`` once ``seq`` is handled."""
        mark = self.contiguous
        if seq == mark + 1:
            mark += 1
            while mark + 1 in self.above:
                mark += 1
        return mark

    def seen(self, seq: int) -> bool:
        return seq <= self.contiguous or seq in self.above


class PeerFollower:
    def __init__(
        self, peers: list[str], first: float, cap: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.first = first
        self.cap = max(cap, first)
        self.clock = clock
        self.marks = {peer: PeerMarks(wait=first) for peer in peers}
        self.replays_asked = 0

    def load(self, contiguous: dict[str, int]) -> None:
        for peer, marks in self.marks.items():
            if contiguous.get(peer, 0) > marks.contiguous:
                marks.contiguous = contiguous[peer]
                marks.high = max(marks.high, marks.contiguous)
                marks.above = {seq for seq in marks.above if seq > marks.contiguous}

    def should_wait(self, peer: str, seq: int, event_type: str) -> bool:
        """An event to leave for the replay: a status change with earlier events missing."""
        marks = self.marks[peer]
        marks.high = max(marks.high, seq)
        action = event_type.partition(".")[2]
        return action in IN_ORDER_ACTIONS and seq > marks.contiguous + 1

    def contiguous_after(self, peer: str, seq: int) -> int:
        return self.marks[peer].after(seq)

    def handled(self, peer: str, seq: int) -> None:
        """``seq`` is committed as handled (applied, ignored or parked)."""
        marks = self.marks[peer]
        marks.high = max(marks.high, seq)
        if seq <= marks.contiguous:
            return
        before = marks.contiguous
        marks.above.add(seq)
        while marks.contiguous + 1 in marks.above:
            marks.contiguous += 1
            marks.above.discard(marks.contiguous)
        if marks.contiguous > before:
            marks.wait = self.first

    def catch_up_all(self) -> list[tuple[str, int]]:
        """Ask every peer (after a reconnect, or the bridge back up)."""
        now = self.clock()
        asks = []
        for peer, marks in self.marks.items():
            marks.asked_at = now
            asks.append((peer, marks.contiguous + 1))
        self.replays_asked += len(asks)
        return asks

    def due(self) -> list[tuple[str, int]]:
        """Peers whose gap has lasted its wait: ``(peer, from)``; the wait doubles after each ask."""
        now = self.clock()
        asks = []
        for peer, marks in self.marks.items():
            if marks.high <= marks.contiguous:
                marks.gap_since = None
                continue
            if marks.gap_since is None:
                marks.gap_since = now
            if now - max(marks.gap_since, marks.asked_at) >= marks.wait:
                marks.asked_at = now
                marks.wait = min(max(marks.wait, self.first) * 2, self.cap)
                asks.append((peer, marks.contiguous + 1))
        self.replays_asked += len(asks)
        return asks

    def status(self) -> dict[str, dict[str, int]]:
        return {
            peer: {"contiguous": marks.contiguous, "highest_seen": marks.high}
            for peer, marks in self.marks.items()
        }

"""The hub's side of the region channel as decisions (pure): when a summary is due, which
events go at once as urgent frames and when again, and when an announcement is whole.

The wire format is ``hub.domain.region_radio``; the I/O is ``hub.mesh.region_link``.

- A **summary** goes once per period, at the hub's own offset into it (``summary_offset``), and
  only while the MQTT link has been down longer than the threshold (:class:`LinkWatch`).
- An **urgent** event (:func:`urgent_event`) goes at once while the MQTT link is down (any
  length of time): an SOS, a life-threatening need, or a request for supplies (an urgent need
  for water, food, medicine, power or a medical device). It goes again every retry interval
  until the region's ``ACK`` frame names its event id, or until it no longer needs to
  (:meth:`UrgentTracker.update`: closed, or confirmed upstream over MQTT). The coordinators'
  supply requests go so too, with their household count.
- An **announcement** is shown when all its parts are in, once (:class:`Assembler`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ulid import ULID

from hub.domain.region_radio import AnnouncePart, UrgentWhat

# Needs that are a request for supplies when urgent (life-threatening ones go as LIFE_NEED).
SUPPLY_CATEGORIES = frozenset({"water", "food", "medicine", "power", "medical_device"})
SUPPLY_REQUESTED = "supply.requested"  # the coordinators' request (hub.services.supplies)
URGENT_TEXT_BYTES = 120  # the event's own words, cut (the frame holds ~160)
ANNOUNCEMENT_PARTS_KEPT_SECONDS = 24 * 3600
TITLE_CHARS = 80


@dataclass
class LinkWatch:
    """How long the MQTT link has been down, from what it was seen to be, tick by tick."""

    down_since: float | None = None

    def observe(self, up: bool, now: float) -> None:
        if up:
            self.down_since = None
        elif self.down_since is None:
            self.down_since = now

    def down_for(self, now: float) -> float:
        """Seconds the link has been down (0 while up)."""
        return 0.0 if self.down_since is None else max(0.0, now - self.down_since)


def summary_period_number(now: float, period: float, offset: float) -> int:
    """The number of the last period whose send moment (its start plus ``offset``) is not after
    ``now``: a summary is due when this differs from the one last sent in."""
    return math.floor((now - offset) / period)


@dataclass(frozen=True)
class UrgentEvent:
    """An event that goes to the region at once; ``event_id`` is the outbox event's ULID, the id
    the region stores it under whether it came over LoRa, MQTT or both."""

    event_id: str
    what: UrgentWhat
    category: str
    households: int
    text: str

    @property
    def id_bytes(self) -> bytes:
        return ULID.from_str(self.event_id).bytes


def urgent_event(event_id: str, event_type: str, data: Mapping[str, Any]) -> UrgentEvent | None:
    """The urgent frame an outbox event asks for, or None. Drill records never go: the region
    channel carries the real crisis only."""
    if data.get("drill"):
        return None
    if event_type == SUPPLY_REQUESTED:
        households = max(1, int(data.get("households") or 1))
        category = str(data.get("category", "other"))
        note = _cut(str(data.get("note") or ""))
        return UrgentEvent(event_id, UrgentWhat.SUPPLY_REQUEST, category, households, note)
    if event_type == "alert.raised" and data.get("kind", "sos") == "sos":
        return UrgentEvent(event_id, UrgentWhat.SOS, "other", 1, _cut(str(data.get("text") or "")))
    if event_type != "need.created" or data.get("status", "open") != "open":
        return None
    category = str(data.get("category", "other"))
    urgency = data.get("urgency")
    text = _cut(str(data.get("description") or ""))  # absent when the hub shares aggregates only
    if urgency == "life":
        return UrgentEvent(event_id, UrgentWhat.LIFE_NEED, category, 1, text)
    if urgency == "urgent" and category in SUPPLY_CATEGORIES:
        return UrgentEvent(event_id, UrgentWhat.SUPPLIES, category, 1, text)
    return None


def _cut(text: str) -> str:
    return " ".join(text.split()).encode()[:URGENT_TEXT_BYTES].decode(errors="ignore")


@dataclass
class _Pending:
    event: UrgentEvent
    due: float
    attempts: int = 0


@dataclass
class UrgentTracker:
    """Urgent events waiting for the region's ACK frame."""

    retry_seconds: float
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _acked: set[str] = field(default_factory=set)

    def update(self, candidates: Iterable[UrgentEvent], now: float) -> None:
        """The events that need the region now: new ones are due at once; ones no longer among
        them (closed, or confirmed upstream) stop."""
        wanted = {event.event_id: event for event in candidates if event.event_id not in self._acked}
        for event_id in [e for e in self._pending if e not in wanted]:
            del self._pending[event_id]
        for event_id, event in wanted.items():
            if event_id not in self._pending:
                self._pending[event_id] = _Pending(event, now)

    def due(self, now: float) -> list[UrgentEvent]:
        """Events to send now (SOS first); each is next due a retry interval later."""
        ready = sorted(
            (p for p in self._pending.values() if p.due <= now),
            key=lambda p: (int(p.event.what), p.event.event_id),
        )
        for pending in ready:
            pending.due = now + self.retry_seconds
            pending.attempts += 1
        return [p.event for p in ready]

    def acknowledged(self, id_bytes: bytes) -> UrgentEvent | None:
        """The region's ACK for the event with these 16 id bytes; the event if it was waiting."""
        for event_id, pending in list(self._pending.items()):
            if pending.event.id_bytes == id_bytes:
                del self._pending[event_id]
                self._acked.add(event_id)
                return pending.event
        return None

    @property
    def waiting(self) -> list[str]:
        return sorted(self._pending)


@dataclass(frozen=True)
class Announcement:
    """A whole announcement from the region."""

    sender: bytes
    message_id: int
    text: str

    @property
    def external_id(self) -> str:
        return f"lora:{self.sender.hex()}:{self.message_id}"

    def _split(self) -> tuple[str, str]:
        """The region sends "title: body"; text without such a title is its own title's source."""
        head, sep, rest = self.text.partition(": ")
        if sep and head.strip() and rest.strip() and len(head) <= TITLE_CHARS:
            return head.strip(), rest.strip()
        if len(self.text) <= TITLE_CHARS:
            return self.text, self.text
        cut = self.text[: TITLE_CHARS - 1]
        return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…", self.text

    @property
    def title(self) -> str:
        """Its title: the part before the first ": " (the frames carry no title field), else the
        first words of the text."""
        return self._split()[0]

    @property
    def body(self) -> str:
        """What the portal shows under the title: the text after the title, else the whole text."""
        return self._split()[1]


@dataclass
class Assembler:
    """Parts of announcements, by sender and message id; each whole one is returned once."""

    _parts: dict[tuple[bytes, int], tuple[float, dict[int, AnnouncePart]]] = field(default_factory=dict)
    _done: set[tuple[bytes, int]] = field(default_factory=set)

    def add(self, sender: bytes, part: AnnouncePart, now: float) -> Announcement | None:
        key = (sender, part.message_id)
        for stale in [k for k, (at, _) in self._parts.items() if at < now - ANNOUNCEMENT_PARTS_KEPT_SECONDS]:
            del self._parts[stale]
        if key in self._done:
            return None
        first, parts = self._parts.get(key, (now, {}))
        if parts and next(iter(parts.values())).parts != part.parts:
            return None  # a part that contradicts the others: not this announcement's
        parts[part.part] = part
        self._parts[key] = (first, parts)
        if len(parts) < part.parts:
            return None
        del self._parts[key]
        self._done.add(key)
        text = " ".join(parts[i].text for i in range(1, part.parts + 1))
        return Announcement(sender, part.message_id, text)

    def shown(self, sender: bytes, message_id: int) -> bool:
        return (sender, message_id) in self._done

    def has(self, sender: bytes, part: AnnouncePart) -> bool:
        """This part was taken before (its announcement is whole, or it waits for the others)."""
        key = (sender, part.message_id)
        held = self._parts.get(key)
        return key in self._done or (held is not None and held[1].get(part.part) == part)

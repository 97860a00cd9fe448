"""``hub region station``: the region's end of the region channel, on its PostgreSQL.

One thread does everything, in this order each turn: read what the radio heard, answer urgent
frames with an ACK, send the announcement parts that are due. So every send goes through one
place (the meshtastic library's send path has no lock), and an ACK never waits behind an
announcement.

What a frame does (:mod:`hub.domain.region_radio` reads it, :mod:`hub.region.lora` stores it):

- not on the region channel: ignored; wrong key, garbage, an unknown sender tag or a replay:
  counted and logged, nothing changes;
- ``SUMMARY``: kept as the hub's latest LoRa summary;
- ``URGENT``: stored as its event by ULID, once, and acknowledged, also when it is a duplicate
  (a retry, or its MQTT copy came first), so the hub stops sending it. A replayed urgent frame
  is acknowledged only when its event is stored already; it stores nothing;
- ``ACK`` of an announcement part: that hub has the part;
- anything else (another station's announcement): ignored.
"""

from __future__ import annotations

import logging
import queue
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.exc import DBAPIError

from hub.config import read_region_key as _read_key
from hub.domain import region_radio as rr
from hub.domain.radio_events import ConnectionLost, DataReceived, RadioEvent
from hub.errors import ConfigError, LinkError
from hub.region.lora import DuePart, LoraStore

log = logging.getLogger(__name__)

REGION_CHANNEL = 1
STATION_ID = "region"


class FrameRadio(Protocol):
    """What the station needs of its radio (:class:`hub.mesh.adapter.MeshtasticRadio`): the
    packets it heard as typed events (frames are ``DataReceived``), and a way to send frames."""

    events: queue.Queue[RadioEvent]

    def connect(self) -> object: ...

    def close(self) -> None: ...

    def send_data(self, dest: int | None, payload: bytes, channel: int) -> int: ...


def announce_ref(lora_id: int) -> bytes:
    """An ``ACK``'s 16-byte ref for announcement ``lora_id``: the id, then zeros."""
    return struct.pack(">I", lora_id) + bytes(12)


@dataclass
class StationSettings:
    key: bytes
    hubs: Iterable[str] = ()  # known besides the hubs in the store
    station_id: str = STATION_ID
    channel: int = REGION_CHANNEL
    retry_seconds: float = 30.0  # an unacknowledged part goes again after this, doubling
    max_retry_seconds: float = 600.0
    gap_seconds: float = 2.0  # between two announcement frames of the station's own
    poll_seconds: float = 5.0  # how often the store is asked for parts to send
    hubs_refresh_seconds: float = 60.0


@dataclass
class Station:
    """The station's state; :meth:`handle` and :meth:`send_due` are its two jobs."""

    store: LoraStore
    radio: FrameRadio
    settings: StationSettings
    counts: Counter[str] = field(default_factory=Counter)
    clock: Callable[[], float] = time.time
    _guard: rr.ReplayGuard = field(default_factory=rr.ReplayGuard)
    _tags: dict[bytes, str] = field(default_factory=dict)
    _seq: int = 0
    _last_send: float = 0.0

    def __post_init__(self) -> None:
        self._seq = int(self.clock()) & 0xFFFF  # a restarted station counts on, not from zero
        self.refresh_hubs()

    def refresh_hubs(self) -> None:
        hubs = {*self.settings.hubs, *self.store.known_hubs()}
        self._tags = {rr.hub_tag(hub): hub for hub in hubs}

    # --- frames in ---

    def handle(self, heard: DataReceived) -> None:
        if heard.channel != self.settings.channel:
            self.counts["other_channel"] += 1
            return
        self.counts["heard"] += 1
        try:
            header, body = rr.decode(self.settings.key, heard.payload)
        except rr.FrameError as exc:
            self.counts["refused"] += 1
            log.warning("region channel: refused a frame from !%08x: %s", heard.from_num, exc)
            return
        hub = self._tags.get(header.sender)
        if hub is None:
            self.refresh_hubs()
            hub = self._tags.get(header.sender)
        if hub is None:
            self.counts["unknown_hub"] += 1
            log.warning("region channel: a signed frame from an unknown hub tag %s", header.sender.hex())
            return
        now = self.clock()
        fresh = self._guard.accept(header, int(now))
        if isinstance(body, rr.Urgent):
            self._urgent(hub, header, body, fresh, now)
        elif not fresh:
            self.counts["replayed"] += 1
            log.warning(
                "region channel: %s's %s frame (seq %d) is a replay", hub, header.kind.name, header.seq
            )
        elif isinstance(body, rr.Summary):
            kept = self.store.keep_summary(hub, body, _moment(header.sent), _moment(now))
            self.counts["summaries" if kept else "summaries_older"] += 1
            log.info("region channel: summary of %s (%s)", hub, "kept" if kept else "older than the one kept")
        elif isinstance(body, rr.Ack) and body.kind is rr.Kind.ANNOUNCE:
            lora_id = struct.unpack(">I", body.ref[:4])[0]
            if self.store.mark_acked(hub, lora_id, body.part, _moment(now)):
                self.counts["announce_acked"] += 1
                log.info("region channel: %s has part %d of announcement %d", hub, body.part, lora_id)
            else:
                self.counts["acks_unknown"] += 1
        else:
            self.counts["ignored"] += 1

    def _urgent(self, hub: str, header: rr.Header, body: rr.Urgent, fresh: bool, now: float) -> None:
        if fresh:
            stored = self.store.keep_urgent(hub, body, _moment(header.sent), _moment(now))
            self.counts["urgent" if stored else "urgent_duplicates"] += 1
            log.warning(
                "region channel: %s from %s: %s%s",
                body.what.name,
                hub,
                body.text,
                "" if stored else " (already stored)",
            )
        else:
            self.counts["replayed"] += 1
            if not self.store.has_event(body.event_id):
                log.warning("region channel: a replayed urgent frame of %s, not stored: no ACK", hub)
                return
            self.counts["urgent_duplicates"] += 1
        self._send(rr.Ack(rr.Kind.URGENT, body.event_id))
        self.counts["acks_sent"] += 1

    # --- frames out ---

    def _send(self, body: rr.Body) -> None:
        self._seq = (self._seq + 1) & 0xFFFF
        kind = rr.Kind.ACK if isinstance(body, rr.Ack) else rr.Kind.ANNOUNCE
        header = rr.Header(kind, rr.hub_tag(self.settings.station_id), self._seq, int(self.clock()))
        self.radio.send_data(None, rr.encode(self.settings.key, header, body), self.settings.channel)
        self._last_send = time.monotonic()

    def send_due(self) -> int:
        """Send the announcement parts that are due, one frame per part (to all hubs at once when
        the message is for everyone); returns how many went out."""
        sent = 0
        due = self.store.due(
            _moment(self.clock()), self.settings.retry_seconds, self.settings.max_retry_seconds
        )
        for item in due:
            wait = self._last_send + self.settings.gap_seconds - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._send_part(item)
            sent += 1
        return sent

    def _send_part(self, item: DuePart) -> None:
        targets = [rr.ALL_HUBS] if item.everyone else [rr.hub_tag(hub) for hub in item.hubs]
        for target in targets:
            part = rr.AnnouncePart(target, item.lora_id, item.part, item.parts, item.text)
            self._send(part)
        self.store.mark_sent(item, _moment(self.clock()))
        self.counts["announce_parts_sent"] += len(targets)

    # --- the loop ---

    def run(self, stop: threading.Event, *, reconnect: Callable[[], None] | None = None) -> None:
        """Until ``stop``: frames in, due parts out. ``reconnect`` is called when the radio is
        lost (the CLI's reconnects with backoff); without it a lost radio ends the loop."""
        next_poll = 0.0
        next_hubs = time.monotonic() + self.settings.hubs_refresh_seconds
        while not stop.is_set():
            try:
                try:
                    event = self.radio.events.get(timeout=0.1)
                except queue.Empty:
                    pass
                else:
                    if isinstance(event, ConnectionLost):
                        raise LinkError(f"radio connection lost {event.reason}".strip())
                    if isinstance(event, DataReceived):
                        self.handle(event)
                    continue  # drain what was heard first: ACKs before announcements
                moment = time.monotonic()
                if moment >= next_hubs:
                    self.refresh_hubs()
                    next_hubs = moment + self.settings.hubs_refresh_seconds
                if moment >= next_poll:
                    self.send_due()
                    next_poll = time.monotonic() + self.settings.poll_seconds
            except LinkError as exc:
                if reconnect is None:
                    raise
                log.warning("region station: %s; reconnecting", exc)
                reconnect()
            except DBAPIError as exc:
                # Nothing was stored and no ACK went out: the hub sends its urgent frame again.
                self.counts["database_errors"] += 1
                log.error("region station: the region's database does not answer: %s", exc.orig)
                stop.wait(1.0)


def read_region_key(path: Path) -> bytes:
    """The region key from the same file the hubs read (``HUB_REGION_KEY_FILE``: base64, as
    ``openssl rand -base64 32`` writes it); a clear ConfigError when it is unusable."""
    try:
        return _read_key(path)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


class _Connectable(Protocol):
    def connect(self) -> object: ...

    def close(self) -> None: ...


def reconnect(radio: _Connectable, stop: threading.Event, first: float = 1.0, longest: float = 60.0) -> None:
    """Close and connect the radio again, waiting 1, 2, 4 … 60 s between tries, until it
    answers or ``stop`` is set (the library reconnects once at most, see MESHTASTIC.md)."""
    wait = first
    while not stop.is_set():
        radio.close()
        try:
            radio.connect()
        except LinkError as exc:
            log.warning("region station: radio not back (%s); next try in %.0f s", exc, wait)
            stop.wait(wait)
            wait = min(wait * 2, longest)
        else:
            log.info("region station: radio back")
            return


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)

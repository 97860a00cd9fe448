"""``RegionRadio``: the hub's side of the region channel, run by ``MeshLink``.

When the internet is down for days the hub talks to the regional station over a LoRa channel of
its own (channel index 1, provisioned by ``hub radio provision``), in signed binary frames
(``hub.domain.region_radio``) sent as ``PRIVATE_APP`` packets. The link's supervisor thread calls
:meth:`RegionRadio.tick` about once a second and hands it every binary packet
(:meth:`RegionRadio.on_data`); frames go out through the link's one sender (``MeshSender``), so
they share the airtime budget and the priorities with the neighbourhood's traffic.

- While the MQTT link is down (``mqtt_up`` says so), urgent events go at once and again every
  ``retry_seconds`` until the region's ACK frame arrives (``hub.domain.region_link``).
- Once it has been down ``after_seconds``, a summary goes once per period at the hub's offset.
- Announcement parts for this hub or all hubs are checked (tag, replay guard), each ACKed, and
  a whole announcement goes on the portal once.

Nothing is sent while the radio reports no channel at the region index (it was not provisioned
with the region channel): the link logs it and its status shows ``radio_channel: None``.

Anything that does not check out (garbage, a wrong tag, a replay, a frame for another hub) is
counted and dropped: it changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.config import region_key
from hub.domain.airtime import Priority
from hub.domain.radio_events import DataReceived
from hub.domain.region_link import Assembler, LinkWatch, UrgentEvent, UrgentTracker, summary_period_number
from hub.domain.region_radio import (
    ALL_HUBS,
    Ack,
    AnnouncePart,
    FrameError,
    Header,
    Kind,
    ReplayGuard,
    Urgent,
    UrgentWhat,
    decode,
    encode,
    hub_tag,
    summary_offset,
)
from hub.errors import HubError
from hub.logs import one_line
from hub.mesh.channel import REGION_CHANNEL_INDEX
from hub.mesh.sender import MeshSender, RegionFrame
from hub.power import SYSFS, read_power
from hub.services import region_link
from hub.services.store import Store

if TYPE_CHECKING:
    from hub.config import Settings

log = logging.getLogger(__name__)

URGENT_PRIORITY = {
    UrgentWhat.SOS: Priority.SOS,
    UrgentWhat.LIFE_NEED: Priority.LIFE,
    UrgentWhat.SUPPLIES: Priority.TASK,
    UrgentWhat.SUPPLY_REQUEST: Priority.TASK,
}
ACK_PRIORITY = Priority.TASK  # an unanswered part costs the station a retry: answer soon


@dataclass(frozen=True)
class RegionConfig:
    """The hub's region link settings (``HUB_REGION_*``)."""

    key: bytes
    hub_id: str
    after_seconds: float = 1800.0
    period_seconds: float = 900.0
    slot_seconds: int = 30
    slot: int | None = None
    retry_seconds: float = 60.0
    channel: int = REGION_CHANNEL_INDEX
    power_supply_dir: Path = SYSFS

    @classmethod
    def from_settings(cls, settings: Settings) -> RegionConfig | None:
        """None when no region key is set: the region channel is off."""
        key = region_key(settings)
        if key is None:
            return None
        return cls(
            key=key,
            hub_id=settings.id,
            after_seconds=settings.region_after_minutes * 60,
            period_seconds=settings.region_summary_minutes * 60,
            slot_seconds=settings.region_slot_seconds,
            slot=settings.region_slot,
            retry_seconds=settings.region_retry_seconds,
            power_supply_dir=settings.power_supply_dir,
        )

    @property
    def offset(self) -> int:
        return summary_offset(self.hub_id, int(self.period_seconds), self.slot_seconds, self.slot)


@dataclass
class RegionStats:
    summaries: int = 0
    urgent_sent: int = 0
    urgent_acked: int = 0
    announcements: int = 0
    parts_acked: int = 0
    refused: int = 0  # frames that did not check out: garbage, forged, replayed


class RegionRadio:
    """See the module docstring. ``tick`` and ``on_data`` run on the link's supervisor thread."""

    def __init__(
        self,
        store: Store,
        sender: MeshSender,
        config: RegionConfig,
        *,
        mqtt_up: Callable[[], bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._sender = sender
        self.config = config
        self._mqtt_up = mqtt_up
        self._clock = clock
        self._tag = hub_tag(config.hub_id)
        self._lock = threading.Lock()  # the frame counter, and the urgent events (status reads them)
        # Counted on from the clock: a hub that restarts within a minute is still "ahead" of the
        # frames the station saw before (a LoRa hub sends far less than a frame a second).
        self._seq = int(clock()) & 0xFFFF
        self._watch = LinkWatch()
        self._urgent = UrgentTracker(retry_seconds=config.retry_seconds)
        self._guard = ReplayGuard()
        self._assembler = Assembler()
        self._last_period: int | None = None
        self._last_summary_at: float | None = None
        self._radio_channel: str | None = None
        self._radio_known = False  # the radio has not reported its channels yet
        self.stats = RegionStats()

    def radio_channel(self, name: str | None) -> None:
        """What the radio holds at the region channel's index, as it reported on connecting."""
        self._radio_channel = name
        self._radio_known = True
        if name is None:
            log.warning(
                "region: the radio has no channel at index %d; frames would not reach the region "
                "(hub radio provision --region-channel-url-file sets it)",
                self.config.channel,
            )

    # -- sending -------------------------------------------------------------------------------
    def tick(self) -> None:
        """Queue whatever is due: urgent frames while MQTT is down, the summary in its slot."""
        now = self._clock()
        up = self._mqtt_up()
        self._watch.observe(up, now)
        if self._radio_known and self._radio_channel is None:
            return  # nothing on an index the radio does not have (it might go out on another)
        if up:
            with self._lock:
                self._urgent.update((), now)  # MQTT carries them again
            self._last_period = None
            return
        try:
            candidates = region_link.read_urgent_events(self._store)
        except HubError as exc:
            log.error("region: could not read urgent events: %s", one_line(str(exc)))
            candidates = None
        with self._lock:
            if candidates is not None:
                self._urgent.update(candidates, now)
            due = self._urgent.due(now)
        for event in due:
            self._queue_urgent(event, now)
        if self._watch.down_for(now) >= self.config.after_seconds:
            self._summary_if_due(now)

    def _summary_if_due(self, now: float) -> None:
        period = summary_period_number(now, self.config.period_seconds, self.config.offset)
        if self._last_period is None:
            self._last_period = period  # the first goes in the hub's next slot, not at once
            return
        if period == self._last_period:
            return
        self._last_period = period
        try:
            body = region_link.read_summary(self._store, read_power(self.config.power_supply_dir))
        except HubError as exc:
            log.error("region: could not read the figures: %s", one_line(str(exc)))
            return
        frame = self._frame(Kind.SUMMARY, body, now)
        self._sender.queue_frame(RegionFrame("summary", Priority.SUMMARY, frame, self.config.channel))
        self._last_summary_at = now
        self.stats.summaries += 1

    def _queue_urgent(self, event: UrgentEvent, now: float) -> None:
        body = Urgent(event.id_bytes, event.what, event.category, event.households, event.text)
        frame = self._frame(Kind.URGENT, body, now)
        priority = URGENT_PRIORITY[event.what]
        self._sender.queue_frame(
            RegionFrame(f"urgent:{event.event_id}", priority, frame, self.config.channel)
        )
        self.stats.urgent_sent += 1
        log.info("region: %s %s queued for the region", event.what.name.lower(), event.event_id)

    def _frame(self, kind: Kind, body: Any, now: float) -> bytes:
        with self._lock:
            self._seq = (self._seq + 1) & 0xFFFF
            seq = self._seq
        return encode(self.config.key, Header(kind, self._tag, seq, int(now)), body)

    # -- receiving -------------------------------------------------------------------------------
    def on_data(self, event: DataReceived) -> None:
        """A binary packet from the radio: a region frame, or nothing the hub acts on."""
        if event.channel != self.config.channel:
            return
        now = self._clock()
        try:
            header, body = decode(self.config.key, event.payload)
        except FrameError as exc:
            self._refuse(str(exc))
            return
        if header.sender == self._tag:
            return  # our own frame, relayed back
        if isinstance(body, Ack):
            self._on_ack(header, body, now)
        elif isinstance(body, AnnouncePart):
            self._on_part(header, body, now)
        # summaries and urgent frames of other hubs are the station's business

    def _on_ack(self, header: Header, ack: Ack, now: float) -> None:
        if ack.kind is not Kind.URGENT:
            return
        if not self._guard.accept(header, int(now)):
            self._refuse("replayed or stale ack")
            return
        with self._lock:
            event = self._urgent.acknowledged(ack.ref)
        if event is not None:
            self.stats.urgent_acked += 1
            log.info("region: the region acknowledged %s %s", event.what.name.lower(), event.event_id)

    def _on_part(self, header: Header, part: AnnouncePart, now: float) -> None:
        if part.target not in (ALL_HUBS, self._tag):
            return
        if not self._guard.accept(header, int(now)):
            # a repeat of a part already taken: ACK it again (our ACK may have been lost), nothing more
            if self._assembler.has(header.sender, part):
                self._ack_part(part, now)
            else:
                self._refuse("replayed or stale announcement part")
            return
        announcement = self._assembler.add(header.sender, part, now)
        if announcement is not None:
            try:
                if region_link.announcement_arrived(self._store, announcement):
                    self.stats.announcements += 1
                    log.info("region: announcement %s on the portal", announcement.external_id)
            except HubError as exc:
                log.error("region: could not store an announcement: %s", one_line(str(exc)))
                return  # no ACK: the station sends the part again
        self._ack_part(part, now)

    def _ack_part(self, part: AnnouncePart, now: float) -> None:
        ref = part.message_id.to_bytes(4, "big") + bytes(12)
        frame = self._frame(Kind.ACK, Ack(Kind.ANNOUNCE, ref, part.part), now)
        key = f"ack:{part.message_id}:{part.part}"
        self._sender.queue_frame(RegionFrame(key, ACK_PRIORITY, frame, self.config.channel))
        self.stats.parts_acked += 1

    def _refuse(self, reason: str) -> None:
        self.stats.refused += 1
        log.warning("region: frame refused: %s", reason)

    # -- status ------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        now = self._clock()
        stats = self.stats
        with self._lock:
            waiting = len(self._urgent.waiting)
        return {
            "mqtt_down_s": round(self._watch.down_for(now), 1),
            "summaries_on": self._watch.down_since is not None
            and self._watch.down_for(now) >= self.config.after_seconds,
            "offset_s": self.config.offset,
            "radio_channel": self._radio_channel,
            "last_summary_at": (
                datetime.fromtimestamp(self._last_summary_at, UTC).isoformat()
                if self._last_summary_at is not None
                else None
            ),
            "urgent_waiting": waiting,
            "summaries": stats.summaries,
            "urgent_sent": stats.urgent_sent,
            "urgent_acked": stats.urgent_acked,
            "announcements": stats.announcements,
            "parts_acked": stats.parts_acked,
            "refused": stats.refused,
        }

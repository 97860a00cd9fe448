"""The sync link: the outbox to ``R/hubs/<id>/events``, and what upstream sends back.

Outbound, on the worker thread of :class:`~hub.sync.worker.BrokerWorker`:

- reads unconfirmed outbox rows in ``seq`` order, a batch at a time, and keeps up to
  ``window`` QoS 1 publishes in flight (never the whole backlog in memory);
- marks a row *sent* only when the broker's PUBACK for its message id arrives, and *confirmed*
  on the upstream consumer's receipt ``{"upto": n}``: both marks collected and written together
  through the writer, one commit at most every 0.25 s (or 256 PUBACKs) while events drain;
- hands each event to the broker once per connection: after a (re)connect it starts at the
  lowest *unsent* ``seq``, on a replay request ``{"from": n}`` it goes back to ``n``, confirmed
  rows included, and when confirmations stall it sends one probe, with backoff
  (:mod:`hub.sync.resend`); consumers dedupe by id.

Inbound: receipts, replays, the local broker's bridge notification, the hub's inbox, official
announcements (JSON or CAP 1.2) and federation peers' events. Each message is validated, applied
once by id, and acknowledged to the broker only after its commit; a malformed one becomes a
dead letter. Nothing inbound can stop the link.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from hub.errors import HubError, ValidationError
from hub.runtime import Hub
from hub.services import received
from hub.services.store import Store
from hub.sync.apply import InboundApplier
from hub.sync.client import BrokerClient, PahoClient, Received, Sink, Will, parse_broker_url
from hub.sync.envelope import (
    Receipt,
    Replay,
    encode_event_json,
    parse_json,
)
from hub.sync.federation import PeerFollower
from hub.sync.resend import ResendPolicy
from hub.sync.topics import Topics
from hub.sync.worker import Backoff, BrokerWorker

log = logging.getLogger(__name__)

ONLINE = b"online"
OFFLINE = b"offline"


class SyncLink(BrokerWorker):
    """A hub :class:`~hub.runtime.Link` named ``sync``."""

    name = "sync"

    def __init__(
        self,
        store: Store,
        client_factory: Callable[[Sink], BrokerClient],
        *,
        topics: Topics,
        broker: str,
        peers: list[str] | None = None,
        languages: list[str] | None = None,
        window: int = 256,
        batch: int = 256,
        connect_timeout: float = 10.0,
        max_backoff: float = 60.0,
        resend_after: float = 30.0,
        resend_max: float = 1800.0,
    ) -> None:
        super().__init__(client_factory, connect_timeout=connect_timeout, backoff=Backoff(1.0, max_backoff))
        self.store = store
        self.outbox = store.outbox
        self.ctx = ctx = store.ctx
        self.topics = topics
        self.broker = broker
        self.peers = list(peers or [])
        self.languages = list(languages or ["nl", "en"])
        self.window = window
        self.batch = batch
        self.resend = ResendPolicy(resend_after, resend_max)
        self.follower = PeerFollower([p for p in self.peers if p != ctx.hub_id], resend_after, resend_max)
        self.applier = InboundApplier(store, self.follower, self.languages)
        self.in_flight: dict[int, int] = {}
        self.cursor = 1
        self.replay_until = 0
        self.more = True
        self.last_confirmed = 0
        self.published = 0
        self.dead_letters = 0
        self._sent: list[int] = []
        self._confirmed: int | None = None  # a receipt's ``upto`` not written yet
        self._marks_since = 0.0
        ctx.sync_wakers.append(self.wake)

    @classmethod
    def for_hub(cls, hub: Hub, *, keepalive: int = 30, **options: Any) -> SyncLink:
        """The link for ``hub``'s settings (``HUB_MQTT_URL``, ``HUB_ID``, peers, topic root)."""
        settings = hub.settings
        ca_file = str(settings.mqtt_ca_file) if settings.mqtt_ca_file else None
        address = parse_broker_url(settings.mqtt_url, ca_file)
        topics = Topics(settings.mqtt_topic_root)
        will = Will(topics.hub(settings.id, "status"), OFFLINE)

        def factory(sink: Sink) -> BrokerClient:
            return PahoClient(address, f"hub-{settings.id}", sink, keepalive=keepalive, will=will)

        languages = [settings.default_lang, *(lang for lang in ("nl", "en") if lang != settings.default_lang)]
        options.setdefault("resend_after", settings.sync_resend_after)
        options.setdefault("resend_max", settings.sync_resend_max)
        return cls(
            hub.store,
            factory,
            topics=topics,
            broker=address.display,
            peers=settings.federation_peers,
            languages=languages,
            **options,
        )

    def start(self) -> None:
        self.last_confirmed = self.outbox.last_confirmed()
        self.follower.load(received.peer_marks(self.store))
        super().start()

    # --- what the hub shows ---

    def status(self) -> dict[str, Any]:
        try:
            backlog = self.outbox.backlog()
        except HubError:
            backlog = {"unsent": -1, "unconfirmed": -1}
        return {
            "state": self.state,
            "connected": self.state == "connected",
            "broker": self.broker,
            "unsent": backlog["unsent"],
            "unconfirmed": backlog["unconfirmed"],
            "last_contact": self.last_contact.isoformat() if self.last_contact else None,
            "last_confirmed_seq": self.last_confirmed,
            "in_flight": len(self.in_flight),
            "upstream_link": {None: "unknown", True: "up", False: "down"}[self.resend.upstream_up],
            "probes": self.resend.probes,
            "peers": self.follower.status(),
            "dead_letters": self.dead_letters,
            "last_error": self.last_error,
        }

    # --- connection ---

    def subscriptions(self) -> list[str]:
        channels = ("inbox", "receipts", "replay", "bridge", "announcements")
        own = [self.topics.hub(self.ctx.hub_id, c) for c in channels]
        peers = [self.topics.hub(peer, "events") for peer in self.peers if peer != self.ctx.hub_id]
        return [*own, self.topics.announcements, *peers]

    def on_connected(self, client: BrokerClient, session_present: bool) -> None:
        client.publish(self.topics.hub(self.ctx.hub_id, "status"), ONLINE, qos=1, retain=True)
        client.subscribe(self.subscriptions())
        self.in_flight.clear()
        self.cursor = self.outbox.lowest_unsent()
        self.replay_until = 0
        self.more = True
        self.resend.activity()
        self._ask_replays(client, self.follower.catch_up_all())

    def on_lost(self) -> None:
        self._flush_marks(force=True)
        self.in_flight.clear()

    def on_stopping(self, client: BrokerClient) -> None:
        self._flush_marks(force=True)
        client.publish(self.topics.hub(self.ctx.hub_id, "status"), OFFLINE, qos=1, retain=True)

    def on_wake(self) -> None:
        self.more = True

    # --- outbound ---

    def on_idle(self, client: BrokerClient) -> bool:
        self._flush_marks()
        self._probe_if_stalled(client)
        self._ask_replays(client, self.follower.due())
        room = self.window - len(self.in_flight)
        if not self.more or room < min(32, self.window):
            return False
        rows = self.outbox.pending(self.cursor, min(room, self.batch), replay_until=self.replay_until)
        events_topic = self.topics.hub(self.ctx.hub_id, "events")
        for row in rows:
            payload = encode_event_json(self.ctx.hub_id, row.seq, row.id, row.type, row.at, row.data_json)
            mid = client.publish(events_topic, payload, qos=1)
            self.in_flight[mid] = row.seq
            self.cursor = row.seq + 1
            self.published += 1
        if rows:
            self.resend.activity()
        if len(rows) < min(room, self.batch):
            self.more = False
        return self.more and len(self.in_flight) < self.window

    def _ask_replays(self, client: BrokerClient, asks: list[tuple[str, int]]) -> None:
        """Ask federation peers to send their events again from a seq (they answer on events)."""
        for peer, start in asks:
            log.info("sync: asking %s for its events from seq %d", peer, start)
            client.publish(self.topics.hub(peer, "replay"), json.dumps({"from": start}).encode(), qos=1)

    def _probe_if_stalled(self, client: BrokerClient) -> None:
        """Confirmations stalled with the path upstream up: send the newest unconfirmed event once.

        A consumer that has it all answers with a receipt; one that misses events (a broker lost
        them, it subscribed late) sees a gap and asks for a replay. Backoff: ``ResendPolicy``.
        """
        if self.more or self.in_flight:
            self.resend.activity()
            return
        if not self.resend.probe_due():
            return
        row = self.outbox.newest_unconfirmed_before(self.cursor)
        if row is None:
            self.resend.activity()
            return
        log.info("sync: no receipt beyond seq %d; probing with seq %d", self.last_confirmed, row.seq)
        payload = encode_event_json(self.ctx.hub_id, row.seq, row.id, row.type, row.at, row.data_json)
        self.in_flight[client.publish(self.topics.hub(self.ctx.hub_id, "events"), payload, qos=1)] = row.seq
        self.published += 1
        self.resend.probed()

    def on_published(self, mid: int, ok: bool) -> None:
        seq = self.in_flight.pop(mid, None)
        if seq is None:
            return
        if ok:
            if not self._sent and self._confirmed is None:
                self._marks_since = time.monotonic()
            self._sent.append(seq)
        else:  # the broker refused it: go back and send it again
            log.warning("sync: broker refused event %d; resending", seq)
            self.cursor = min(self.cursor, seq)
            self.more = True

    def _flush_marks(self, *, force: bool = False) -> None:
        if not self._sent and self._confirmed is None:
            return
        if not force and len(self._sent) < 256 and time.monotonic() - self._marks_since < 0.25:
            return
        seqs, self._sent = self._sent, []
        upto, self._confirmed = self._confirmed, None
        # Not awaited: a lost sent mark only means one more resend, a lost confirmation one more
        # receipt (confirmed implies sent, whichever PUBACK a restart lost).
        self.outbox.mark(seqs, upto)

    # --- inbound ---

    def on_received(self, client: BrokerClient, message: Received) -> None:
        try:
            self._dispatch(message)
        except ValidationError as exc:
            self._park(message, str(exc))
        except HubError:
            log.exception("sync: could not apply a message on %s; it stays unacknowledged", message.topic)
            return
        client.ack(message.mid, message.qos)

    def _dispatch(self, message: Received) -> None:
        route = self.topics.route(message.topic)
        if route is None:
            raise ValidationError("not a topic of ours")
        if route.channel == "receipts" and route.hub_id == self.ctx.hub_id:
            self._confirm(parse_json(message.payload, Receipt).upto)
        elif route.channel == "replay" and route.hub_id == self.ctx.hub_id:
            self._replay(parse_json(message.payload, Replay).start)
        elif route.channel == "bridge" and route.hub_id == self.ctx.hub_id:
            self._bridge(message.payload)
        elif route.channel == "inbox" and route.hub_id == self.ctx.hub_id:
            self.applier.inbox(message)
        elif route.channel == "announcements" and route.hub_id in (None, self.ctx.hub_id):
            self.applier.announcement(message)  # to every hub, or to this one
        elif route.channel == "events" and route.hub_id in self.peers:
            if self.applier.peer_event(route.hub_id, message) == "rejected":
                self.dead_letters += 1
        else:
            raise ValidationError("no handler for this topic")

    def _confirm(self, upto: int) -> None:
        if upto <= self.last_confirmed:
            return
        self.last_confirmed = upto
        self.resend.progress()
        if not self._sent and self._confirmed is None:
            self._marks_since = time.monotonic()
        self._confirmed = upto  # written with the sent marks (``_flush_marks``)

    def _replay(self, start: int) -> None:
        if not self.resend.replay_wanted(start):
            log.info("sync: replay from seq %d already under way; not sending it twice", start)
            return
        log.info("sync: replay requested from seq %d", start)
        self.replay_until = max(self.replay_until, self.cursor)
        self.cursor = min(self.cursor, start)
        self.more = True

    def _bridge(self, payload: bytes) -> None:
        """The local broker's notification of its bridge upstream: ``1`` up, ``0`` down."""
        state = payload.strip()
        if state not in (b"0", b"1"):
            raise ValidationError("a bridge notification is 0 or 1")
        up = state == b"1"
        was = self.resend.upstream_up
        if up != was:
            log.info("sync: the broker's link upstream is %s", "up" if up else "down")
        self.resend.bridge(up)
        if up and was is False and self.client is not None:  # back: ask peers what we missed
            self._ask_replays(self.client, self.follower.catch_up_all())

    def _park(self, message: Received, reason: str) -> None:
        log.warning("sync: dead letter from %s: %s", message.topic, reason)
        self.dead_letters += 1
        received.dead_letter(self.store, topic=message.topic, reason=reason, payload=message.payload)

"""``hub upstream``: the region's consumer, beside its brokers, storing into its database.

It subscribes (persistent MQTT 5 session) to ``R/hubs/<id>/events`` of the listed hubs (or
``+`` for all) — with ``share``, as an MQTT 5 shared subscription ``$share/<group>/…``, so
several consumers split the stream between them, each without a session (see
:data:`SHARED_SESSION_EXPIRY`) — and stores every event once by id in the
region's store (:mod:`hub.region.store`: PostgreSQL, or SQLite for a single consumer). The
store keeps per hub the highest *contiguous* ``seq`` committed, whichever consumer committed
what; only that is confirmed to the hub with ``{"upto": n}``, and a message is acknowledged
to the broker after its commit. A gap whose mark has not moved for ``gap_wait`` seconds (asked
of the database again: another consumer may have filled it) gets a replay request
``{"from": n}`` (at most one per ``replay_interval`` per hub). It also publishes what the
region keeps for the hubs (``region_outbox``) until its broker acknowledged it. Every
``overview_every`` seconds it prints a region overview.

One consumer talks to one broker; ``hub upstream`` runs one per ``--mqtt`` on one store.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from hub.errors import StorageUnavailable, ValidationError
from hub.region.store import HubMark, RegionStore, events_table
from hub.sync.client import SESSION_EXPIRY, BrokerClient, PahoClient, Received, Sink, parse_broker_url
from hub.sync.envelope import Envelope, parse_json
from hub.sync.topics import Topics
from hub.sync.worker import Backoff, BrokerWorker

log = logging.getLogger(__name__)

SHARED_SESSION_EXPIRY = 0
"""A consumer in a share group keeps no session on the broker: clean start, expiry 0.

Mosquitto (2.0.11 here; eclipse/mosquitto #1747, #2662) keeps handing a shared subscription's
messages round-robin to a member that is gone while its session lives: with two consumers and
one SIGKILLed, every second event, and every second event of every replay the survivor asks
for, goes into the dead session's queue until it expires (`tests/sync/test_region_share.py`).
Durability lives at the ends — the hub keeps each event until a receipt, and receipts come from
what is contiguous in the store — so the session is not needed: a message in flight to a
consumer that dies comes back through the hub's replay."""

__all__ = ["SHARED_SESSION_EXPIRY", "HubProgress", "UpstreamConsumer", "events_table", "run"]


@dataclass
class HubProgress:
    """What this consumer knows of one hub (the store is the truth)."""

    contiguous: int = 0
    count: int = 0  # events stored (by any consumer), as far as this one knows
    gap_since: float | None = None
    last_replay: float = -1e9
    last_receipt: float = -1e9
    receipt_due: bool = False
    replays: int = 0

    def update(self, mark: HubMark) -> None:
        """Take the store's mark. A gap counts from when the mark last moved: while consumers
        that share a hub's stream fill it (each holds part of it, and on a busy machine one may
        be seconds behind the other) the mark moves and nobody asks for a replay; when it stops
        moving with events above it, they are missing. Replays asked too early send hundreds of
        events again and slow every consumer down, which made more gaps look missing."""
        moved = mark.confirmed > self.contiguous
        if moved:
            self.contiguous = mark.confirmed
        if not mark.gap:
            self.gap_since = None
        elif moved or self.gap_since is None:
            self.gap_since = time.monotonic()


@contextmanager
def database_down_is_clear(url: object) -> Iterator[None]:
    """A lost or refused connection to the region's database as :class:`StorageUnavailable`,
    said in one line (the worker then lets go of the broker without a traceback)."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        first = (
            str(exc.orig or exc).strip().splitlines()[0]
            if str(exc.orig or exc).strip()
            else type(exc).__name__
        )
        raise StorageUnavailable(f"the region's database ({url}) does not answer: {first}") from exc


@dataclass(frozen=True)
class _Pending:
    envelope: Envelope
    mid: int
    qos: int


class UpstreamConsumer(BrokerWorker):
    name = "upstream"

    def __init__(
        self,
        mqtt_url: str,
        *,
        db_url: str = "sqlite:///upstream.sqlite3",
        store: RegionStore | None = None,
        hubs: Sequence[str] = (),
        topic_root: str = "buurtbaken/v1",
        client_id: str = "buurtbaken-upstream",
        share: str | None = None,
        overview_every: float = 60.0,
        out: Callable[[str], None] | None = None,
        gap_wait: float = 1.0,
        replay_interval: float = 5.0,
        receipt_interval: float = 0.2,
        outbox_interval: float = 1.0,
        republish_wait: float = 1.0,
        republish_every: float = 300.0,
        republish_window: float = 24 * 3600.0,
        keepalive: int = 30,
        max_backoff: float = 60.0,
        receive_maximum: int = 200,
        session_expiry: int = SESSION_EXPIRY,
        batch_size: int = 100,
        batch_wait: float = 0.01,
        client_factory: Callable[[Sink], BrokerClient] | None = None,
        ca_file: str | None = None,
    ) -> None:
        address = parse_broker_url(mqtt_url, ca_file)

        def factory(sink: Sink) -> BrokerClient:
            return PahoClient(
                address,
                client_id,
                sink,
                keepalive=keepalive,
                receive_maximum=receive_maximum,
                session_expiry=session_expiry,
            )

        super().__init__(client_factory or factory, backoff=Backoff(1.0, max_backoff))
        self.broker = address.display
        self.db_url = store.url if store is not None else db_url
        self.store = store
        self._own_store = store is None
        self.hubs = list(hubs)
        self.topics = Topics(topic_root)
        self.share = share
        self.overview_every = overview_every
        self.out = out or print
        self.gap_wait = gap_wait
        self.replay_interval = replay_interval
        self.receipt_interval = receipt_interval
        self.outbox_interval = outbox_interval
        self.republish_wait = republish_wait
        self.republish_every = republish_every
        self.republish_window = republish_window
        self.republished = 0
        self._seen: set[str] = set()
        self._republish_at: float | None = None
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.progress: dict[str, HubProgress] = {}
        self.rejected = 0
        self.duplicates = 0
        self.stored = 0
        self._pending: list[_Pending] = []
        self._pending_since = 0.0
        self._last_overview = time.monotonic()
        self._last_outbox = -1e9
        self._last_republish = time.monotonic()
        self._out_in_flight: dict[int, str] = {}
        self._out_acked: list[str] = []
        self.database_down = False

    # --- lifecycle ---

    @property
    def engine(self) -> Engine | None:
        return self.store.engine if self.store is not None else None

    def start(self) -> None:
        if self.store is None:
            self.store = RegionStore(self.db_url)
            self.store.create()
        self._load()
        super().start()

    def stop(self) -> None:
        super().stop()
        if self.store is not None and self._own_store:
            self.store.dispose()

    def _load(self) -> None:
        assert self.store is not None
        self.progress = {
            hub: HubProgress(contiguous=info["contiguous"], count=info["events"])
            for hub, info in self.store.hub_counts().items()
        }
        for hub, mark in self.store.advance(self.progress).items():  # gaps left by the last run
            self.progress[hub].update(mark)

    def _hub(self, hub_id: str) -> HubProgress:
        return self.progress.setdefault(hub_id, HubProgress())

    # --- broker ---

    def subscriptions(self) -> list[str]:
        topics = [self.topics.hub(hub_id, "events") for hub_id in self.hubs or ["+"]]
        return [f"$share/{self.share}/{topic}" for topic in topics] if self.share else topics

    def on_connected(self, client: BrokerClient, session_present: bool) -> None:
        with self._database():
            self._connected(client)

    @contextmanager
    def _database(self) -> Iterator[None]:
        """Work on the store; when it does not answer, say so once, and let go of the broker:
        nothing not stored was acknowledged, so the broker hands it over again later."""
        assert self.store is not None
        try:
            with database_down_is_clear(self.store.engine.url.render_as_string(hide_password=True)):
                yield
        except StorageUnavailable as exc:
            if not self.database_down:
                log.error(
                    "upstream: %s; letting go of the broker until it answers (nothing unstored is lost)", exc
                )
            self.database_down = True
            raise
        if self.database_down:
            self.database_down = False
            log.warning("upstream: the region's database answers again; carrying on")

    def _connected(self, client: BrokerClient) -> None:
        assert self.store is not None
        marks = self.store.marks()  # before subscribing: with the store down, take no messages
        client.subscribe(self.subscriptions())
        for hub_id, mark in marks.items():  # re-confirm after an outage
            progress = self._hub(hub_id)
            progress.contiguous = max(progress.contiguous, mark)
            progress.receipt_due = progress.contiguous > 0
        self._last_outbox = -1e9
        self._seen.clear()  # a hub's first event in this connection tells its bridge is here

    def on_lost(self) -> None:
        self._pending.clear()  # not acknowledged: the broker delivers them again
        self._out_in_flight.clear()  # not acknowledged by the broker: sent again

    def on_received(self, client: BrokerClient, message: Received) -> None:
        route = self.topics.route(message.topic)
        try:
            if route is None or route.channel != "events" or route.hub_id is None:
                raise ValidationError("not an events topic")
            envelope = parse_json(message.payload, Envelope)
            if envelope.hub != route.hub_id:
                raise ValidationError(f"event of {envelope.hub!r} on the topic of {route.hub_id!r}")
        except ValidationError as exc:
            self.rejected += 1
            log.warning("upstream: rejected a message on %s: %s", message.topic, exc)
            client.ack(message.mid, message.qos)
            return
        if envelope.hub not in self._seen:
            self._seen.add(envelope.hub)
            self._republish_at = self._republish_at or time.monotonic() + self.republish_wait
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending.append(_Pending(envelope, message.mid, message.qos))

    def on_published(self, mid: int, ok: bool) -> None:
        message_id = self._out_in_flight.pop(mid, None)
        if message_id is not None and ok:
            self._out_acked.append(message_id)

    def on_idle(self, client: BrokerClient) -> bool:
        with self._database():
            return self._idle(client)

    def _idle(self, client: BrokerClient) -> bool:
        due = time.monotonic() - self._pending_since >= self.batch_wait
        if self._pending and (len(self._pending) >= self.batch_size or due):
            self._store(client)
        now = time.monotonic()
        self._confirm_and_replay(client, now)
        self._send_outbox(client, now)
        return len(self._pending) >= self.batch_size

    def _confirm_and_replay(self, client: BrokerClient, now: float) -> None:
        assert self.store is not None
        gaps = [
            hub_id
            for hub_id, progress in self.progress.items()
            if progress.gap_since is not None
            and now - progress.gap_since >= self.gap_wait
            and now - progress.last_replay >= self.replay_interval
        ]
        if gaps:  # another consumer may have filled them: ask the store again
            for hub_id, mark in self.store.advance(gaps).items():
                progress = self._hub(hub_id)
                if mark.confirmed > progress.contiguous:
                    progress.receipt_due = True
                progress.update(mark)
                if mark.gap:
                    start = progress.contiguous + 1
                    log.info("upstream: %s has a gap after seq %d; asking for a replay", hub_id, start - 1)
                    client.publish(
                        self.topics.hub(hub_id, "replay"), json.dumps({"from": start}).encode(), qos=1
                    )
                    progress.last_replay = now
                    progress.replays += 1
        for hub_id, progress in self.progress.items():
            if progress.receipt_due and now - progress.last_receipt >= self.receipt_interval:
                payload = json.dumps({"upto": progress.contiguous}).encode()
                client.publish(self.topics.hub(hub_id, "receipts"), payload, qos=1)
                progress.receipt_due = False
                progress.last_receipt = now

    def _send_outbox(self, client: BrokerClient, now: float) -> None:
        """Publish what the region keeps for hubs and this broker has not acknowledged yet."""
        assert self.store is not None
        if self._out_acked:
            acked, self._out_acked = self._out_acked, []
            self.store.mark_sent(self.broker, acked)
        if self._out_in_flight or now - self._last_outbox < self.outbox_interval:
            return
        self._last_outbox = now
        for message in self.store.unsent(self.broker):
            self._out_in_flight[client.publish(message.topic, message.payload, qos=1)] = message.id
        newcomers = self._republish_at is not None and now >= self._republish_at
        if newcomers or now - self._last_republish >= self.republish_every:
            self._republish(client, now)

    def _republish(self, client: BrokerClient, now: float) -> None:
        """Publish the recent messages again; hubs apply each once by its id.

        A bridge that comes to this broker for the first time (its main broker died) has no
        session here yet, so what was published here before it came did not queue for it. Its
        hub's first event shows it is here now; what went out before is sent once more (a few
        seconds later, for all newcomers at once). Every ``republish_every`` seconds the same
        happens anyway, for hubs that have nothing to send.
        """
        assert self.store is not None
        self._republish_at = None
        self._last_republish = now
        for message in self.store.recent(self.republish_window):
            client.publish(message.topic, message.payload, qos=1)
            self.republished += 1

    def on_tick(self) -> None:
        if self.overview_every > 0 and time.monotonic() - self._last_overview >= self.overview_every:
            self._last_overview = time.monotonic()
            self.out(self.render_overview())

    def _store(self, client: BrokerClient) -> None:
        assert self.store is not None
        batch, self._pending = self._pending, []
        result = self.store.store([item.envelope for item in batch])
        # Durable from here on: acknowledge, then confirm what the store says is contiguous.
        for item in batch:
            client.ack(item.mid, item.qos)
        self.stored += result.fresh
        self.duplicates += result.duplicates
        for hub_id, mark in result.marks.items():
            progress = self._hub(hub_id)
            progress.update(mark)
            progress.count = max(progress.count, mark.events)
            if progress.contiguous > 0:
                progress.receipt_due = True  # new, or a resend: the hub may have missed our receipt

    # --- what it shows ---

    def overview(self) -> dict[str, Any]:
        assert self.store is not None
        overview = self.store.overview()
        for hub_id, info in overview.items():
            progress = self.progress.get(hub_id)
            info["missing_after"] = info["contiguous"] if progress and progress.gap_since else None
            info["replays"] = progress.replays if progress else 0
        return overview

    def render_overview(self) -> str:
        overview = self.overview()
        lines = [f"region overview ({datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC), {len(overview)} hubs"]
        for hub_id, info in overview.items():
            types = ", ".join(f"{name} {count}" for name, count in sorted(info["by_type"].items()))
            gap = f", gap after {info['missing_after']}" if info["missing_after"] is not None else ""
            lines.append(
                f"  {hub_id}: {info['events']} events, confirmed up to {info['contiguous']}{gap}; "
                f"last seen {info['last_seen'] or 'never'}; {types}"
            )
        return "\n".join(lines)

    def stored_seqs(self, hub_id: str) -> list[int]:
        """The seqs stored for ``hub_id`` in order (for tests and operators)."""
        assert self.store is not None
        return self.store.stored_seqs(hub_id)


def run(args: Any) -> int:
    """``hub upstream``: one consumer per broker on one store; run until SIGTERM or Ctrl-C."""
    import signal
    import threading

    urls: list[str] = list(args.mqtt)
    store = RegionStore(args.db)
    with database_down_is_clear(store.engine.url.render_as_string(hide_password=True)):
        store.create()
    expiry = args.session_expiry
    if expiry is None:
        expiry = SHARED_SESSION_EXPIRY if args.share else SESSION_EXPIRY
    consumers = [
        UpstreamConsumer(
            url,
            store=store,
            hubs=[h.strip() for h in (args.hubs or "").split(",") if h.strip()],
            topic_root=args.topic_root,
            client_id=args.client_id,
            share=args.share or None,
            session_expiry=expiry,
            keepalive=args.keepalive,
            overview_every=args.overview_every if n == 0 else 0,
            out=lambda text: print(text, flush=True),
            ca_file=args.ca_file,
        )
        for n, url in enumerate(urls)
    ]
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    for consumer in consumers:
        consumer.start()
    brokers = ", ".join(parse_broker_url(url).display for url in urls)
    share = f" (shared subscription group {args.share})" if args.share else ""
    print(f"hub upstream: consuming from {brokers}{share} into {store.engine.url!r}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for consumer in consumers:
            consumer.stop()
        print(consumers[0].render_overview(), flush=True)
        store.dispose()
    return 0

"""``hub upstream``: the reference consumer a municipality runs beside its broker.

It subscribes (persistent MQTT 5 session) to ``R/hubs/<id>/events`` of the listed hubs (or
``+`` for all), stores every event durably (SQLAlchemy core: SQLite by default, PostgreSQL by
URL), deduplicates by id, and keeps per hub the highest *contiguous* ``seq``. Only events that
are committed and contiguous are confirmed to the hub with ``{"upto": n}``; a message is
acknowledged to the broker after its commit. A gap that does not fill by itself within
``gap_wait`` seconds gets a replay request ``{"from": n}`` (at most one per
``replay_interval`` per hub). Every ``overview_every`` seconds it prints a region overview.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
)

from hub.db import make_engine
from hub.errors import ValidationError
from hub.sync.client import BrokerClient, PahoClient, Received, Sink, parse_broker_url
from hub.sync.envelope import Envelope, parse_json
from hub.sync.topics import Topics
from hub.sync.worker import Backoff, BrokerWorker

log = logging.getLogger(__name__)

metadata = MetaData()
events_table = Table(
    "upstream_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("hub", String(40), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(40), nullable=False),
    Column("at", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_upstream_events_hub_seq", "hub", "seq"),
)


@dataclass
class HubProgress:
    """What the consumer knows of one hub."""

    contiguous: int = 0
    above: set[int] = field(default_factory=set)
    count: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    last_seen: datetime | None = None
    gap_since: float | None = None
    last_replay: float = -1e9
    last_receipt: float = -1e9
    receipt_due: bool = False
    replays: int = 0

    def add(self, seq: int) -> bool:
        """Record ``seq``; True when the contiguous mark moved."""
        before = self.contiguous
        if seq > self.contiguous:
            self.above.add(seq)
        while self.contiguous + 1 in self.above:
            self.contiguous += 1
            self.above.discard(self.contiguous)
        return self.contiguous != before


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
        hubs: Sequence[str] = (),
        topic_root: str = "buurtbaken/v1",
        client_id: str = "buurtbaken-upstream",
        overview_every: float = 60.0,
        out: Callable[[str], None] | None = None,
        gap_wait: float = 1.0,
        replay_interval: float = 5.0,
        receipt_interval: float = 0.2,
        keepalive: int = 30,
        max_backoff: float = 60.0,
        receive_maximum: int = 200,
        batch_size: int = 100,
        batch_wait: float = 0.01,
        client_factory: Callable[[Sink], BrokerClient] | None = None,
        ca_file: str | None = None,
    ) -> None:
        address = parse_broker_url(mqtt_url, ca_file)

        def factory(sink: Sink) -> BrokerClient:
            return PahoClient(address, client_id, sink, keepalive=keepalive, receive_maximum=receive_maximum)

        super().__init__(client_factory or factory, backoff=Backoff(1.0, max_backoff))
        self.db_url = db_url
        self.hubs = list(hubs)
        self.topics = Topics(topic_root)
        self.overview_every = overview_every
        self.out = out or print
        self.gap_wait = gap_wait
        self.replay_interval = replay_interval
        self.receipt_interval = receipt_interval
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.progress: dict[str, HubProgress] = {}
        self.rejected = 0
        self.duplicates = 0
        self._pending: list[_Pending] = []
        self._pending_since = 0.0
        self._last_overview = time.monotonic()
        self.engine: Engine | None = None

    # --- lifecycle ---

    def start(self) -> None:
        self.engine = make_engine(self.db_url, writer=True)
        metadata.create_all(self.engine)
        self._load()
        super().start()

    def stop(self) -> None:
        super().stop()
        if self.engine is not None:
            self.engine.dispose()

    def _load(self) -> None:
        assert self.engine is not None
        self.progress = {}
        with self.engine.connect() as conn:
            for hub_id, seq in conn.execute(
                select(events_table.c.hub, events_table.c.seq).order_by(
                    events_table.c.hub, events_table.c.seq
                )
            ):
                self._hub(hub_id).add(int(seq))
            for hub_id, event_type, count in conn.execute(
                select(events_table.c.hub, events_table.c.type, func.count()).group_by(
                    events_table.c.hub, events_table.c.type
                )
            ):
                progress = self._hub(hub_id)
                progress.by_type[event_type] = int(count)
                progress.count += int(count)
        for progress in self.progress.values():
            progress.gap_since = time.monotonic() if progress.above else None

    def _hub(self, hub_id: str) -> HubProgress:
        return self.progress.setdefault(hub_id, HubProgress())

    # --- broker ---

    def on_connected(self, client: BrokerClient, session_present: bool) -> None:
        hubs = self.hubs or ["+"]
        client.subscribe([self.topics.hub(hub_id, "events") for hub_id in hubs])
        for progress in self.progress.values():  # re-confirm after an outage
            progress.receipt_due = progress.contiguous > 0

    def on_lost(self) -> None:
        self._pending.clear()  # not acknowledged: the broker delivers them again

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
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending.append(_Pending(envelope, message.mid, message.qos))

    def on_idle(self, client: BrokerClient) -> bool:
        due = time.monotonic() - self._pending_since >= self.batch_wait
        if self._pending and (len(self._pending) >= self.batch_size or due):
            self._store(client)
        now = time.monotonic()
        for hub_id, progress in self.progress.items():
            if progress.receipt_due and now - progress.last_receipt >= self.receipt_interval:
                payload = json.dumps({"upto": progress.contiguous}).encode()
                client.publish(self.topics.hub(hub_id, "receipts"), payload, qos=1)
                progress.receipt_due = False
                progress.last_receipt = now
            if (
                progress.gap_since is not None
                and now - progress.gap_since >= self.gap_wait
                and now - progress.last_replay >= self.replay_interval
            ):
                start = progress.contiguous + 1
                log.info(
                    "upstream: %s has a gap after seq %d; asking for a replay", hub_id, progress.contiguous
                )
                client.publish(self.topics.hub(hub_id, "replay"), json.dumps({"from": start}).encode(), qos=1)
                progress.last_replay = now
                progress.replays += 1
        return len(self._pending) >= self.batch_size

    def on_tick(self) -> None:
        if self.overview_every > 0 and time.monotonic() - self._last_overview >= self.overview_every:
            self._last_overview = time.monotonic()
            self.out(self.render_overview())

    def _store(self, client: BrokerClient) -> None:
        assert self.engine is not None
        batch, self._pending = self._pending, []
        unique: dict[str, Envelope] = {}
        for item in batch:
            unique.setdefault(item.envelope.id, item.envelope)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            existing: set[str] = set()
            ids = list(unique)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                existing.update(
                    conn.execute(select(events_table.c.id).where(events_table.c.id.in_(chunk))).scalars()
                )
            fresh = [envelope for key, envelope in unique.items() if key not in existing]
            if fresh:
                conn.execute(
                    events_table.insert(),
                    [
                        {
                            "id": e.id,
                            "hub": e.hub,
                            "seq": e.seq,
                            "type": e.type,
                            "at": e.at.isoformat(),
                            "data": json.dumps(e.data, ensure_ascii=False),
                            "received_at": now,
                        }
                        for e in fresh
                    ],
                )
        # Durable from here on: acknowledge, then account.
        for item in batch:
            client.ack(item.mid, item.qos)
        self.duplicates += len(batch) - len(fresh)
        fresh_ids = {e.id for e in fresh}
        for envelope in unique.values():
            progress = self._hub(envelope.hub)
            if envelope.id in fresh_ids:
                progress.count += 1
                progress.by_type[envelope.type] += 1
                progress.last_seen = now
                if progress.add(envelope.seq):
                    progress.receipt_due = True
            elif envelope.seq <= progress.contiguous:
                progress.receipt_due = True  # a resend: the hub may have missed our receipt
            if progress.above:
                progress.gap_since = progress.gap_since or time.monotonic()
            else:
                progress.gap_since = None

    # --- what it shows ---

    def overview(self) -> dict[str, Any]:
        return {
            hub_id: {
                "events": progress.count,
                "contiguous": progress.contiguous,
                "missing_after": progress.contiguous if progress.above else None,
                "by_type": dict(progress.by_type),
                "last_seen": progress.last_seen.isoformat() if progress.last_seen else None,
                "replays": progress.replays,
            }
            for hub_id, progress in sorted(self.progress.items())
        }

    def render_overview(self) -> str:
        lines = [f"region overview ({datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC), {len(self.progress)} hubs"]
        for hub_id, info in self.overview().items():
            types = ", ".join(f"{name} {count}" for name, count in sorted(info["by_type"].items()))
            gap = f", gap after {info['missing_after']}" if info["missing_after"] is not None else ""
            lines.append(
                f"  {hub_id}: {info['events']} events, confirmed up to {info['contiguous']}{gap}; "
                f"last seen {info['last_seen'] or 'never'}; {types}"
            )
        return "\n".join(lines)

    def stored_seqs(self, hub_id: str) -> list[int]:
        """The seqs stored for ``hub_id`` in order (for tests and operators)."""
        assert self.engine is not None
        with self.engine.connect() as conn:
            query = (
                select(events_table.c.seq).where(events_table.c.hub == hub_id).order_by(events_table.c.seq)
            )
            return [int(seq) for seq in conn.execute(query).scalars()]


def run(args: Any) -> int:
    """``hub upstream``: run until SIGTERM or Ctrl-C."""
    import signal
    import threading

    consumer = UpstreamConsumer(
        args.mqtt,
        db_url=args.db,
        hubs=[h.strip() for h in (args.hubs or "").split(",") if h.strip()],
        topic_root=args.topic_root,
        client_id=args.client_id,
        overview_every=args.overview_every,
        out=lambda text: print(text, flush=True),
        ca_file=args.ca_file,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    consumer.start()
    print(f"hub upstream: consuming from {parse_broker_url(args.mqtt).display} into {args.db}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        consumer.stop()
        print(consumer.render_overview(), flush=True)
    return 0

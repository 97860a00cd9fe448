"""Two consumers on a shared subscription, one SIGKILLed mid-stream: the survivor gets it all, promptly.

Mosquitto keeps handing a shared subscription's messages round-robin to a member that is gone
while its session lives (eclipse/mosquitto #1747, #2662): with the 60 s session ``hub upstream
--share`` used to ask for, every second event after the kill — and every second event of each
replay the survivor asked for — went into the dead consumer's queue for a minute, and the hub
stayed unconfirmed that long. A shared consumer keeps no session (clean start, expiry 0), so the
survivor takes every message as soon as the broker sees the other one go.

One real Mosquitto, one PostgreSQL, two ``hub upstream`` processes in one share group, and:

- a hub whose outbox grows while it drains (so the kill is mid-stream whatever the machine's
  load): it is confirmed to the end of its outbox soon after its last event;
- a bare publisher for a second hub id that publishes each event once after the kill and never
  answers a replay request: every one of them is stored. With the old 60 s session half of them
  waited in the dead consumer's queue (the hub above still got there, slower, because each replay
  it sends lands on the survivor with the other parity now and then).
"""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from hub.region.store import RegionStore, events_table, hubs_table
from hub.runtime import Hub
from hub.sync.envelope import encode_event
from hub.sync.link import SyncLink
from hub.sync.topics import Topics
from tests.sync.conftest import MosquittoBroker, Peer, backlog, fill_outbox, hub_settings, wait_for
from tests.sync.test_region_failover import connected, start_consumer, stored

PER_ROUND = 10  # events written every 0.1 s, until 3 s after the kill
PROMPTLY = 30.0  # seconds after the last event is written; the old dead session held on for 60
ONCE = 200  # events the bare publisher sends once, after the kill


def closed(broker: MosquittoBroker, client_id: str) -> bool:
    """The broker has seen ``client_id``'s connection go (a SIGKILL closes its socket)."""
    log = (broker.root / "mosquitto.log").read_text(errors="replace")
    return f"Client {client_id} closed its connection" in log or f"error on client {client_id}," in log


def test_the_survivor_of_a_share_group_stores_every_event_promptly(
    tmp_path: Path, broker: MosquittoBroker, postgres_url: str
) -> None:
    broker.start()
    store = RegionStore(postgres_url)
    store.create()
    consumers = [
        start_consumer(f"region-{n}", [broker], postgres_url, tmp_path / f"consumer-{n}.log") for n in (1, 2)
    ]
    hub = Hub.from_settings(hub_settings(tmp_path, "hub-00", broker.url))
    hub.start()
    link = SyncLink.for_hub(hub, keepalive=10, connect_timeout=3.0, max_backoff=1.0, resend_after=2.0)
    hub.add_link(link)
    stop, written = threading.Event(), [0]

    def produce() -> None:
        while not stop.is_set():
            fill_outbox(hub, PER_ROUND)
            written[0] += PER_ROUND
            link.wake()
            time.sleep(0.1)

    producer = threading.Thread(target=produce, daemon=True)
    try:
        for name in ("region-1", "region-2"):
            wait_for(lambda n=name: connected(broker, n), 30, f"{name} on the broker")
        time.sleep(0.5)  # both subscribed: the broker splits the stream between them
        link.start()
        producer.start()
        wait_for(lambda: stored(store.engine) >= 100, 60, "the first 100 events stored", 0.05)
        consumers[0].send_signal(signal.SIGKILL)
        consumers[0].wait(timeout=10)
        killed = time.monotonic()
        at_kill = written[0]
        wait_for(lambda: closed(broker, "region-1"), 30, "the broker to notice the kill")
        publisher = Peer(broker, "bare-hub")
        topic = Topics("buurtbaken/v1").hub("hub-once", "events")
        for seq in range(1, ONCE + 1):
            event = encode_event("hub-once", seq, f"once-{seq}", "checkin.created", datetime.now(UTC), {})
            publisher.publish(topic, event)
        wait_for(lambda: len(store.stored_seqs("hub-once")) == ONCE, 15, "every event published once", 0.2)
        publisher.close()
        time.sleep(max(0.0, 3.0 - (time.monotonic() - killed)))
        stop.set()
        producer.join(timeout=60)
        total = written[0]
        assert total > at_kill, "the hub's stream went on after the kill"
        wait_for(
            lambda: backlog(hub)["unconfirmed"] == 0,
            PROMPTLY,
            "the hub confirmed to the end of its outbox by the survivor",
            0.2,
        )
        with store.engine.connect() as conn:
            count, distinct = conn.execute(
                sa.select(sa.func.count(), sa.func.count(sa.distinct(events_table.c.seq))).where(
                    events_table.c.hub == "hub-00"
                )
            ).one()
            mark = conn.execute(
                sa.select(hubs_table.c.confirmed).where(hubs_table.c.hub == "hub-00")
            ).scalar_one()
        assert (count, distinct, mark) == (total, total, total)
        assert consumers[1].poll() is None, "the survivor kept running"
    finally:
        stop.set()
        hub.stop()
        for consumer in consumers:
            if consumer.poll() is None:
                consumer.send_signal(signal.SIGTERM)
                consumer.wait(timeout=30)
        store.dispose()

"""The region's consumer and its PostgreSQL fail mid-drain; nothing is lost, nothing applied twice.

Hubs' sync links (in this process, each with its own SQLite outbox) drain into one Mosquitto;
``hub upstream`` in its own process stores into PostgreSQL.

- The consumer gets SIGKILL mid-drain and is started again with the same session: every event
  is in PostgreSQL exactly once and every hub is confirmed to the end of its outbox.
- PostgreSQL (this test's own cluster, never a shared server) is stopped with
  ``pg_ctl -m immediate`` mid-drain — what a power cut does — and started again: everything a
  hub was told is stored is still there, nothing is stored twice, and the same consumer process
  carries on by itself, after saying in one line what happened.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from hub.region.store import RegionStore, events_table, hubs_table
from hub.runtime import Hub
from hub.sync.link import SyncLink
from tests.postgres import PostgresCluster
from tests.sync.conftest import MosquittoBroker, backlog, fill_outbox, hub_settings, wait_for
from tests.sync.test_region_failover import connected, stored

HUBS = 8
EVENTS = 300


def start_consumer(broker: MosquittoBroker, db_url: str, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "hub", "upstream", "--db", db_url, "--mqtt", broker.url]
    command += ["--client-id", "region-1", "--share", "region", "--keepalive", "5"]
    command += ["--session-expiry", "300", "--overview-every", "0"]
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


@contextmanager
def draining_hubs(tmp_path: Path, broker: MosquittoBroker) -> Iterator[list[Hub]]:
    """``HUBS`` hubs with ``EVENTS`` outbox events each, their links started all at once."""
    hubs: list[Hub] = []
    try:
        for n in range(HUBS):
            hub = Hub.from_settings(hub_settings(tmp_path, f"hub-{n:02d}", broker.url))
            hub.start()
            hubs.append(hub)
            fill_outbox(hub, EVENTS)
        for hub in hubs:
            link = SyncLink.for_hub(hub, keepalive=5, connect_timeout=3.0, max_backoff=1.0, resend_after=2.0)
            hub.add_link(link)
            link.start()
        yield hubs
    finally:
        for hub in hubs:
            hub.stop()


def all_confirmed(hubs: list[Hub]) -> bool:
    return all(backlog(hub)["unconfirmed"] == 0 for hub in hubs)


def assert_exactly_once(engine: sa.Engine, hubs: list[Hub]) -> None:
    with engine.connect() as conn:
        per_hub = conn.execute(
            sa.select(
                events_table.c.hub,
                sa.func.count(),
                sa.func.count(sa.distinct(events_table.c.seq)),
                sa.func.min(events_table.c.seq),
                sa.func.max(events_table.c.seq),
            ).group_by(events_table.c.hub)
        ).all()
        marks = dict(conn.execute(sa.select(hubs_table.c.hub, hubs_table.c.confirmed)).all())
    assert sorted(per_hub) == [(hub.settings.id, EVENTS, EVENTS, 1, EVENTS) for hub in hubs]
    assert marks == {hub.settings.id: EVENTS for hub in hubs}


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_a_consumer_killed_mid_drain_and_started_again_loses_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    store = RegionStore(postgres_url)
    store.create()
    log = tmp_path / "consumer.log"
    consumer = start_consumer(broker, postgres_url, log)
    try:
        wait_for(lambda: connected(broker, "region-1"), 30, "the consumer subscribed")
        with draining_hubs(tmp_path, broker) as hubs:
            total = HUBS * EVENTS
            wait_for(lambda: stored(store.engine) >= total // 3, 120, "a third of the events stored", 0.05)
            consumer.send_signal(signal.SIGKILL)
            consumer.wait(timeout=10)
            at_kill = stored(store.engine)
            assert at_kill < total, "the kill came too late to be mid-drain"
            time.sleep(2.0)  # the hubs go on publishing; the broker queues for the dead session
            assert stored(store.engine) == at_kill, "nobody else stores"
            consumer = start_consumer(broker, postgres_url, log)
            wait_for(lambda: all_confirmed(hubs), 180, "every hub confirmed to the end of its outbox", 0.5)
            time.sleep(2.0)  # copies still under way (redeliveries, resends) must change nothing
            assert_exactly_once(store.engine, hubs)
        assert consumer.poll() is None, log.read_text()[-2000:]
    finally:
        stop(consumer)
        store.dispose()
        broker.stop()


def test_postgresql_killed_mid_drain_loses_nothing_and_the_consumer_carries_on(tmp_path: Path) -> None:
    cluster = PostgresCluster()  # our own: it gets killed
    cluster.start()
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    store = RegionStore(cluster.url)
    store.create()
    log = tmp_path / "consumer.log"
    consumer = start_consumer(broker, cluster.url, log)
    try:
        wait_for(lambda: connected(broker, "region-1"), 30, "the consumer subscribed")
        with draining_hubs(tmp_path, broker) as hubs:
            total = HUBS * EVENTS
            wait_for(lambda: stored(store.engine) >= total // 3, 120, "a third of the events stored", 0.05)
            cluster.stop()  # pg_ctl -m immediate: no checkpoint, no goodbye to the clients
            wait_for(
                lambda: "does not answer" in log.read_text(errors="replace"),
                30,
                "the consumer to say that the database is gone",
            )
            time.sleep(3.0)  # the hubs go on publishing; the consumer acknowledges nothing now
            # What each hub was told is stored: it cannot move while the database is down.
            told = {hub.settings.id: link_confirmed(hub) for hub in hubs}
            assert sum(told.values()) < total, "the outage came too late to be mid-drain"
            consumer.send_signal(signal.SIGSTOP)  # nobody writes until we have looked
            cluster.start()
            try:
                for hub_id, upto in told.items():  # durable: every event up to it, once
                    seqs = store.stored_seqs(hub_id)
                    assert seqs[:upto] == list(range(1, upto + 1)), hub_id
                    assert len(seqs) == len(set(seqs))
            finally:
                consumer.send_signal(signal.SIGCONT)
            wait_for(lambda: all_confirmed(hubs), 180, "every hub confirmed to the end of its outbox", 0.5)
            time.sleep(2.0)
            assert_exactly_once(store.engine, hubs)
        assert consumer.poll() is None, "the same consumer process carried on"
        text = log.read_text(errors="replace")
        assert "answers again" in text
        assert "Traceback" not in text, text[-3000:]
    finally:
        stop(consumer)
        store.dispose()
        broker.stop()
        cluster.remove()


def link_confirmed(hub: Hub) -> int:
    """The highest seq the region confirmed to ``hub`` (its outbox's confirmed mark)."""
    counts = backlog(hub)
    return EVENTS - counts["unconfirmed"]


def test_a_consumer_started_while_the_database_is_down_says_so(tmp_path: Path) -> None:
    cluster = PostgresCluster()
    url = cluster.url  # never started
    try:
        result = subprocess.run(
            [sys.executable, "-m", "hub", "upstream", "--db", url, "--mqtt", "mqtt://127.0.0.1:1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert "the region's database" in result.stderr and "does not answer" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        cluster.remove()

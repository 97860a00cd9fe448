"""The outbox reaches the upstream consumer: nothing lost, nothing twice, all confirmed.

Real Mosquitto processes (killed with SIGKILL), a real hub process (killed with SIGKILL).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from hub.runtime import Hub
from hub.sync.upstream import UpstreamConsumer, events_table
from tests.conftest import free_port
from tests.sync.conftest import (
    MosquittoBroker,
    backlog,
    consumer_for,
    env_for,
    fill_outbox,
    hub_settings,
    make_checkins,
    sync_hub,
    wait_for,
)

N = 10_000


def assert_exactly_once_in_order(consumer: UpstreamConsumer, hub_id: str, count: int) -> None:
    assert consumer.engine is not None
    with consumer.engine.connect() as conn:
        rows = conn.execute(
            select(events_table.c.seq, events_table.c.id)
            .where(events_table.c.hub == hub_id)
            .order_by(events_table.c.seq)
        ).all()
        distinct_ids = conn.execute(select(func.count(func.distinct(events_table.c.id)))).scalar_one()
    seqs = [int(seq) for seq, _id in rows]
    assert seqs == list(range(1, count + 1)), "every seq once, no gap"
    assert distinct_ids == count
    assert consumer.progress[hub_id].contiguous == count


def test_backlog_made_while_the_broker_is_down_arrives_once_in_order(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    broker.start()
    consumer = consumer_for(broker, tmp_path, ["hub-a"])
    consumer.start()
    wait_for(lambda: consumer.state == "connected", 10, "the consumer's session")
    broker.kill()  # its session (and subscription) is on disk
    hub = sync_hub(hub_settings(tmp_path, "hub-a", broker.url))
    hub.start()
    try:
        fill_outbox(hub, N - 100)
        make_checkins(hub, 100)  # and some through the service, with their wake-ups
        status = hub.links["sync"].status()
        assert status["state"] in ("offline", "connecting")
        assert status["unsent"] == N
        assert status["unconfirmed"] == N
        broker.start()
        wait_for(lambda: backlog(hub)["unconfirmed"] == 0, 120, "every event confirmed")
        assert backlog(hub)["unsent"] == 0
        assert_exactly_once_in_order(consumer, "hub-a", N)
        status = hub.links["sync"].status()
        assert status["state"] == "connected"
        assert status["last_confirmed_seq"] == N
    finally:
        hub.stop()
        consumer.stop()


def test_broker_killed_during_the_drain_loses_nothing(tmp_path: Path, broker: MosquittoBroker) -> None:
    broker.start()
    consumer = consumer_for(broker, tmp_path, ["hub-a"])
    consumer.start()
    wait_for(lambda: consumer.state == "connected", 10, "the consumer's session")
    hub = Hub.from_settings(hub_settings(tmp_path, "hub-a", broker.url))
    hub.start()
    fill_outbox(hub, N)
    hub.stop()
    hub = sync_hub(hub_settings(tmp_path, "hub-a", broker.url))
    hub.start()
    try:
        kills = 0
        for threshold in (1500, 4000, 7000):
            wait_for(
                lambda t=threshold: backlog(hub)["unsent"] <= N - t, 60, f"{threshold} events sent", 0.02
            )
            broker.kill()
            kills += 1
            time.sleep(0.3)
            broker.start()
        wait_for(lambda: backlog(hub)["unconfirmed"] == 0, 120, "every event confirmed")
        assert kills == 3
        assert_exactly_once_in_order(consumer, "hub-a", N)
    finally:
        hub.stop()
        consumer.stop()


def test_hub_process_killed_during_the_drain_loses_nothing(tmp_path: Path, broker: MosquittoBroker) -> None:
    settings = hub_settings(tmp_path, "hub-a", "")
    hub = Hub.from_settings(settings)
    hub.start()
    fill_outbox(hub, N)
    hub.stop()
    broker.start()
    consumer = consumer_for(broker, tmp_path, ["hub-a"])
    consumer.start()
    wait_for(lambda: consumer.state == "connected", 10, "the consumer's session")
    env = env_for(hub_settings(tmp_path, "hub-a", broker.url))
    port = free_port()
    command = [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = (tmp_path / "hub.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(
            lambda: consumer.progress.get("hub-a") and consumer.progress["hub-a"].count >= 2000, 60, "a part"
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stored_when_killed = consumer.progress["hub-a"].count
        assert stored_when_killed < N, "the kill came during the drain"
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        hub = Hub.from_settings(settings)
        wait_for(lambda: backlog(hub)["unconfirmed"] == 0, 120, "every event confirmed", 0.25)
        assert backlog(hub)["unsent"] == 0
        hub.db.close()
        assert_exactly_once_in_order(consumer, "hub-a", N)
        status = httpx.get(f"http://127.0.0.1:{port}/api/v1/status", timeout=10).json()
        assert status["sync"]["state"] == "connected"
        assert status["sync"]["unconfirmed"] == 0
    finally:
        process.terminate()
        process.wait(timeout=20)
        consumer.stop()

"""Hubs' local brokers bridge to two regional brokers: when the main one dies, the other carries on.

Each hub's local Mosquitto runs the configuration we ship (``deploy/mosquitto.conf.j2`` with
``broker_upstream_fallbacks``); the region runs two brokers and one store in PostgreSQL, with a
consumer on each broker (one shared subscription group). The main broker gets SIGKILL
mid-drain and stays dead: the bridges move to the second broker, every event still arrives
exactly once, every hub is confirmed, and an announcement sent meanwhile reaches each hub once.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa

from hub.region import deliveries
from hub.region.store import RegionStore, events_table, hubs_table
from hub.runtime import Hub
from hub.sync.link import SyncLink
from hub.sync.upstream import UpstreamConsumer
from tests.conftest import free_port
from tests.sync.conftest import MOSQUITTO, MosquittoBroker, backlog, fill_outbox, hub_settings, wait_for
from tests.sync.test_region_failover import announcements, stored
from tests.topology_broker import render_local_config

ROOT = "buurtbaken/v1"
HUBS = 3
EVENTS = 1000


class LocalBroker:
    """A hub's own Mosquitto with the shipped configuration, bridged to the region's brokers."""

    def __init__(self, root: Path, hub_id: str, main: MosquittoBroker, fallback: MosquittoBroker) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        data = root / "mosquitto-data"
        data.mkdir(exist_ok=True)
        self.config = render_local_config(
            root / "mosquitto.conf",
            {
                "buurtbaken_hub_id": hub_id,
                "buurtbaken_mqtt_topic_root": ROOT,
                "broker_port": self.port,
                "broker_listen_address": "127.0.0.1",
                "broker_persistence_location": f"{data}/",
                "broker_log_dest": f"file {root / 'mosquitto-local.log'}",
                "broker_upstream_host": "127.0.0.1",
                "broker_upstream_port": main.port,
                "broker_upstream_fallbacks": [f"127.0.0.1:{fallback.port}"],
                "broker_upstream_tls": False,
                "broker_bridge_restart_timeout": "1 2",
                "broker_bridge_keepalive": 5,
            },
        )
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the local mosquitto did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_bridges_fail_over_to_the_second_regional_broker(tmp_path: Path, postgres_url: str) -> None:
    main, second = MosquittoBroker(tmp_path / "region-a"), MosquittoBroker(tmp_path / "region-b")
    main.start()
    second.start()
    store = RegionStore(postgres_url)
    store.create()
    consumers = [
        UpstreamConsumer(
            broker.url,
            store=store,
            client_id="region-1",
            share="region",
            keepalive=2,
            max_backoff=1.0,
            overview_every=0,
        )
        for broker in (main, second)
    ]
    locals_: list[LocalBroker] = []
    hubs: list[Hub] = []
    try:
        for consumer in consumers:
            consumer.start()
        wait_for(lambda: all(c.state == "connected" for c in consumers), 15, "the consumers on both brokers")
        for n in range(HUBS):
            hub_id = f"hub-{n}"
            local = LocalBroker(tmp_path / hub_id / "broker", hub_id, main, second)
            locals_.append(local)
            hub = Hub.from_settings(hub_settings(tmp_path, hub_id, local.url))
            hub.start()
            hubs.append(hub)
            fill_outbox(hub, EVENTS)
        for hub in hubs:
            link = SyncLink.for_hub(hub, keepalive=2, connect_timeout=3.0, max_backoff=1.0, resend_after=2.0)
            hub.add_link(link)
            link.start()
        total = HUBS * EVENTS
        wait_for(lambda: stored(store.engine) >= total // 4, 60, "a quarter of the events stored", 0.05)
        main.kill()  # and it stays dead
        assert stored(store.engine) < total, "the kill came during the drain"
        store.send(deliveries.announcement("flood-1", title="Hoogwater", body="..."), ROOT, None)
        wait_for(
            lambda: all(backlog(hub)["unconfirmed"] == 0 for hub in hubs), 120, "every hub confirmed", 0.5
        )
        wait_for(
            lambda: all(announcements(hub, "json:region:flood-1") == 1 for hub in hubs),
            60,
            "the announcement at every hub",
            0.5,
        )
        # Each hub's receipt of it (``announcement.arrived``) follows its events upstream.
        wait_for(
            lambda: all(backlog(hub)["unconfirmed"] == 0 for hub in hubs), 120, "the receipts confirmed", 0.5
        )
        with store.engine.connect() as conn:
            per_hub = conn.execute(
                sa.select(
                    events_table.c.hub,
                    sa.func.count(),
                    sa.func.min(events_table.c.seq),
                    sa.func.max(events_table.c.seq),
                ).group_by(events_table.c.hub)
            ).all()
            marks = dict(conn.execute(sa.select(hubs_table.c.hub, hubs_table.c.confirmed)).all())
        n = EVENTS + 1
        assert sorted(per_hub) == [(hub.settings.id, n, 1, n) for hub in hubs]
        assert marks == {hub.settings.id: n for hub in hubs}
        log = "".join((tmp_path / f"hub-{n}/broker/mosquitto-local.log").read_text() for n in range(HUBS))
        assert f"127.0.0.1:{second.port}" in log, "the bridges went to the second broker"
    finally:
        for hub in hubs:
            hub.stop()
        for consumer in consumers:
            consumer.stop()
        for local in locals_:
            local.stop()
        store.dispose()
        main.stop()
        second.stop()

"""A frozen broker, and replays: the hub notices, keeps working, and catches up."""

from __future__ import annotations

import json
from pathlib import Path

from hub.region.store import events_table, hubs_table
from tests.conftest import LiveServer
from tests.sync.conftest import (
    MosquittoBroker,
    Peer,
    backlog,
    consumer_for,
    fill_outbox,
    hub_settings,
    sync_hub,
    wait_for,
)


def test_frozen_broker_is_noticed_and_the_hub_catches_up(tmp_path: Path, broker: MosquittoBroker) -> None:
    broker.start()
    consumer = consumer_for(broker, tmp_path, ["hub-a"])
    consumer.start()
    settings = hub_settings(tmp_path, "hub-a", broker.url)
    server = LiveServer(settings, sync_hub(settings, keepalive=1))
    try:
        with server, server.client() as http:
            wait_for(
                lambda: http.get("/api/v1/status").json()["sync"]["state"] == "connected", 15, "connected"
            )
            for n in range(10):
                assert http.post(
                    "/api/v1/checkins", json={"address": f"Kerkstraat {n}", "status": "ok"}
                ).is_success
            wait_for(lambda: backlog(server.hub)["unconfirmed"] == 0, 30, "the first check-ins confirmed")

            broker.pause()  # a black hole: TCP stays up, nothing answers
            wait_for(lambda: http.get("/api/v1/status").json()["sync"]["state"] != "connected", 20, "noticed")
            assert 'hub_link_up{link="sync"} 0' in http.get("/metrics").text
            for n in range(10, 40):
                response = http.post(
                    "/api/v1/checkins", json={"address": f"Kerkstraat {n}", "status": "help"}
                )
                assert response.status_code == 201
            sync = http.get("/api/v1/status").json()["sync"]
            assert sync["unconfirmed"] == 30
            assert sync["broker"] == broker.url

            broker.resume()
            wait_for(lambda: backlog(server.hub)["unconfirmed"] == 0, 60, "caught up after SIGCONT")
            sync = http.get("/api/v1/status").json()["sync"]
            assert sync["state"] == "connected"
            assert sync["last_confirmed_seq"] == 40
            assert 'hub_link_up{link="sync"} 1' in http.get("/metrics").text
        assert consumer.stored_seqs("hub-a") == list(range(1, 41))
    finally:
        consumer.stop()


def test_replay_request_republishes_from_seq_onwards(tmp_path: Path, broker: MosquittoBroker) -> None:
    broker.start()
    hub = sync_hub(hub_settings(tmp_path, "hub-a", broker.url))
    hub.start()
    consumer = consumer_for(broker, tmp_path, ["hub-a"])
    consumer.start()
    try:
        wait_for(
            lambda: consumer.state == "connected" and hub.links["sync"].status()["connected"], 15, "both up"
        )
        fill_outbox(hub, 300)
        hub.links["sync"].wake()  # type: ignore[attr-defined]
        wait_for(lambda: backlog(hub)["unconfirmed"] == 0, 30, "all confirmed")

        # Asked directly: everything from 250 comes again, although it is confirmed.
        listener = Peer(broker, "listener", ["buurtbaken/v1/hubs/hub-a/events"])
        listener.publish("buurtbaken/v1/hubs/hub-a/replay", json.dumps({"from": 250}).encode())
        wait_for(lambda: len(listener.collect(0.2)) >= 51, 15, "the replay")
        seqs = [json.loads(message.payload)["seq"] for message in listener.received]
        assert seqs == list(range(250, 301))
        listener.close()

        # The consumer loses a range: its gap detection asks for a replay and fills it.
        consumer.stop()
        assert consumer.engine is not None
        with consumer.engine.begin() as conn:
            conn.execute(events_table.delete().where(events_table.c.seq.between(100, 199)))
            conn.execute(hubs_table.update().values(confirmed=99))  # as if they never arrived
        consumer = consumer_for(broker, tmp_path, ["hub-a"], gap_wait=0.5)
        consumer.start()
        assert consumer.progress["hub-a"].contiguous == 99
        wait_for(lambda: consumer.progress["hub-a"].contiguous == 300, 30, "the gap filled by a replay")
        assert consumer.progress["hub-a"].replays >= 1
        assert consumer.stored_seqs("hub-a") == list(range(1, 301))
    finally:
        consumer.stop()
        hub.stop()

"""When the internet is down: three hubs and the regional station on one simulated region channel.

Real parts throughout: three ``hub serve`` processes, each with its own simulated radio over the
real meshtastic TCP API; ``hub region station`` (its own process, its own simulated radio) on
the region's PostgreSQL; the four radios on one ``RegionAir`` with 10 % loss per listener and a
hop delay; Mosquitto reached by the hubs through a link that the test cuts; ``hub upstream``
storing what comes over MQTT in the same PostgreSQL.

With MQTT cut: every hub's summary is at the station within two summary periods, a
life-threatening need is at the station within 60 s, an announcement from the region (``hub
region send --lora``) is on every hub's portal. When MQTT is back, the need's MQTT copy replaces
its LoRa row and nothing counts twice.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.mesh.sim import RegionAir, Simulator
from hub.region import views
from hub.region.lora import LoraStore
from hub.region.store import RegionStore, events_table
from tests.sync.conftest import MosquittoBroker, wait_for
from tests.sync.region_lora import arrived, assert_every_event_once, start_station, stop
from tests.topology_processes import HubProcess, InternetLink

# Two real summary periods of a minute each: with `make test-scale`, the region's long proofs (CI runs both).
pytestmark = [pytest.mark.scale, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[2]
HUBS = ("hub-a", "hub-b", "hub-c")
STALE = timedelta(minutes=30)
SUMMARY_PERIOD = 60.0  # HUB_REGION_SUMMARY_MINUTES=1, the shortest the setting allows


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["PYTHONPATH"] = str(REPO)
    return env


def region_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "region", *args], env=_env(), capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def air() -> Iterator[tuple[RegionAir, list[Simulator]]]:
    region_air = RegionAir(loss=0.1, hop_delay=0.3, retry_interval=0.5, seed=14)
    radios = [Simulator(handsets=1, preset="MEDIUM_FAST", seed=40 + i) for i in range(len(HUBS) + 1)]
    for radio in radios:
        region_air.attach(radio)
    yield region_air, radios
    for radio in radios:
        radio.stop()


def test_three_hubs_and_the_station_over_lora_while_mqtt_is_cut(
    tmp_path: Path, postgres_url: str, air: tuple[RegionAir, list[Simulator]]
) -> None:
    region_air, radios = air
    key_file = tmp_path / "region.key"
    key_file.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    internet = InternetLink(broker.port)
    store = RegionStore(postgres_url)
    store.create()
    lora = LoraStore(store)
    logs = tmp_path / "logs"
    logs.mkdir()
    consumer = subprocess.Popen(
        [sys.executable, "-m", "hub", "upstream", "--mqtt", broker.url, "--db", postgres_url,
         "--client-id", "region-1", "--keepalive", "5", "--overview-every", "0"],
        env=_env(), stdout=(logs / "consumer.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    hubs = {
        name: HubProcess(
            tmp_path / name,
            {
                "HUB_ID": name,
                "HUB_MQTT_URL": f"mqtt://127.0.0.1:{internet.port}",
                "HUB_RADIO": f"tcp://127.0.0.1:{radios[i].start_tcp('127.0.0.1', 0)}",
                "HUB_SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnop",
                "HUB_REGION_KEY_FILE": str(key_file),
                "HUB_REGION_AFTER_MINUTES": "0",
                "HUB_REGION_SUMMARY_MINUTES": "1",
                "HUB_REGION_SLOT_SECONDS": "5",
                "HUB_REGION_SLOT": str(3 * i),
                "HUB_REGION_RETRY_SECONDS": "5",
            },
        )
        for i, name in enumerate(HUBS)
    }
    station_port = radios[-1].start_tcp("127.0.0.1", 0)
    station: subprocess.Popen[bytes] | None = None
    try:
        for hub in hubs.values():
            hub.root.mkdir(parents=True, exist_ok=True)
            hub.start()
            answer = httpx.post(
                hub.url + "/api/v1/checkins", json={"address": "Kerkstraat 1", "status": "ok", "people": 1}
            )
            assert answer.status_code == 201, answer.text
        wait_for(lambda: set(store.marks()) == set(HUBS), 90, "the region to know the three hubs", 0.2)
        station = start_station(logs / "station.log", station_port, postgres_url, key_file, HUBS, _env())
        wait_for(lambda: radios[-1].client_connected, 60, "the station's radio client", 0.2)

        # The internet goes: the hubs lose MQTT.
        internet.cut()
        cut_at = time.monotonic()

        # A life-threatening need at hub-b: at the station within 60 s, over 10 % loss.
        answer = httpx.post(
            hubs["hub-b"].url + "/api/v1/needs",
            json={
                "address": "Kerkstraat 1",
                "category": "medicine",
                "urgency": "life",
                "description": "Insuline op, bewoner diabetisch",
            },
        )
        assert answer.status_code == 201, answer.text
        asked_at = time.monotonic()

        def lora_needs() -> list[tuple[str, int]]:
            with store.engine.connect() as conn:
                rows = conn.execute(
                    select(events_table.c.id, events_table.c.seq).where(
                        events_table.c.hub == "hub-b", events_table.c.type == "need.created"
                    )
                ).all()
            return [(str(i), int(s)) for i, s in rows]

        wait_for(lambda: lora_needs(), 60, "hub-b's life-threatening need at the station", 0.2)
        assert time.monotonic() - asked_at < 60
        [(need_event, placeholder)] = lora_needs()
        assert placeholder < 0, "it came over LoRa: MQTT is cut"

        # Every hub's summary within two summary periods of the cut.
        wait_for(
            lambda: set(lora.summaries()) == set(HUBS),
            2 * SUMMARY_PERIOD - (time.monotonic() - cut_at),
            "every hub's summary at the station",
            0.5,
        )
        summaries = lora.summaries()
        assert summaries["hub-b"].figures["needs_by_urgency"]["life"] == 1
        row = {r.hub: r for r in views.overview(store.engine, STALE, hub=None)}
        assert row["hub-b"].life_needs == 1 and row["hub-b"].lora is not None

        # An announcement from the region, over LoRa: on every hub's portal.
        sent = region_cli(
            "send", "--db", postgres_url, "--all", "--lora",
            "--title", "Drinkwater", "--body", "Tankwagen bij de sporthal vanaf 14:00.",
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        for name, hub in hubs.items():
            wait_for(
                lambda hub=hub: "Tankwagen bij de sporthal" in httpx.get(hub.url + "/announcements").text,
                90,
                f"the announcement on {name}'s portal",
                0.5,
            )
        message = sent.stdout.split()[1]
        wait_for(
            lambda: _lora_states(store, message) == dict.fromkeys(HUBS, "lora_acked"),
            60,
            "every hub's ACK of every part",
            0.5,
        )

        # The internet is back: the need's MQTT copy replaces its LoRa row; nothing twice.
        internet.restore()
        wait_for(lambda: lora_needs() and lora_needs()[0][1] > 0, 120, "hub-b's need over MQTT", 0.5)
        assert lora_needs() == [(need_event, lora_needs()[0][1])]

        def caught_up() -> bool:
            return all(hub.sync_status().get("unconfirmed") == 0 for hub in hubs.values())

        wait_for(caught_up, 120, "every hub's events confirmed upstream", 1.0)
        assert_every_event_once(store, HUBS)
        detail = views.hub_detail(store.engine, "hub-b", STALE)
        assert detail is not None and detail.by_type.get("need.created") == 1

        # The announcement's MQTT copy reached every hub too: it is the LoRa copy's portal item
        # (shown once, with the MQTT copy's title), and every hub's receipt reached the region.
        wait_for(
            lambda: arrived(store, message) == set(HUBS),
            120,
            "every hub's arrived receipt",
            1.0,
        )
        for name, hub in hubs.items():
            page = httpx.get(hub.url + "/announcements").text
            assert page.count("Tankwagen bij de sporthal") == 1, f"{name} shows it once"
            assert "Drinkwater: Tankwagen" not in page  # the MQTT copy's title, not the LoRa text
        assert len([n for n in detail.needs if n.fields.get("urgency") == "life"]) == 1
    finally:
        stop(station)
        for hub in hubs.values():
            hub.stop()
        consumer.terminate()
        consumer.wait(timeout=30)
        internet.close()
        broker.stop()
        store.dispose()


def _lora_states(store: RegionStore, message: str) -> dict[str, str]:
    return LoraStore(store).states([message]).get(message, {})

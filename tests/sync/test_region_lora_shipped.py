"""Over LoRa in the topology that ``deploy/`` ships: the hub's MQTT link stays up, the bridge does not.

On the Pi the hub talks to its local Mosquitto, which bridges to the region's broker. When the
internet goes, the hub's own MQTT connection is fine; only the local broker's bridge notification
(retained ``hubs/<id>/bridge`` = 0) tells it that nothing reaches the region. That notification,
and nothing else, must switch the region link on:

    resident ─▶ hub serve ─▶ local Mosquitto ══ bridge ══╳══▶ upstream Mosquitto ─▶ hub upstream
                    │                                                                (PostgreSQL)
                    └─▶ simulated radio ~~ RegionAir (10 % loss) ~~ station radio ─▶ hub region station

Two sites built from ``deploy/mosquitto.conf.j2`` (``tests/topology.py``); the region's consumer
and the station share the region's PostgreSQL. With the internet cut: a life-threatening need
and an SOS reach the station over LoRa, both hubs' summaries arrive within two summary periods,
and a region announcement over LoRa is on both portals. With the internet back: the MQTT copies
replace the LoRa rows, every event is stored once and confirmed, the announcement is shown once.
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
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.mesh.sim import RegionAir, Simulator
from hub.region import views
from hub.region.lora import LoraStore
from hub.region.store import RegionStore, events_table
from tests.sync.region_lora import arrived, assert_every_event_once, start_station, stop
from tests.topology import Topology, wait_for
from tests.topology_processes import _python_env

pytestmark = [pytest.mark.scale, pytest.mark.timeout(420)]

HUBS = ("hub-a", "hub-b")
SUMMARY_PERIOD = 60.0  # HUB_REGION_SUMMARY_MINUTES=1, the shortest the setting allows
STALE = timedelta(minutes=30)


@pytest.fixture
def station_radio() -> Iterator[Simulator]:
    radio = Simulator(handsets=1, preset="MEDIUM_FAST", seed=60)
    yield radio
    radio.stop()


def _region_env(key_file: Path, slot: int) -> dict[str, str]:
    return {
        "HUB_REGION_KEY_FILE": str(key_file),
        "HUB_REGION_AFTER_MINUTES": "0",
        "HUB_REGION_SUMMARY_MINUTES": "1",
        "HUB_REGION_SLOT_SECONDS": "5",
        "HUB_REGION_SLOT": str(slot),
        "HUB_REGION_RETRY_SECONDS": "5",
    }


def _region_status(url: str) -> dict[str, Any]:
    status: dict[str, Any] = httpx.get(url + "/api/v1/status", timeout=10).json()["mesh"]["region"]
    return status


def test_the_bridge_going_down_switches_the_region_link_on_in_the_shipped_topology(
    tmp_path: Path, postgres_url: str, station_radio: Simulator
) -> None:
    key_file = tmp_path / "region.key"
    key_file.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    store = RegionStore(postgres_url)
    store.create()
    lora = LoraStore(store)
    air = RegionAir(loss=0.1, hop_delay=0.3, retry_interval=0.5, seed=17)
    air.attach(station_radio)
    topology = Topology(tmp_path / "topology", region_db=postgres_url)
    for i, hub_id in enumerate(HUBS):
        site = topology.add_site(hub_id, handsets=1, hub_env=_region_env(key_file, 3 * i))
        assert site.radio is not None
        air.attach(site.radio)
    station: subprocess.Popen[bytes] | None = None
    try:
        topology.start()
        sites = [topology.site(h) for h in HUBS]
        for site in sites:
            answer = site.residents().post(
                "/api/v1/checkins", json={"address": "Kerkstraat 1", "status": "ok", "people": 1}
            )
            assert answer.status_code == 201, answer.text
        wait_for(lambda: set(store.marks()) == set(HUBS), 90, "the region to know both hubs", 0.2)
        for site in sites:  # MQTT reaches the region: the region link stays quiet
            assert _region_status(site.hub.url)["summaries_on"] is False
        port = station_radio.start_tcp("127.0.0.1", 0)
        station = start_station(tmp_path / "station.log", port, postgres_url, key_file, HUBS, _python_env({}))
        wait_for(lambda: station_radio.client_connected, 60, "the station's radio client", 0.2)

        # The internet goes. Each hub still has its local broker; only the bridge is down.
        topology.internet_down()
        cut_at = time.monotonic()
        for site in sites:
            site.wait_bridge(False)
            assert site.sync_connected(), "the hub's own MQTT link is up: the local broker is there"
            wait_for(
                lambda site=site: site.hub.sync_status().get("upstream_link") == "down",
                30,
                f"{site.hub_id} to hear that its bridge is down",
                0.2,
            )

        # A life-threatening need at hub-a, an SOS from a handset at hub-b: both at the station over LoRa.
        a, b = sites
        need = a.residents().post(
            "/api/v1/needs",
            json={
                "address": "Kerkstraat 1",
                "category": "medicine",
                "urgency": "life",
                "description": "Zuurstofconcentrator zonder stroom",
            },
        )
        assert need.status_code == 201, need.text
        assert b.radio is not None
        handset = b.radio.handsets[0]  # a handset the hub does not know: an SOS all the same
        b.radio.send_text(handset.node_id, "SOS bewoner gevallen Kerkstraat 1, reageert niet")
        asked_at = time.monotonic()

        def lora_urgent() -> dict[str, list[tuple[str, int]]]:
            with store.engine.connect() as conn:
                rows = conn.execute(
                    select(events_table.c.hub, events_table.c.id, events_table.c.seq).where(
                        events_table.c.type.in_(("need.created", "alert.raised"))
                    )
                ).all()
            found: dict[str, list[tuple[str, int]]] = {}
            for hub, event_id, seq in rows:
                found.setdefault(str(hub), []).append((str(event_id), int(seq)))
            return found

        wait_for(lambda: set(lora_urgent()) == set(HUBS), 60, "the need and the SOS at the station", 0.2)
        assert time.monotonic() - asked_at < 60
        urgent_ids = {hub: [event_id for event_id, _ in rows] for hub, rows in lora_urgent().items()}
        assert all(seq < 0 for rows in lora_urgent().values() for _, seq in rows), "they came over LoRa"

        # Both hubs' summaries within two summary periods of the cut.
        wait_for(
            lambda: set(lora.summaries()) == set(HUBS),
            2 * SUMMARY_PERIOD - (time.monotonic() - cut_at),
            "both hubs' summaries at the station",
            0.5,
        )
        assert lora.summaries()["hub-a"].figures["needs_by_urgency"]["life"] == 1
        rows = {r.hub: r for r in views.overview(store.engine, STALE, hub=None)}
        assert all(rows[h].lora is not None for h in HUBS), "the region's page shows 'via LoRa'"

        # An announcement from the region over LoRa: on both portals while the bridge is down.
        sent = subprocess.run(
            [sys.executable, "-m", "hub", "region", "send", "--db", postgres_url, "--all", "--lora",
             "--title", "Drinkwater", "--body", "Tankwagen bij de sporthal vanaf 14:00."],
            env=_python_env({}), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        message = sent.stdout.split()[1]
        for site in sites:
            wait_for(
                lambda site=site: "Tankwagen bij de sporthal" in site.residents().get("/announcements").text,
                90,
                f"the announcement on {site.hub_id}'s portal",
                0.5,
            )

        # The internet is back: the bridge carries the backlog; MQTT copies replace LoRa rows.
        topology.internet_up()
        for site in sites:
            site.wait_bridge(True)
        wait_for(
            lambda: all(seq > 0 for rows in lora_urgent().values() for _, seq in rows),
            120,
            "the need's and the SOS's MQTT copies",
            0.5,
        )
        assert {hub: [i for i, _ in rows] for hub, rows in lora_urgent().items()} == urgent_ids
        wait_for(
            lambda: all(site.hub.sync_status().get("unconfirmed") == 0 for site in sites),
            120,
            "every hub's events confirmed upstream",
            1.0,
        )
        for site in sites:
            wait_for(
                lambda site=site: _region_status(site.hub.url)["summaries_on"] is False,
                30,
                f"{site.hub_id}'s region link to go quiet",
                0.5,
            )
        assert_every_event_once(store, HUBS)
        wait_for(
            lambda: arrived(store, message) == set(HUBS),
            120,
            "both hubs' arrived receipts over MQTT",
            1.0,
        )
        for site in sites:
            page = site.residents().get("/announcements").text
            assert page.count("Tankwagen bij de sporthal") == 1, f"{site.hub_id} shows it once"
    finally:
        stop(station)
        topology.stop()
        store.dispose()

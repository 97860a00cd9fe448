"""A supply request from the hub's admin to the region's pages over LoRa alone (issue #14):
real HTTP on the hub, the hub's region link on one simulated radio, ``hub region station`` on
another radio of the same region air (the real meshtastic library on both), the region's
PostgreSQL and pages. MQTT is down throughout."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

from hub.config import Settings
from hub.mesh.adapter import MeshtasticRadio
from hub.mesh.region_link import RegionConfig
from hub.mesh.sim import RegionAir, Simulator
from hub.region import views
from hub.region.lora import LoraStore
from hub.region.station import Station, StationSettings
from hub.region.web import Region
from tests.admin.conftest import CSRF_INPUT, login, make_user
from tests.conftest import LiveServer
from tests.mesh.hubmesh import MeshHub, wait_until
from tests.region.conftest import RegionServer

pytestmark = pytest.mark.timeout(120)

KEY = os.urandom(32)


@pytest.fixture
def chain(settings: Settings, region: Region) -> Iterator[tuple[MeshHub, Region]]:
    air = RegionAir(seed=41, hop_delay=0.05)
    hub_radio = Simulator(handsets=1, preset="MEDIUM_FAST", seed=411)
    station_radio = Simulator(handsets=0, preset="MEDIUM_FAST", seed=412)
    air.attach(hub_radio)
    air.attach(station_radio)
    config = RegionConfig(
        key=KEY, hub_id=settings.id, after_seconds=3600, period_seconds=3600, retry_seconds=2.0
    )
    port = hub_radio.start_tcp("127.0.0.1", 0)
    mesh = MeshHub(settings, hub_radio, f"tcp://127.0.0.1:{port}", region=config, mqtt_up=lambda: False)
    radio = MeshtasticRadio(f"tcp://127.0.0.1:{station_radio.start_tcp('127.0.0.1', 0)}")
    radio.connect()
    station = Station(
        LoraStore(region.store), radio, StationSettings(key=KEY, hubs=(settings.id,), poll_seconds=0.2)
    )
    stop = threading.Event()
    thread = threading.Thread(target=station.run, args=(stop,), daemon=True)
    thread.start()
    mesh.start()
    try:
        yield mesh, region
    finally:
        mesh.stop()
        stop.set()
        thread.join(timeout=10)
        radio.close()
        hub_radio.stop()
        station_radio.stop()


def test_water_for_40_households_reaches_the_regions_pages_over_lora_once(
    chain: tuple[MeshHub, Region],
) -> None:
    mesh, region = chain
    hub_id = mesh.hub.settings.id
    make_user(mesh.hub, "coord")
    with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
        assert login(http, "coord").status_code == 303
        csrf = CSRF_INPUT.search(http.get("/admin/supplies").text)
        assert csrf
        form = {"csrf": csrf[1], "category": "water", "households": "40", "note": "tankwagen bij de school"}
        assert http.post("/admin/supplies", data=form).status_code == 303

        def heard() -> tuple[views.SupplyRequest, ...]:
            return views.overview(region.engine, region.stale_after, hub=hub_id)[0].supplies

        wait_until(lambda: views.hub_ids(region.engine) and heard(), 20, "the request at the region")
        # The station's ACK reaches the hub, which stops sending it.
        wait_until(lambda: mesh.link.status()["region"]["urgent_acked"] == 1, 20, "the region's ACK")
        assert mesh.link.status()["region"]["urgent_waiting"] == 0
    (request,) = heard()
    assert (request.category, request.households, request.note, request.via_lora) == (
        "water",
        40,
        "tankwagen bij de school",
        True,
    )
    with RegionServer(region) as server, server.login("victor") as client:
        assert "Verzoeken om voorraden: 1, voor 40 huishoudens" in client.get("/").text
        page = client.get(f"/hubs/{hub_id}").text
        assert "tankwagen bij de school" in page and ">40<" in page

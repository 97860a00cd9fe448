"""A real hub's events reach the region's pages: the hub's own sync link publishes through a real
Mosquitto, ``hub upstream``'s consumer stores them in PostgreSQL, ``hub region serve`` shows them
over HTTP. The hub's ``hub.status`` event (name, position, mode, figures) and ``drill.report``
come from its scheduler's job and its mode switch; what the hub did not share stays out."""

from __future__ import annotations

from pathlib import Path

from hub import jobs
from hub.region.store import RegionStore
from hub.region.views import overview
from hub.runtime import Hub
from hub.schemas import NeedCreate
from hub.services import drills, residents
from hub.sync.link import SyncLink
from hub.sync.upstream import UpstreamConsumer
from tests.region.conftest import RegionServer
from tests.sync.conftest import MosquittoBroker, backlog, hub_settings, wait_for


def test_a_hubs_events_show_on_the_region_pages(tmp_path: Path, region_server: RegionServer) -> None:
    region = region_server.region
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    store = RegionStore(region.store.url)
    consumer = UpstreamConsumer(
        broker.url, store=store, client_id="region-test", keepalive=2, max_backoff=1.0, overview_every=0
    )
    settings = hub_settings(
        tmp_path, "wijk-noord", broker.url, name="Wijk Noord", latitude=52.1, longitude=5.12, status_minutes=0
    )
    hub = Hub.from_settings(settings)
    try:
        consumer.start()
        hub.start()
        link = SyncLink.for_hub(hub, keepalive=2, connect_timeout=3.0, max_backoff=1.0, resend_after=2.0)
        hub.add_link(link)
        link.start()

        def mode(name: str) -> None:
            hub.store.write(lambda s: drills.set_mode(s, hub.ctx, name, actor="test"))

        mode("drill")
        mode("normal")  # the drill ends: its report goes upstream
        mode("crisis")
        need = NeedCreate(
            address="Kerkstraat 12", category="water", urgency="life", description="Mevrouw Jansen, 2e etage"
        )
        hub.store.write(lambda s: residents.create_need(s, hub.ctx, need))
        status = jobs.status_job(hub)
        assert status["name"] == "Wijk Noord" and status["lat"] == 52.1 and status["mode"] == "crisis"
        wait_for(lambda: backlog(hub)["unconfirmed"] == 0, 60, "every event confirmed by the region", 0.2)
        (row,) = overview(region.engine, region.stale_after)
        assert (row.name, row.lat, row.lon, row.mode, row.life_needs) == (
            "Wijk Noord",
            52.1,
            5.12,
            "crisis",
            1,
        )
        with region_server.login("victor") as client:
            page = client.get("/?lang=en").text
            detail = client.get("/hubs/wijk-noord?lang=en").text
        assert "Wijk Noord" in page and ">crisis<" in page and "<strong>⚠ 1</strong>" in page
        assert 'aria-label="Wijk Noord: crisis' in page  # on the map
        assert "LIFE-THREATENING" in detail and "kerkstraat" in detail
        assert "Kerkstraat 12" not in detail and "Jansen" not in detail  # HUB_SYNC_SHARE=aggregate
        assert "Drill reports" in detail and "None yet." not in detail.split("Drill reports")[1]
    finally:
        hub.stop()
        consumer.stop()
        store.dispose()
        broker.stop()

"""The shipped topology works as a whole: hub → local broker → bridge → upstream → region, and back."""

from __future__ import annotations

import json

from tests.topology import Topology, wait_for


def test_the_shipped_topology_carries_events_up_and_announcements_down(topology: Topology) -> None:
    site = topology.hub_site
    config = site.config.read_text()
    assert f"connection buurtbaken-{site.hub_id}" in config  # rendered from deploy/, role defaults
    assert f"address 127.0.0.1:{site.internet.port}" in config

    residents = site.residents()
    response = residents.post("/api/v1/checkins", json={"address": "Kerkstraat 1", "status": "ok"})
    assert response.status_code == 201
    wait_for(lambda: site.hub.sync_status()["unconfirmed"] == 0, 30, "the check-in confirmed by the region")
    assert "checkin.created" in [event["type"] for event in topology.region.events(site.hub_id)]

    topology.publish_upstream(
        topology.topics.announcements,
        json.dumps(
            {"id": "regio-1", "title": "Proefbericht", "body": "Dit is een test.", "priority": "info"}
        ).encode(),
    )
    wait_for(lambda: "Proefbericht" in residents.get("/announcements").text, 30, "the region's announcement")

    topology.internet_down()
    site.wait_bridge(False)
    topology.internet_up()
    site.wait_bridge(True)

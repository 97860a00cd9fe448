"""Loop 3: what the region publishes for a hub while the hub is cut off reaches it afterwards.

The shipped topology: the region's announcement and a message to the hub's coordinators are
published on the upstream broker while the link between the Pi's broker and upstream is cut
(and the upstream broker restarts meanwhile). When the link returns, the bridge's session on
the upstream broker still holds them, and the hub applies each once, however often it arrives.
"""

from __future__ import annotations

import json

from tests.topology import Topology, wait_for


def test_messages_published_while_the_hub_is_cut_off_arrive_once(topology: Topology) -> None:
    site = topology.hub_site
    residents = site.residents()
    topology.internet_down()
    site.wait_bridge(False)

    topology.upstream.restart()  # the region's broker restarts during the outage: sessions are saved
    announcement = {
        "id": "gemeente-2026-12-03-1",
        "sender": "gemeente",
        "title": "Noodwater op het Schoolplein",
        "body": "Vanaf 14 uur water halen op het Schoolplein.",
        "priority": "warning",
    }
    inbox = {
        "id": "regio-77",
        "sender": "veiligheidsregio",
        "subject": "Aggregaat",
        "body": "Komt om 16 uur.",
    }
    for _ in range(2):  # the region's desk retries: the same message twice
        topology.publish_upstream(topology.topics.announcements, json.dumps(announcement).encode())
        topology.publish_upstream(topology.topics.hub(site.hub_id, "inbox"), json.dumps(inbox).encode())
    assert "Noodwater" not in residents.get("/announcements").text

    topology.internet_up()
    site.wait_bridge(True)
    wait_for(
        lambda: "Noodwater" in residents.get("/announcements").text, 30, "the announcement after the outage"
    )
    wait_for(
        lambda: site.hub.query("SELECT count(*) FROM inbox_messages")[0][0] == 1, 30, "the inbox message"
    )
    topology.publish_upstream(topology.topics.announcements, json.dumps(announcement).encode())  # once more
    wait_for(lambda: site.hub.query("SELECT count(*) FROM inbound_applied")[0][0] >= 2, 10, "applied marks")
    titles = [t for (t,) in site.hub.query("SELECT title FROM announcements WHERE title LIKE 'Noodwater%'")]
    assert titles == ["Noodwater op het Schoolplein"]
    assert site.hub.query("SELECT sender, body FROM inbox_messages") == [
        ("veiligheidsregio", "Komt om 16 uur.")
    ]


def test_a_message_sent_while_the_pi_has_no_power_arrives_when_it_is_back(topology: Topology) -> None:
    site = topology.hub_site
    site.hub.power_cut()  # the Pi loses power: the hub and its broker die at once
    site.local.kill()
    message = {"id": "regio-78", "sender": "veiligheidsregio", "body": "Stroom is terug om 18 uur."}
    topology.publish_upstream(topology.topics.hub(site.hub_id, "inbox"), json.dumps(message).encode())
    site.local.start()  # power back: systemd starts the broker and the hub
    site.hub.start()
    wait_for(
        lambda: site.hub.query("SELECT body FROM inbox_messages") == [("Stroom is terug om 18 uur.",)],
        30,
        "the message sent while the Pi was off",
    )

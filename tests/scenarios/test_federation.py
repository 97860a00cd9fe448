"""Loop 7, federation: a peer that missed events catches up; the origin's status closes mirrors.

Two hubs in the shipped topology, each behind its own Mosquitto bridged to the region's broker;
``hub-b`` mirrors ``hub-a``'s needs and offers. ``hub-b`` is down while ``hub-a`` takes 40 needs
and its broker loses what it held for the hub (as a broker with Debian's default configuration
does): back up, ``hub-b`` asks ``hub-a`` to replay from its last contiguous seq and mirrors them
all. ``hub-a``'s ``need.status`` / ``offer.status`` events resolve, cancel and mark duplicate
the mirrors, its ``need.deleted`` removes one (a task made for it on ``hub-b`` stays); garbage
and unknown ids become dead letters; a full replay changes nothing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from hub.db import Database
from hub.services.context import HubContext
from hub.services.outbox import append_event
from tests.topology import Site, Timing, Topology, wait_for

ORIGIN, PEER = "hub-a", "hub-b"


def post_need(site: Site, n: int) -> str:
    response = site.residents().post(
        "/api/v1/needs",
        json={
            "address": f"Molenweg {n}",
            "category": "water",
            "urgency": "normal",
            "description": "geen water",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def emit(site: Site, events: list[tuple[str, dict[str, Any]]]) -> None:
    """Status events written to the origin's outbox by our outbox service (the origin's services
    emit them when a coordinator closes a need), then a check-in that wakes its sync link."""
    database = Database(f"sqlite:///{site.hub.database}")
    database.start()
    try:
        ctx = HubContext(hub_id=site.hub_id)
        for event_type, data in events:
            database.writer.run_sync(lambda s, t=event_type, d=data: append_event(s, ctx, t, d))
    finally:
        database.close()
    site.residents().post("/api/v1/checkins", json={"address": "Molenweg 1", "status": "ok"})


def mirrors(site: Site) -> dict[str, str]:
    return dict(site.hub.query("SELECT id, status FROM needs WHERE origin_hub = ?", ORIGIN))


def dead_letters(site: Site) -> int:
    return int(site.hub.query("SELECT count(*) FROM dead_letters")[0][0])


def test_a_peer_catches_up_and_follows_the_origins_status(make_topology: Callable[..., Topology]) -> None:
    topology = make_topology(
        sites={ORIGIN: [], PEER: [ORIGIN]},
        handsets=0,
        timing=Timing(
            hub_env={"HUB_SYNC_RESEND_AFTER": "1", "HUB_SYNC_RESEND_MAX": "4", "HUB_SYNC_SHARE": "needs"}
        ),
    )
    origin, peer = topology.site(ORIGIN), topology.site(PEER)
    first = [post_need(origin, n) for n in range(3)]
    wait_for(lambda: set(first) <= set(mirrors(peer)), 30, "the first needs mirrored")

    # The peer is down; what its broker held for it is lost.
    peer.hub.stop()
    missed = [post_need(origin, n) for n in range(3, 43)]
    offer = origin.residents().post(
        "/api/v1/offers", json={"category": "generator", "description": "aggregaat"}
    )
    assert offer.status_code == 201
    offer_id = offer.json()["id"]
    wait_for(lambda: origin.hub.sync_status()["unconfirmed"] == 0, 30, "the origin's events upstream")
    time.sleep(1.0)  # ... and over the peer's bridge into its broker
    peer.local.kill(lose_data=True)
    peer.local.start()
    peer.hub.start()
    wait_for(lambda: set(first + missed) <= set(mirrors(peer)), 60, "the peer caught up by a replay")
    wait_for(
        lambda: peer.hub.query("SELECT status FROM offers WHERE id = ?", offer_id) == [("open",)],
        30,
        "the offer mirrored",
    )

    # A coordinator of the peer sends a volunteer for one of the mirrored needs.
    task = peer.admin().post(
        "/api/v1/admin/tasks", json={"kind": "delivery", "address": "Molenweg 4", "need_id": missed[1]}
    )
    assert task.status_code == 201, task.text

    # The origin's coordinator closes, cancels, marks a duplicate and deletes (a resident asked it
    # to), through the admin API; a bad status and an unknown id are refused on the peer.
    admin = origin.admin()
    assert admin.delete(f"/api/v1/admin/needs/{missed[1]}").status_code == 204
    for need_id, body in (
        (first[0], {"status": "resolved"}),
        (first[1], {"status": "cancelled"}),
        (missed[0], {"status": "duplicate", "duplicate_of": first[2]}),
    ):
        answer = admin.post(f"/api/v1/admin/needs/{need_id}/status", json=body)
        assert answer.status_code == 200, answer.text
    assert admin.post(f"/api/v1/admin/offers/{offer_id}/status", json={"status": "used"}).status_code == 200
    emit(
        origin,
        [
            ("need.status", {"id": "01JUNKNOWN0000000000000000", "status": "resolved"}),
            ("need.status", {"id": first[2], "status": "exploded"}),
        ],
    )
    garbage = [b"{not json", json.dumps({"id": "x", "hub": "hub-z", "seq": 1, "type": "need.status",
                                          "at": "2026-12-03T10:00:00Z", "data": {}}).encode()]  # fmt: skip
    for payload in garbage:
        topology.publish_upstream(topology.topics.hub(ORIGIN, "events"), payload)
    expected = {first[0]: "resolved", first[1]: "cancelled", missed[0]: "duplicate"}
    wait_for(lambda: expected.items() <= mirrors(peer).items(), 30, "the mirrors' status")
    wait_for(lambda: missed[1] not in mirrors(peer), 30, "the deleted need gone from the peer")
    assert peer.hub.query("SELECT need_id FROM tasks WHERE id = ?", task.json()["id"]) == [(None,)]
    wait_for(lambda: dead_letters(peer) == 4, 30, "two refused events and two garbage messages parked")
    assert peer.hub.query("SELECT status FROM offers WHERE id = ?", offer_id) == [("used",)]
    assert mirrors(peer)[first[2]] == "open"
    assert peer.hub.query("SELECT duplicate_of FROM needs WHERE id = ?", missed[0]) == [(first[2],)]
    assert peer.hub.query("SELECT resolved_at IS NOT NULL FROM needs WHERE id = ?", first[0]) == [(1,)]

    # Everything again (a replay from 1): applied once, nothing parked twice, the link unbroken.
    before = mirrors(peer)
    topology.publish_upstream(topology.topics.hub(ORIGIN, "replay"), json.dumps({"from": 1}).encode())
    last = int(origin.hub.query("SELECT max(seq) FROM outbox")[0][0])
    time.sleep(3)
    assert mirrors(peer) == before
    assert dead_letters(peer) == 4
    assert peer.hub.sync_status()["peers"][ORIGIN]["contiguous"] == last
    late = post_need(origin, 99)
    wait_for(lambda: late in mirrors(peer), 30, "a new need still mirrored")
    page = peer.coordinator().get("/admin/sync").text
    assert "Gefedereerde hubs" in page and re.search(rf"<td[^>]*>{ORIGIN}</td><td[^>]*>{last + 1}</td>", page)

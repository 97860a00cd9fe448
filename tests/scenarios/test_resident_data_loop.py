"""Loops 7 and 8 end to end, in the topology we ship: a resident's need is closed and deleted,
and the region follows.

Real parts (``tests/topology.py``): ``hub serve`` as a process, the local Mosquitto rendered
from ``deploy/``, its bridge over a cuttable internet link to the region's Mosquitto, and
``hub upstream`` as the region. A resident posts a need over HTTP; the coordinator turns a call
for help into a task in one click and resolves the need; while the internet is down the
resident asks for the need to be deleted and their phone retries the old submission. After
the link returns the region has ``need.created``, ``need.status`` and ``need.deleted`` (only the
id), in order, once, confirmed; the retry stored nothing; the municipality's export holds none
of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.topology import Topology, wait_for


def test_a_need_resolved_and_deleted_on_the_hub_is_resolved_and_deleted_in_the_region(
    make_topology: Callable[..., Topology],
) -> None:
    topology = make_topology(handsets=0)
    site = topology.hub_site
    admin, resident = site.admin(), site.residents()

    def region_types() -> list[str]:
        return [event["type"] for event in topology.region.events(site.hub_id)]

    # A resident asks for water, from a phone that may retry; a neighbour calls for help.
    key = {"Idempotency-Key": "phone-7f3a-need-1"}
    body = {"address": "Molenweg 2", "category": "water", "urgency": "urgent", "description": "twee kratten"}
    posted = resident.post("/api/v1/needs", json=body, headers=key)
    assert posted.status_code == 201, posted.text
    need_id = posted.json()["id"]
    call = resident.post("/api/v1/checkins", json={"address": "Dorpsstraat 21", "status": "help"})
    assert call.status_code == 201

    # The coordinator makes a task of the call for help in one click, and resolves the need.
    assert [c["id"] for c in admin.get("/api/v1/admin/worklist").json()["items"]] == [call.json()["id"]]
    task = admin.post(f"/api/v1/admin/checkins/{call.json()['id']}/task", json={})
    assert task.status_code == 201 and task.json()["address"] == "Dorpsstraat 21"
    assert admin.get("/api/v1/admin/worklist").json()["items"] == []
    resolved = admin.post(f"/api/v1/admin/needs/{need_id}/status", json={"status": "resolved"})
    assert resolved.status_code == 200, resolved.text
    assert (
        admin.post(f"/api/v1/admin/needs/{need_id}/status", json={"status": "duplicate"}).status_code == 422
    )
    assert (
        admin.post(f"/api/v1/admin/needs/{need_id}/status", json={"status": "cancelled"}).status_code == 409
    )
    wait_for(lambda: "need.status" in region_types(), 60, "need.status in the region")

    # The internet goes down; the resident asks for the need to be deleted; the phone retries.
    topology.internet_down()
    site.wait_bridge(False)
    assert admin.delete(f"/api/v1/admin/needs/{need_id}").status_code == 204
    retried = resident.post("/api/v1/needs", json=body, headers=key)
    assert retried.status_code == 409, retried.text
    assert admin.get("/api/v1/admin/needs").json()["items"] == []
    assert admin.delete(f"/api/v1/admin/needs/{need_id}").status_code == 404

    # The link returns: the deletion reaches the region, in order, confirmed.
    topology.internet_up()
    site.wait_bridge(True)
    wait_for(
        lambda: site.hub.sync_status()["unconfirmed"] == 0 and "need.deleted" in region_types(),
        90,
        "the deletion confirmed by the region",
    )
    events = topology.region.events(site.hub_id)
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    about_need = [event for event in events if event["data"].get("id") == need_id]
    assert [event["type"] for event in about_need] == ["need.created", "need.status", "need.deleted"]
    assert about_need[1]["data"] == {"id": need_id, "status": "resolved", "duplicate_of": None}
    assert about_need[2]["data"] == {"id": need_id}
    assert "twee kratten" not in json.dumps([event["data"] for event in events])  # aggregate share level

    # The export for the municipality holds neither the deleted need nor the caller's address.
    exported = site.hub.cli("export", "--format", "json")
    assert need_id not in exported and "Dorpsstraat 21" not in exported
    assert json.loads(exported)["scope"] == "minimised"

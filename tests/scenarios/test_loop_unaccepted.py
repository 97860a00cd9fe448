"""Loop 5: a task nobody accepts comes back to the coordinator, in the topology we ship.

A coordinator gives a task to Anna; her handset acknowledges the dispatch but she never
answers. The hub offers it to Bram, then to Chantal (each told when it moves on), never to
anyone twice. After three offers (``HUB_TASK_MAX_OFFERS``) it stops travelling: the
dashboard flags it as "nobody accepted" with every attempt (who, when, no answer), and the
region hears ``task.nobody_accepted``. The coordinator gives it to Anna again by hand; she
takes it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from tests.scenarios.loops import Coordinator, metric
from tests.topology import Topology, wait_for


def test_a_task_nobody_accepts_comes_back_to_the_coordinator(make_topology: Callable[..., Topology]) -> None:
    topology = make_topology(
        hub_env={
            "HUB_CLOCK_SYNC_CHECK": "off",
            "HUB_TASK_ACCEPT_MINUTES": "0.05",  # 3 s without JA: the next volunteer
            "HUB_TASK_MAX_OFFERS": "3",
        }
    )
    site = topology.hub_site
    radio = site.radio
    assert radio is not None
    handsets = radio.handsets
    admin = site.admin()
    ids = {}
    for name, handset in zip(("Anna", "Bram", "Chantal"), handsets, strict=True):
        response = admin.post("/api/v1/admin/volunteers", json={"name": name, "node_id": handset.node_id})
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    task = admin.post(
        "/api/v1/admin/tasks",
        json={"kind": "delivery", "address": "Molenweg 4", "note": "water", "volunteer_id": ids["Anna"]},
    ).json()
    number = task["number"]

    def state() -> dict[str, object]:
        return dict(admin.get(f"/api/v1/admin/tasks/{task['id']}").json())

    wait_for(lambda: state()["nobody_accepted"] is True, 90, "the task to come back to the coordinator")
    offers = admin.get(f"/api/v1/admin/tasks/{task['id']}/offers").json()
    assert [(o["volunteer_name"], o["outcome"]) for o in offers] == [
        ("Anna", "no_answer"),
        ("Bram", "no_answer"),
        ("Chantal", "no_answer"),
    ]
    time.sleep(3)  # the re-offer job runs every second here: it leaves the task alone now
    assert len(admin.get(f"/api/v1/admin/tasks/{task['id']}/offers").json()) == 3
    for handset in handsets:  # each was offered the task once, and the first two were told it moved on
        dispatches = [t for t in radio.received(handset.node_id) if t.text.startswith(f"T{number} BRENG")]
        assert len(dispatches) == 1
    for handset in handsets[:2]:
        assert any("gaat naar een ander" in t.text for t in radio.received(handset.node_id))
    assert metric(site.residents().get("/metrics").text, "hub_tasks_nobody_accepted") == 1

    # The coordinator sees it on the dashboard with every attempt, and gives it to Anna by hand.
    marije = Coordinator(site, "marije")
    dashboard = marije.page("/admin")
    section = dashboard[dashboard.index('id="unaccepted"') :]
    section = section[: section.index("</section>")]
    assert f"T{number}" in section and "Molenweg 4" in section
    assert re.search(r"Anna \([^)]*(geen antwoord|no answer)\).*Bram.*Chantal", section, re.S)
    assert "/admin/tasks/" in section  # the form to give it to someone by hand
    wait_for(
        lambda: "task.nobody_accepted" in [e["type"] for e in topology.region.events(site.hub_id)],
        60,
        "task.nobody_accepted at the region",
    )

    assert marije.post(f"/admin/tasks/{task['id']}/assign", {"volunteer_id": ids["Anna"]}).status_code == 303
    wait_for(
        lambda: (
            len([t for t in radio.received(handsets[0].node_id) if t.text.startswith(f"T{number} BRENG")])
            == 2
        ),
        30,
        "the task on Anna's handset again",
    )
    radio.send_text(handsets[0].node_id, f"JA {number}")
    wait_for(lambda: state()["status"] == "accepted", 30, "Anna's JA")
    assert state()["nobody_accepted"] is False
    assert 'id="unaccepted"' not in marije.page("/admin")

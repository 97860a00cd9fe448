"""Loop 1: an SOS and a field report reach a person, in the topology we ship.

A volunteer's handset sends ``SOS …`` over the simulated radio (real meshtastic library) and
hears only what happened: received by the hub, no coordinator has seen it yet. A node that
is no volunteer sends an SOS too: it is an SOS all the same. Both stay on top of the
dashboard and in every admin page's header; /metrics and /api/v1/status count them; the
region receives ``alert.raised`` through the local broker and the bridge. A coordinator
logs in, sees them, acknowledges one (bad input first: nothing changes); the volunteer hears
who has seen it, the region receives ``alert.acknowledged``. Free text waits until marked.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.scenarios.loops import Coordinator, metric
from tests.topology import Topology, wait_for

ACK_FORM = re.compile(r'action="/admin/alerts/([0-9A-Z]+)/ack"')


def test_an_sos_stays_on_top_until_a_coordinator_acknowledges_it(
    make_topology: Callable[..., Topology],
) -> None:
    topology = make_topology(hub_env={"HUB_CLOCK_SYNC_CHECK": "off"})
    site = topology.hub_site
    radio = site.radio
    assert radio is not None
    anna, bram, stranger = radio.handsets
    admin = site.admin()
    for name, handset in (("Anna", anna), ("Bram", bram)):
        assert admin.post(
            "/api/v1/admin/volunteers", json={"name": name, "node_id": handset.node_id}
        ).is_success
    public = site.residents()

    # The volunteer's SOS and the unknown node's SOS: answered honestly, at SOS priority.
    radio.send_text(anna.node_id, "SOS gevallen bij de molen, enkel")
    radio.send_text(stranger.node_id, "SOS rook uit Molenweg 4")
    for handset in (anna, stranger):
        reply = radio.wait_for_text(handset.node_id, lambda t: t.text.startswith("SOS"), timeout=30)
        assert "no coordinator has seen it yet" in reply.text
        assert "gewaarschuwd" not in reply.text  # it promises nothing that did not happen
    radio.send_text(anna.node_id, "brug dicht bij de Molenweg")  # a field report

    wait_for(lambda: public.get("/api/v1/status").json()["alerts"]["open"] == 2, 30, "two open alerts")
    metrics = public.get("/metrics").text
    assert metric(metrics, "hub_alerts_open") == 2
    wait_for(lambda: metric(public.get("/metrics").text, "hub_messages_unhandled") == 1, 30, "the report")

    # The region hears of both through the local broker and the bridge.
    def region_types() -> list[str]:
        return [e["type"] for e in topology.region.events(site.hub_id)]

    wait_for(lambda: region_types().count("alert.raised") == 2, 60, "alert.raised at the region")
    raised = [e["data"] for e in topology.region.events(site.hub_id) if e["type"] == "alert.raised"]
    assert {(d["name"], d["unknown_node"]) for d in raised} == {("Anna", False), (None, True)}

    # A coordinator logs in: the alerts are on top of the dashboard and in every page's header.
    marije = Coordinator(site, "marije")
    dashboard = marije.page("/admin")
    assert dashboard.index('id="alerts"') < dashboard.index("modebar")
    assert "Anna" in dashboard and "gevallen bij de molen" in dashboard
    assert (
        f"Onbekende node {stranger.node_id}" in dashboard or f"Unknown node {stranger.node_id}" in dashboard
    )
    for other in ("/admin/tasks", "/admin/audit", "/admin/messages"):
        assert 'class="alertbar"' in marije.page(other)
    ids = ACK_FORM.findall(dashboard)
    assert len(ids) == 2
    anna_alert = next(i for i in ids if dashboard.index(i) < dashboard.index(stranger.node_id))

    # Bad input changes nothing: an unknown id, a missing CSRF token.
    assert marije.post("/admin/alerts/01JUNKNOWN0000000000000000/ack").status_code == 404
    assert marije.post(f"/admin/alerts/{anna_alert}/ack", csrf=False).status_code == 403
    assert admin.post("/api/v1/admin/alerts/01JUNKNOWN0000000000000000/ack").status_code == 404
    assert public.get("/api/v1/status").json()["alerts"]["open"] == 2
    listed = admin.get("/api/v1/admin/alerts").json()["items"]
    assert [(a["unknown_node"], a["acknowledged_at"]) for a in listed] == [(True, None), (False, None)]

    # Acknowledged: audited, upstream, and Anna hears who has seen it.
    assert marije.post(f"/admin/alerts/{anna_alert}/ack").status_code == 303
    seen = radio.wait_for_text(anna.node_id, lambda t: "gezien door" in t.text, timeout=30)
    assert "marije" in seen.text and "seen by coordinator marije" in seen.text
    assert public.get("/api/v1/status").json()["alerts"]["open"] == 1
    again = marije.post(f"/admin/alerts/{anna_alert}/ack")
    assert again.status_code == 409  # a second acknowledgement is refused, nothing changes
    assert admin.post(f"/api/v1/admin/alerts/{anna_alert}/ack").status_code == 409
    audit = marije.page("/admin/audit")
    assert audit.count("alert.acknowledge") == 1 and "marije" in audit
    wait_for(lambda: region_types().count("alert.acknowledged") == 1, 60, "alert.acknowledged at the region")
    acknowledged = next(
        e["data"] for e in topology.region.events(site.hub_id) if e["type"] == "alert.acknowledged"
    )
    assert (acknowledged["id"], acknowledged["by"]) == (anna_alert, "marije")
    dashboard = marije.page("/admin")
    assert len(ACK_FORM.findall(dashboard)) == 1  # the unknown node's SOS still waits on top

    # The field report waits in Messages until a coordinator marks it handled.
    messages = marije.page("/admin/messages")
    assert "brug dicht bij de Molenweg" in messages
    handled = re.search(r'action="/admin/messages/([0-9A-Z]+)/handled"', messages)
    assert handled is not None
    assert marije.post(f"/admin/messages/{handled[1]}/handled").status_code == 303
    assert metric(public.get("/metrics").text, "hub_messages_unhandled") == 0

"""Scenario 2 of SCENARIOS.md walked again, end to end, in the topology we ship (issue 10).

``hub serve`` with the simulated radio (three handsets over the real meshtastic library) →
the Pi's Mosquitto rendered from ``deploy/`` → a cuttable internet link → the region's
Mosquitto ← ``hub upstream``. Power, phones and internet go down: the coordinator switches to
crisis mode and announces; residents check in (a special-attention household reported OK
without its code stays on the door-knock list); a life-threatening need goes out at once; the
internet is cut; the municipality publishes a message during the outage; overdue
special-attention households become door-knock tasks on a volunteer's handset; one task nobody
accepts comes back to the coordinator; a volunteer's SOS stays open until a coordinator
acknowledges it; a coordinator deletes a resident's record; the internet returns: the
municipality's message arrives (once) and the backlog drains to the region once, in seq order,
confirmed, without a flood.

Time runs fast: escalation after 0.003 h (11 s) of crisis, a task offer waits 6 s, two offers.
The Pi's power cuts (steps 1 and 5 of the scenario) are walked in ``test_power_cut.py`` and
``test_cut_off_messages.py``; here they are left out to keep the run short.

It fails when a loop of issue 10 is broken again. Checked by breaking, one at a time:

- loop 1, the SOS stored as handled instead of raised as an alert (``message.handled = True``
  in place of ``alerts.raise_sos`` in ``hub/services/mesh_inbound.py``): fails in
  ``sos_until_acknowledged``;
- loop 3, the bridge back on MQTT 5 (``broker_bridge_protocol_version: mqttv50`` in
  ``ansible/roles/broker/defaults/main.yml``, rendered into the shipped configuration): fails in
  ``internet_returns``, waiting for the municipality's message;
- loop 5, no limit on offers (``back_to_coordinator`` always False in ``hub/domain/offers.py``):
  fails in ``nobody_accepts_molenweg``;
- loop 6, an unverified check-in counted as reached (``reached_ids`` in
  ``hub/services/escalation.py`` without ``verified``): fails in ``residents_check_in``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from hub.mesh.sim import Simulator
from tests.scenarios.loops import Coordinator
from tests.topology import MqttWatcher, Site, Timing, Topology, wait_for

HUB_ENV = {
    "HUB_CLOCK_SYNC_CHECK": "off",
    "HUB_ESCALATION_HOURS": "0.003",  # 10.8 s of crisis without a verified check-in: a door knock
    "HUB_TASK_ACCEPT_MINUTES": "0.1",  # 6 s without JA: the next volunteer
    "HUB_TASK_MAX_OFFERS": "2",
}
SYNC_ENV = {"HUB_SYNC_RESEND_AFTER": "0.5", "HUB_SYNC_RESEND_MAX": "5"}
MUNICIPALITY = {
    "id": "gemeente-2026-11-29-1",
    "sender": "gemeente",
    "title": "Noodstroom bij de sporthal",
    "body": "Vanaf 12 uur telefoons laden bij de sporthal.",
    "priority": "warning",
}


@dataclass
class Street:
    """What the test knows about the neighbourhood: the hub, its people and their records."""

    topology: Topology
    site: Site
    admin: httpx.Client
    residents: httpx.Client
    volunteers: dict[str, str] = field(default_factory=dict)  # name -> volunteer id
    nodes: dict[str, str] = field(default_factory=dict)  # name -> handset node id
    codes: dict[str, str] = field(default_factory=dict)  # address -> household code
    households: dict[str, str] = field(default_factory=dict)  # address -> household id
    coordinator: Coordinator | None = None
    to_delete: str = ""  # a check-in a resident asked to have deleted

    @property
    def radio(self) -> Simulator:
        assert self.site.radio is not None
        return self.site.radio

    def heard(self, name: str, predicate: Callable[[str], bool], timeout: float = 30) -> str:
        return str(
            self.radio.wait_for_text(self.nodes[name], lambda t: predicate(t.text), timeout=timeout).text
        )

    def tasks(self) -> list[dict[str, object]]:
        return list(self.admin.get("/api/v1/admin/tasks?limit=200").json()["items"])

    def task_for(self, address: str) -> dict[str, object] | None:
        return next((t for t in self.tasks() if t["address"] == address and t["automatic"]), None)

    def door_knock_list(self) -> str:
        assert self.coordinator is not None
        return self.coordinator.page("/admin/print/doorknock")

    def open_alerts(self) -> int:
        return int(self.residents.get("/api/v1/status").json()["alerts"]["open"])

    def region_types(self) -> list[str]:
        return [e["type"] for e in self.topology.region.events(self.site.hub_id)]


# --- the steps -------------------------------------------------------------------------------------


def preparedness(street: Street) -> None:
    """Normal mode: three volunteers with handsets, three special-attention households."""
    for name, handset in zip(("Anna", "Bram", "Chantal"), street.radio.handsets, strict=True):
        response = street.admin.post(
            "/api/v1/admin/volunteers", json={"name": name, "node_id": handset.node_id}
        )
        assert response.status_code == 201, response.text
        street.volunteers[name] = response.json()["id"]
        street.nodes[name] = handset.node_id
    for address, flags, buddy in (
        ("Dorpsstraat 21", ["medical_device"], "Anna"),  # oxygen; silent: a door knock for her buddy
        ("Molenweg 2", ["no_phone", "alone_75plus"], None),  # "reported OK" by someone, without code
        ("Kerkstraat 5", ["mobility"], None),  # checks in with the code on her card
    ):
        body: dict[str, object] = {
            "address": address,
            "special_attention": flags,
            "consent": {"given_by": "zelf", "share_upstream": False},
        }
        if buddy:
            body["buddy_volunteer_id"] = street.volunteers[buddy]
        response = street.admin.post("/api/v1/admin/households", json=body)
        assert response.status_code == 201, response.text
        street.codes[address] = response.json()["code"]
        street.households[address] = response.json()["id"]
    street.coordinator = Coordinator(street.site, "marije")


def crisis_and_announcement(street: Street) -> None:
    """The coordinator switches to crisis mode and announces, on the portal and the mesh."""
    assert street.admin.put("/api/v1/admin/mode", json={"mode": "crisis"}).status_code in (200, 204)
    response = street.admin.post(
        "/api/v1/admin/announcements",
        json={
            "title": "Stroomstoring",
            "body": "Water en telefoon opladen in het buurthuis, 9-21 uur.",
            "priority": "urgent",
            "send_mesh": True,
        },
    )
    assert response.status_code == 201, response.text
    for name in street.nodes:
        street.heard(name, lambda text: "Stroomstoring" in text)
    assert "Stroomstoring" in street.residents.get("/announcements").text


def residents_check_in(street: Street) -> None:
    """At the centre: check-ins over the API; Molenweg 2 "OK" without its code stays on the list."""
    for n in range(1, 11):
        response = street.residents.post(
            "/api/v1/checkins", json={"address": f"Kerkstraat {n + 10}", "status": "ok"}
        )
        assert response.status_code == 201
    hearsay = street.residents.post("/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok"})
    assert hearsay.status_code == 201 and hearsay.json()["verified"] is False
    own = street.residents.post(
        "/api/v1/checkins",
        json={"address": "Kerkstraat 5", "status": "ok", "code": street.codes["Kerkstraat 5"]},
    )
    assert own.status_code == 201 and own.json()["verified"] is True
    forget_me = street.residents.post("/api/v1/checkins", json={"address": "Schoolstraat 3", "status": "ok"})
    assert forget_me.status_code == 201
    street.to_delete = forget_me.json()["id"]
    listed = street.door_knock_list()
    assert "Molenweg 2" in listed and "Dorpsstraat 21" in listed
    assert "Kerkstraat 5" not in listed


def life_threatening_need(street: Street) -> None:
    """Oxygen at Dorpsstraat 21: the portal says call 112; the need goes out over the mesh at once."""
    need = street.residents.post(
        "/api/v1/needs",
        json={
            "address": "Dorpsstraat 21",
            "category": "medical_device",
            "urgency": "life",
            "description": "zuurstofapparaat, accu bijna leeg",
        },
    )
    assert need.status_code == 201 and need.json()["call_112"] is True
    street.heard("Bram", lambda text: text.startswith("SPOED"))
    assert street.admin.get("/api/v1/admin/needs").json()["items"][0]["urgency"] == "life"


def internet_outage(street: Street) -> tuple[int, int]:
    """Mobile networks fail: the link to the region is cut. Returns (outbox size, broker baseline)."""
    time.sleep(2 * street.topology.timing.sys_interval)
    baseline = street.site.local_stored_messages()
    wait_for(
        lambda: street.site.hub.sync_status()["unconfirmed"] == 0, 30, "everything confirmed before the cut"
    )
    street.topology.internet_down()
    street.site.wait_bridge(False)
    return street.site.hub.query("SELECT count(*) FROM outbox")[0][0], baseline


def municipality_publishes(street: Street) -> None:
    """The municipality publishes during the outage; its desk retries (the same message twice)."""
    for _ in range(2):
        street.topology.publish_upstream(
            street.topology.topics.announcements, json.dumps(MUNICIPALITY).encode()
        )
    assert MUNICIPALITY["title"] not in street.residents.get("/announcements").text


def honest_help_reply(street: Street) -> None:
    """A volunteer reports a neighbour needing help: the reply promises only what happened."""
    street.radio.send_text(street.nodes["Bram"], "CHECKIN Schoolstraat 9 HULP rolstoel, lift stuk")
    reply = street.heard("Bram", lambda text: text.startswith("Check-in Schoolstraat 9"))
    assert "no coordinator has seen it yet" in reply and "gewaarschuwd" not in reply


def escalation_reaches_a_handset(street: Street) -> int:
    """Silent special-attention households become door-knock tasks; the buddy's handset buzzes."""
    wait_for(lambda: street.task_for("Dorpsstraat 21") is not None, 40, "the door knock for Dorpsstraat 21")
    wait_for(lambda: street.task_for("Molenweg 2") is not None, 10, "the door knock for Molenweg 2")
    assert street.task_for("Kerkstraat 5") is None  # verified with her own code
    task = street.task_for("Dorpsstraat 21")
    assert (
        task is not None
        and task["kind"] == "door_knock"
        and task["volunteer_id"] == street.volunteers["Anna"]
    )
    number = int(str(task["number"]))
    street.heard("Anna", lambda text: text.startswith(f"T{number} KLOP Dorpsstraat 21"))
    return number


def anna_knocks(street: Street, number: int) -> None:
    """Anna takes it over LoRa, knocks, checks in for the household and finishes."""
    # As the stock apps send it: a direct message with want_ack. The hub's radio acknowledges it
    # (her handset shows it delivered) and the hub answers nothing more: a silent success.
    accept = street.radio.send_text(street.nodes["Anna"], f"JA {number}", want_ack=True)
    wait_for(lambda: accept in street.radio.acknowledged(street.nodes["Anna"]), 10, "the radio's ACK")
    wait_for(lambda: (street.task_for("Dorpsstraat 21") or {}).get("status") == "accepted", 30, "Anna's JA")
    street.radio.send_text(street.nodes["Anna"], "CHECKIN Dorpsstraat 21 OK apparaat op accu buurman")
    street.radio.send_text(street.nodes["Anna"], f"KLAAR {number}")
    wait_for(lambda: (street.task_for("Dorpsstraat 21") or {}).get("status") == "done", 30, "Anna's KLAAR")
    wait_for(lambda: "Dorpsstraat 21" not in street.door_knock_list(), 30, "Dorpsstraat 21 off the list")


def nobody_accepts_molenweg(street: Street) -> None:
    """Nobody answers the Molenweg 2 door knock: after two offers it is back with the coordinator."""
    wait_for(
        lambda: (street.task_for("Molenweg 2") or {}).get("nobody_accepted") is True, 45, "Molenweg 2 back"
    )
    task = street.task_for("Molenweg 2")
    assert task is not None
    offers = street.admin.get(f"/api/v1/admin/tasks/{task['id']}/offers").json()
    assert len(offers) == 2 and {o["outcome"] for o in offers} == {"no_answer"}
    assert len({o["volunteer_id"] for o in offers}) == 2  # nobody is offered it twice
    assert street.coordinator is not None
    dashboard = street.coordinator.page("/admin")
    section = dashboard[dashboard.index('id="unaccepted"') :]
    assert f"T{task['number']}" in section[: section.index("</section>")]
    assert "Molenweg 2" in street.door_knock_list()  # still not reached


def sos_until_acknowledged(street: Street) -> None:
    """Chantal's SOS: answered honestly, open until marije acknowledges it; Chantal is told."""
    street.radio.send_text(street.nodes["Chantal"], "SOS boom op auto Molenweg, man bekneld")
    reply = street.heard("Chantal", lambda text: text.startswith("SOS"))
    assert "no coordinator has seen it yet" in reply
    wait_for(lambda: street.open_alerts() == 1, 30, "the SOS as an open alert")
    time.sleep(1.5)
    assert street.open_alerts() == 1  # it does not go away by itself
    coordinator = street.coordinator
    assert coordinator is not None
    dashboard = coordinator.page("/admin")
    assert "boom op auto" in dashboard and 'class="alertbar"' in coordinator.page("/admin/tasks")
    alert = street.admin.get("/api/v1/admin/alerts").json()["items"][0]
    assert alert["acknowledged_at"] is None
    assert coordinator.post(f"/admin/alerts/{alert['id']}/ack").status_code == 303
    seen = street.heard("Chantal", lambda text: "gezien door" in text)
    assert "marije" in seen
    assert street.open_alerts() == 0


def coordinator_deletes(street: Street) -> None:
    """A resident asked to be forgotten: the coordinator deletes her check-in (audited)."""
    assert street.admin.delete("/api/v1/admin/checkins/01JNOSUCHRECORD000000000000").status_code == 404
    assert street.admin.delete(f"/api/v1/admin/checkins/{street.to_delete}").status_code == 204
    items = street.admin.get("/api/v1/admin/checkins?limit=200").json()["items"]
    assert street.to_delete not in {c["id"] for c in items}


def internet_returns(street: Street, outbox_before: int, baseline: int, crossing: MqttWatcher) -> None:
    """Monday 11:00: the municipality's message arrives once; the backlog drains once, in order."""
    site, topology = street.site, street.topology
    wait_for(lambda: site.hub.sync_status()["unsent"] == 0, 30, "every event handed to the local broker")
    outbox_total = site.hub.query("SELECT count(*) FROM outbox")[0][0]
    backlog = outbox_total - outbox_before
    # The broker's $SYS count is published every sys_interval and lags on a busy machine: wait for
    # it to reach the backlog (a lost message never would), then check it holds no flood either.
    wait_for(
        lambda: site.local_stored_messages() - baseline >= backlog,
        10 * topology.timing.sys_interval + 10,
        f"the local broker to report holding the {backlog} events",
    )
    stored = site.local_stored_messages() - baseline
    assert backlog <= stored <= backlog + 30, f"{stored} messages held for {backlog} events"
    assert crossing.collect(0.3) == [], "nothing crossed while the link was cut"

    topology.internet_up()
    site.wait_bridge(True)
    residents = street.residents
    wait_for(lambda: MUNICIPALITY["title"] in residents.get("/announcements").text, 30, "the municipality")
    wait_for(lambda: site.hub.sync_status()["unconfirmed"] == 0, 60, "every event confirmed by the region")
    titles = site.hub.query("SELECT title FROM announcements WHERE title = ?", MUNICIPALITY["title"])
    assert len(titles) == 1  # applied once, though sent twice

    total = site.hub.query("SELECT count(*) FROM outbox")[0][0]
    assert topology.region.stored_seqs(site.hub_id) == list(range(1, total + 1))
    crossed = [json.loads(m.payload)["seq"] for m in crossing.collect(2.0)]
    first_seen = list(dict.fromkeys(crossed))
    assert first_seen == sorted(first_seen), "the backlog crossed out of seq order"
    assert len(crossed) <= 1.2 * backlog + 5, f"{len(crossed)} messages crossed for {backlog} events"
    types = street.region_types()
    for expected in (
        "checkin.deleted",
        "alert.raised",
        "alert.acknowledged",
        "task.nobody_accepted",
        "task.done",
    ):
        assert expected in types, expected
    deleted = [e["data"] for e in topology.region.events(site.hub_id) if e["type"] == "checkin.deleted"]
    assert deleted == [{"id": street.to_delete}]
    registered = [
        e["data"] for e in topology.region.events(site.hub_id) if e["type"] == "household.registered"
    ]
    assert registered and all("special_attention" not in d for d in registered)  # no consent to share


# --- the walk --------------------------------------------------------------------------------------


def test_three_days_without_power_phones_or_internet(make_topology: Callable[..., Topology]) -> None:
    topology = make_topology(timing=Timing(hub_env=SYNC_ENV), hub_env=HUB_ENV)
    site = topology.hub_site
    street = Street(topology, site, site.admin(), site.residents())
    crossing = topology.watch_upstream([topology.topics.hub(site.hub_id, "events")])
    started = time.monotonic()

    def step(name: str) -> None:  # printed: where a failing walk stopped
        print(f"{time.monotonic() - started:6.1f} s  {name}")

    try:
        preparedness(street)
        step("preparedness")
        crisis_and_announcement(street)
        step("crisis mode and announcement")
        residents_check_in(street)
        step("residents checked in")
        life_threatening_need(street)
        step("life-threatening need on the mesh")
        outbox_before, baseline = internet_outage(street)
        crossing.collect(0.5)  # what crossed before the cut is not the backlog
        crossing.received.clear()
        step("internet cut")
        municipality_publishes(street)
        honest_help_reply(street)
        step("municipality published; honest HULP reply")
        number = escalation_reaches_a_handset(street)
        step("escalation on Anna's handset")
        anna_knocks(street, number)
        step("Anna knocked")
        sos_until_acknowledged(street)
        step("SOS acknowledged")
        nobody_accepts_molenweg(street)
        step("Molenweg 2 back with the coordinator")
        coordinator_deletes(street)
        internet_returns(street, outbox_before, baseline, crossing)
        step("internet back, backlog drained")
    finally:
        crossing.close()

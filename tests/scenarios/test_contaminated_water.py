"""Scenario 1 of SCENARIOS.md, walked with real parts: contaminated drinking water.

The safety region's CAP alert arrives over MQTT, reaches the portal and the mesh; the hub goes
into crisis mode; residents check in and ask for water; the door-knock list names the silent
special-attention households; volunteers answer by LoRa (one says NIET: back on the list); an
offer with a car becomes a delivery; everything goes upstream, confirmed, and nothing about the
pregnant neighbour leaves the hub without her consent.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import httpx

from hub.mesh.sim import Simulator
from tests.scenarios.test_power_cut import HUB_ID, HubProcess, radio  # noqa: F401  (fixture)
from tests.sync.conftest import MosquittoBroker, Peer, consumer_for, wait_for

CAP_ALERT = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>VRU-2025-11-18-001</identifier>
  <sender>veiligheidsregio-utrecht</sender>
  <sent>2025-11-18T18:40:00+01:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <language>nl-NL</language><category>Health</category><event>Drinkwater</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <headline>Kook leidingwater drie minuten</headline>
    <description>Het leidingwater in uw wijk is besmet. Kook water drie minuten voor gebruik.</description>
  </info>
  <info>
    <language>en-GB</language><category>Health</category><event>Drinking water</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <headline>Boil tap water for three minutes</headline>
    <description>Tap water in your area is contaminated. Boil it for three minutes before use.</description>
  </info>
</alert>"""

SPECIAL = [  # address, flags, note, consent to share upstream
    ("Kerkstraat 5", ["alone_75plus"], "mevr. J (84, alleen)", True),
    ("Kerkstraat 12", ["pregnant"], "hoogzwanger, alleen", False),
    ("Kerkstraat 17", ["mobility"], "rolstoel", True),
    ("Dorpsstraat 3", ["small_children"], "twee kinderen", True),
    ("Dorpsstraat 8", ["hearing_sight", "alone_75plus"], "dhr. (87), hoort slecht", True),
    ("Dorpsstraat 21", ["medical_device"], "zuurstofapparaat", True),
    ("Molenweg 2", ["no_phone"], "geen telefoon", True),
    ("Molenweg 9", ["language"], "spreekt Pools", True),
    ("Molenweg 14", ["alone_75plus"], "mevr. (79)", True),
    ("Schoolplein 1", ["mobility", "alone_75plus"], "rollator", True),
    ("Schoolplein 6", ["small_children"], "drieling", True),
]
SILENT = ["Kerkstraat 12", "Dorpsstraat 8", "Schoolplein 6"]


def test_contaminated_drinking_water(tmp_path: Path, radio: Simulator) -> None:  # noqa: F811
    radio_port = radio.start_tcp("127.0.0.1", 0)
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    consumer = consumer_for(broker, tmp_path, [HUB_ID])
    consumer.start()
    hub = HubProcess(tmp_path, f"tcp://127.0.0.1:{radio_port}", broker.url)
    anna, bram, _chantal = radio.handsets

    def got(node_id: str, start: str) -> bool:
        return any(text.text.startswith(start) for text in radio.received(node_id))

    try:
        hub.start()
        hub.cli("user", "add", "coordinator", "--password-stdin", stdin="lange-wachtzin-42\n")
        token = hub.cli("token", "create", "scenario").strip().splitlines()[-1]
        api = httpx.Client(base_url=hub.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        residents = httpx.Client(base_url=hub.url, timeout=30)
        ids = {
            name: api.post("/api/v1/admin/volunteers", json={"name": name, "node_id": h.node_id}).json()["id"]
            for name, h in (("Anna", anna), ("Bram", bram))
        }
        codes = {}  # each household's code, printed on its card
        for address, flags, note, consent in SPECIAL:
            response = api.post(
                "/api/v1/admin/households",
                json={
                    "address": address,
                    "special_attention": flags,
                    "note": note,
                    "consent": {"given_by": "bewoner", "share_upstream": consent},
                },
            )
            assert response.status_code == 201, response.text
            codes[address] = response.json()["code"]

        # 1. Tuesday 18:40: the safety region's CAP alert arrives over MQTT.
        region = Peer(broker, "veiligheidsregio")
        region.publish("buurtbaken/v1/broadcast/announcements", CAP_ALERT.encode())
        wait_for(
            lambda: "Kook leidingwater drie minuten" in residents.get("/").text, 30, "the alert on the portal"
        )
        assert "Boil tap water for three minutes" in residents.get("/?lang=en").text
        assert "Kook leidingwater drie minuten" in residents.get("/?lang=tr").text  # Dutch, marked as such
        wait_for(
            lambda: any("Kook" in t.text for t in radio.received(anna.node_id)), 30, "the alert on the mesh"
        )
        region.publish("buurtbaken/v1/broadcast/announcements", CAP_ALERT.encode())  # sent twice: shown once
        assert api.put("/api/v1/admin/mode", json={"mode": "crisis"}).status_code in (200, 204)

        # 2. Forty households check in within the hour; three need bottled water.
        for n in range(40):
            street = ("Kerkstraat", "Dorpsstraat", "Molenweg", "Schoolplein")[n % 4]
            assert (
                residents.post(
                    "/api/v1/checkins", json={"address": f"{street} {100 + n}", "status": "ok"}
                ).status_code
                == 201
            )
        need_ids = []
        for address, text in (("Dorpsstraat 3", "twee kinderen, geen auto"), ("Molenweg 40", "3 personen"),
                              ("Schoolplein 3", "voor de buren")):  # fmt: skip
            need = residents.post(
                "/api/v1/needs",
                json={"address": address, "category": "water", "urgency": "urgent", "description": text},
            )
            need_ids.append(need.json()["id"])

        # 3. Eight of the eleven special-attention households check in (some by a neighbour), with the
        # code on their card; a passer-by's "OK" for a silent one (no code) does not count.
        for address, *_ in SPECIAL:
            if address not in SILENT:
                residents.post(
                    "/api/v1/checkins",
                    json={"address": address.upper() + " ", "status": "ok", "code": codes[address].lower()},
                )
        residents.post("/api/v1/checkins", json={"address": "Kerkstraat 12", "status": "ok"})
        admin = httpx.Client(base_url=hub.url, timeout=30)
        login_page = admin.get("/admin/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', login_page).group(1)  # type: ignore[union-attr]
        admin.post(
            "/admin/login", data={"csrf": csrf, "name": "coordinator", "password": "lange-wachtzin-42"}
        )

        def door_knock_list() -> str:
            return admin.get("/admin/print/doorknock").text

        listed = door_knock_list()
        for address in SILENT:
            assert address in listed
        assert "Kerkstraat 5" not in listed

        # 4. Door-knock tasks; one volunteer reaches the household, the other finds nobody home.
        task_a = api.post(
            "/api/v1/admin/tasks",
            json={"kind": "door_knock", "address": "Dorpsstraat 8", "volunteer_id": ids["Anna"]},
        ).json()
        task_b = api.post(
            "/api/v1/admin/tasks",
            json={"kind": "door_knock", "address": "Schoolplein 6", "volunteer_id": ids["Bram"]},
        ).json()
        wait_for(lambda: got(anna.node_id, f"T{task_a['number']} KLOP"), 30, "the task on Anna's handset")
        radio.send_text(anna.node_id, f"JA {task_a['number']}")
        radio.send_text(anna.node_id, "CHECKIN Dorpsstraat 8 OK kookt water")
        radio.send_text(anna.node_id, f"KLAAR {task_a['number']}")
        wait_for(
            lambda: api.get(f"/api/v1/admin/tasks/{task_a['id']}").json()["status"] == "done", 30, "KLAAR"
        )
        wait_for(lambda: got(bram.node_id, f"T{task_b['number']} "), 30, "the task on Bram's handset")
        radio.send_text(bram.node_id, f"NIET {task_b['number']} niet thuis")
        wait_for(
            lambda: api.get(f"/api/v1/admin/tasks/{task_b['id']}").json()["status"] == "failed", 30, "NIET"
        )
        listed = door_knock_list()
        assert "Dorpsstraat 8" not in listed  # reached through Anna's CHECKIN
        assert "Schoolplein 6" in listed  # needs a second try
        assert "Kerkstraat 12" in listed

        # 5. A neighbour with a car offers to fetch water: shown beside the water needs, made a delivery.
        residents.post(
            "/api/v1/offers",
            json={"category": "car", "description": "Ik haal water", "address": "Molenweg 6"},
        )
        assert "Ik haal water" in admin.get("/admin").text
        delivery = api.post(
            "/api/v1/admin/tasks",
            json={"kind": "delivery", "need_id": need_ids[0], "volunteer_id": ids["Anna"]},
        )
        assert delivery.status_code == 201
        wait_for(
            lambda: any("BRENG" in t.text for t in radio.received(anna.node_id)), 30, "the delivery task"
        )

        # Volunteers never got a message longer than one packet.
        for handset in radio.handsets:
            for text in radio.received(handset.node_id):
                assert len(text.text.encode()) <= 200, text.text

        # 6. Everything went upstream and was confirmed; the pregnant neighbour's condition did not.
        wait_for(
            lambda: residents.get("/api/v1/status").json()["sync"]["unconfirmed"] == 0, 60, "all confirmed"
        )
        store = sqlite3.connect(tmp_path / "upstream.sqlite3")
        try:
            stored = [
                (t, json.loads(d))
                for t, d in store.execute("SELECT type, data FROM upstream_events ORDER BY seq")
            ]
        finally:
            store.close()
        assert sum(1 for t, _ in stored if t == "checkin.created") == 40 + 8 + 1 + 1
        assert {"need.created", "task.done", "task.failed", "offer.created"} <= {t for t, _ in stored}
        everything = json.dumps(stored)
        assert "pregnant" not in everything
        assert "hoogzwanger" not in everything
        assert "Kerkstraat 12" not in everything
        assert "alone_75plus" in everything  # the consenting households' flags did go
        announcements = residents.get("/api/v1/announcements").json()
        assert [a["title"] for a in announcements].count("Kook leidingwater drie minuten") == 1
        region.close()
    finally:
        hub.stop()
        consumer.stop()
        broker.stop()

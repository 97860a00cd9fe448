"""Loop 6 of issue 10, end to end in the shipped topology: a vulnerable household counts as
reached only when someone verified it.

``hub serve`` with the simulated radio (the real meshtastic library) behind the local Mosquitto
rendered from ``deploy/``, bridged to the region. Anyone on the open Wi-Fi may say "Molenweg 2 is
OK": the phone-less 84-year-old stays on the door-knock list, shown to coordinators as "reported
OK, not verified". Her card's code verifies her; a volunteer's ``CHECKIN`` over LoRa verifies her
neighbour; guessing codes is stopped; the code never leaves the hub.
"""

from __future__ import annotations

import json
import re

import httpx

from tests.topology import Topology, wait_for

PASSWORD = "lange-wachtzin-42"


def login(url: str) -> httpx.Client:
    browser = httpx.Client(base_url=url, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/admin/login").text)
    assert csrf
    response = browser.post(
        "/admin/login", data={"csrf": csrf[1], "name": "coordinator", "password": PASSWORD}
    )
    assert response.status_code == 303
    return browser


def test_only_a_verified_check_in_takes_a_household_off_the_door_knock_list(topology: Topology) -> None:
    site = topology.hub_site
    radio = site.radio
    assert radio is not None
    anna = radio.handsets[0]
    site.hub.cli("user", "add", "coordinator", "--password-stdin", stdin=PASSWORD + "\n")
    admin = site.admin()
    coordinator = login(site.hub.url)
    residents = site.residents()
    assert (
        admin.post("/api/v1/admin/volunteers", json={"name": "Anna", "node_id": anna.node_id}).status_code
        == 201
    )
    codes = {}
    for address, flags in (("Molenweg 2", ["no_phone", "alone_75plus"]), ("Kerkstraat 5", ["mobility"])):
        response = admin.post(
            "/api/v1/admin/households",
            json={"address": address, "special_attention": flags, "consent": {"given_by": "dochter"}},
        )
        assert response.status_code == 201, response.text
        codes[address] = response.json()["code"]
    assert admin.put("/api/v1/admin/mode", json={"mode": "crisis"}).status_code in (200, 204)

    def door_knock_list() -> str:
        return coordinator.get("/admin/print/doorknock").text

    # Anyone on the open Wi-Fi: "Molenweg 2 is OK". Still on the list, shown as not verified.
    for address in ("molenweg 2", "Kerkstraat 5"):
        response = residents.post("/api/v1/checkins", json={"address": address, "status": "ok"})
        assert response.status_code == 201
        assert response.json()["verified"] is False
    assert "Molenweg 2" in door_knock_list() and "Kerkstraat 5" in door_knock_list()
    dashboard = coordinator.get("/admin?lang=en").text
    assert dashboard.count("reported OK, not verified") == 2
    assert "meldt OK, niet geverifieerd" in coordinator.get("/admin/households?lang=nl").text

    # Guessing her code is stopped after five wrong tries; nothing is stored meanwhile.
    guesses = [
        residents.post(
            "/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok", "code": f"CCCCC{c}"}
        ).status_code
        for c in "DEFGHJ"
    ]
    assert guesses == [422] * 5 + [429]
    assert len(admin.get("/api/v1/admin/checkins").json()["items"]) == 2

    # Her daughter checks in with the code on the card (from another device): verified.
    daughter = httpx.Client(
        base_url=site.hub.url, timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.5")
    )
    blocked = daughter.post(
        "/api/v1/checkins", json={"address": "Molenweg 2", "status": "ok", "code": codes["Molenweg 2"]}
    )
    assert blocked.status_code == 429  # the address is protected from every device for a while
    csrf_form = daughter.get("/checkin?lang=nl").text
    assert "Huishoudcode" in csrf_form
    # A coordinator who phoned her confirms the report instead.
    report = next(
        c for c in admin.get("/api/v1/admin/checkins").json()["items"] if c["address"] == "molenweg 2"
    )
    assert admin.post(f"/api/v1/admin/checkins/{report['id']}/verify").json()["verified"] is True
    wait_for(lambda: "Molenweg 2" not in door_knock_list(), 10, "Molenweg 2 off the list")

    # A volunteer at Kerkstraat 5 sends CHECKIN over LoRa: verified, off the list.
    # As the stock apps send it (want_ack): her handset shows it delivered, the radio's ACK;
    # a check-in that went through gets no further text (a quiet radio).
    sent = radio.send_text(anna.node_id, "CHECKIN Kerkstraat 5 OK rolstoel, alles goed", want_ack=True)
    wait_for(lambda: sent in radio.acknowledged(anna.node_id), 10, "delivered on Anna's handset")
    wait_for(lambda: "Kerkstraat 5" not in door_knock_list(), 60, "the volunteer's CHECKIN")
    assert "Every special-attention household has been reached." in coordinator.get("/admin?lang=en").text

    # With the right code from a fresh device and address, the portal form verifies at once.
    admin.post(
        "/api/v1/admin/households",
        json={
            "address": "Schoolplein 1",
            "special_attention": ["alone_75plus"],
            "consent": {"given_by": "zelf"},
        },
    )
    school = next(
        h for h in admin.get("/api/v1/admin/households").json()["items"] if h["address"] == "Schoolplein 1"
    )
    form = daughter.get("/checkin").text
    token = re.search(r'name="token" value="([^"]+)"', form)
    assert token
    saved = daughter.post(
        "/checkin",
        data={"token": token[1], "address": "Schoolplein 1", "status": "ok", "code": school["code"]},
    )
    assert saved.status_code == 303
    assert "Schoolplein 1" not in door_knock_list()

    # The codes never left the hub.
    wait_for(lambda: site.hub.sync_status()["unconfirmed"] == 0, 60, "everything confirmed upstream")
    upstream = json.dumps(topology.region.events(site.hub_id))
    assert "checkin.verified" in upstream
    for code in (*codes.values(), school["code"]):
        assert code not in upstream
        assert code not in residents.get("/").text
    daughter.close()

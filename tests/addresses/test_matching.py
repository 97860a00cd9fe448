"""Typed addresses meet the register through the real app: the portal's suggestions and its
"not in the register" note, and a handset's CHECKIN over the simulated radio."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from hub.config import Settings
from hub.mesh.sim import Simulator
from hub.models import CheckIn
from hub.services import address_register
from tests.conftest import LiveServer
from tests.mesh.hubmesh import MeshHub
from tests.test_portal import fresh_token
from tests.test_portal_weight import LIMIT, weight

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"


@pytest.fixture
def with_register(live: LiveServer) -> LiveServer:
    address_register.import_file(live.hub.store, SAMPLE.read_bytes(), actor="test")
    return live


def send_checkin(client: httpx.Client, address: str) -> httpx.Response:
    data = {"address": address, "status": "ok", "token": fresh_token(client, "/checkin")}
    return client.post("/checkin", data=data, follow_redirects=True)


def test_the_forms_suggest_the_registers_addresses_within_the_page_budget(
    client: httpx.Client, with_register: LiveServer
) -> None:
    for path in ("/checkin", "/need", "/offer", "/register"):
        page = client.get(path)
        assert 'list="l-address"' in page.text, path
        options = re.findall(r'<option value="([^"]*)">', page.text.split('<datalist id="l-address">')[1])
        assert len(options) == 288 and options[:3] == ["Beukenlaan 1", "Beukenlaan 2-1", "Beukenlaan 2-2"], (
            path
        )
        total, _assets = weight(client, page)
        assert total < LIMIT, (path, total)


def test_without_a_register_there_is_no_datalist(client: httpx.Client) -> None:
    assert "<datalist" not in client.get("/checkin").text


def test_an_address_outside_the_register_is_saved_and_marked(
    client: httpx.Client, with_register: LiveServer
) -> None:
    known = send_checkin(client, "kerkstraat 5 a")
    assert known.status_code == 200 and 'id="not-in-register"' not in known.text
    typo = send_checkin(client, "Kerkstrat 5a")
    assert typo.status_code == 200
    assert "Dit adres staat niet in de adreslijst van de buurt" in typo.text
    assert "Bedoelt u: Kerkstraat 5A" in typo.text
    elsewhere = send_checkin(client, "Stationsweg 1")
    assert 'id="not-in-register"' in elsewhere.text and "Bedoelt u" not in elsewhere.text
    with with_register.hub.db.read() as session:
        stored = [(c.address, c.address_key) for c in session.exec(select(CheckIn).order_by(CheckIn.pk))]  # type: ignore[arg-type]
    assert stored == [
        ("kerkstraat 5 a", "kerkstraat 5a"),
        ("Kerkstrat 5a", "kerkstrat 5a"),
        ("Stationsweg 1", "stationsweg 1"),
    ]


@pytest.fixture
def mesh(settings: Settings) -> Iterator[MeshHub]:
    radio = Simulator(handsets=2, preset="LONG_FAST", seed=7)
    port = radio.start_tcp("127.0.0.1", 0)
    hub = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}")
    try:
        started = hub.start()
        address_register.import_file(started.hub.store, SAMPLE.read_bytes(), actor="test")
        yield started
    finally:
        hub.stop()
        radio.stop()


def test_a_handset_checkin_outside_the_register_is_kept_and_answered_so(mesh: MeshHub) -> None:
    # In the register: a quiet success (the radio's ACK shows it delivered), no text on the air.
    inside = mesh.step(0, "CHECKIN Molenweg 14-A OK")
    assert mesh.delivered(0, inside.packet_id)
    assert inside.texts == []
    # Outside it: stored all the same, and a short hint that names the register's nearest address.
    outside = mesh.step(0, "CHECKIN Molenwg 14 OK")
    assert len(outside.texts) == 1
    assert outside.texts[0].endswith("Niet in adreslijst: bedoel je Molenweg 14?")
    assert not outside.queued[0].want_ack  # a hint, not a refusal: its loss costs nothing
    keys = mesh.read(lambda s: [c.address_key for c in s.exec(select(CheckIn).order_by(CheckIn.pk))])  # type: ignore[arg-type]
    assert keys == ["molenweg 14a", "molenwg 14"]

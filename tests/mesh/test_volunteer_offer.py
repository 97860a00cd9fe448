"""A resident becomes a volunteer, end to end: the offer on the portal over HTTP, a coordinator
approves it with the node id of the resident's handset, and from then on the hub accepts that
handset's commands as this volunteer (before, it held them: an unknown node). Through the real
meshtastic library and the simulated radio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from hub.config import Settings
from hub.mesh.sim import Simulator
from hub.models import CheckIn, MeshMessage, Volunteer
from tests.admin.conftest import Admin, login, make_user
from tests.board.conftest import token
from tests.conftest import LiveServer

from .hubmesh import MeshHub

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def radio() -> Iterator[Simulator]:
    sim = Simulator(handsets=1, preset="MEDIUM_FAST", seed=12)
    try:
        yield sim
    finally:
        sim.stop()


def test_a_resident_becomes_a_volunteer_the_radio_knows(settings: Settings, radio: Simulator) -> None:
    port = radio.start_tcp("127.0.0.1", 0)
    mesh = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}", volunteers=0).start()
    node = mesh.handset(0)
    try:
        with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
            # the resident's offer, on the portal
            form = {"name": "Samira El Amrani", "address": "Molenweg 12", "contact": "06 98765432",
                    "skills": "EHBO", "has_handset": "yes", "token": token(http, "/volunteer")}  # fmt: skip
            assert http.post("/volunteer", data=form).status_code == 303

            # before approval the handset is an unknown node: its check-in is held, not applied
            held = mesh.step(0, "CHECKIN Molenweg 14 OK")
            assert mesh.read(lambda s: s.exec(select(MeshMessage.kind).where(
                MeshMessage.packet_id == held.packet_id)).one()) == "held"  # fmt: skip
            assert mesh.read(lambda s: s.exec(select(CheckIn)).all()) == []

            # the coordinator approves it with the handset's node id
            make_user(mesh.hub, "coord")
            with live.client() as admin_http:
                assert login(admin_http, "coord").status_code == 303
                admin = Admin(admin_http)
                page = admin_http.get("/admin/volunteers").text
                offer_id = page.split("/admin/volunteer-offers/")[1].split("/")[0]
                answer = admin.post_form(f"/admin/volunteer-offers/{offer_id}/approve", {"node_id": node})
                assert answer.headers["location"].endswith("ok=volunteer_approved")
            volunteer = mesh.read(lambda s: s.exec(select(Volunteer)).one())
            assert (volunteer.name, volunteer.node_id) == ("Samira El Amrani", node)

            # now the same handset's command is accepted as this volunteer
            accepted = mesh.step(0, "CHECKIN Molenweg 14 OK")
            assert mesh.delivered(0, accepted.packet_id)
            checkin = mesh.read(lambda s: s.exec(select(CheckIn)).one())
            assert (checkin.address_key, checkin.status, checkin.source) == ("molenweg 14", "ok", "mesh")
            assert checkin.volunteer_id == volunteer.id
            heard = mesh.read(lambda s: s.exec(select(Volunteer)).one())
            assert heard.last_heard_at is not None  # the hub knows the handset as this volunteer
            assert "Molenweg 14" not in http.get("/").text  # nothing of it on the portal's board
    finally:
        mesh.stop()

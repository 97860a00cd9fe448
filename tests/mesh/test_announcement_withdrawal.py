"""A coordinator withdraws an announcement (issue #16): the portal stops showing it at once, the
radio parts not yet sent never go on the air, and when some already did the channel hears that it
no longer holds; upstream hears ``announcement.withdrawn``. Through the real admin over HTTP, the
real meshtastic library and the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import col, select

from hub.config import Settings
from hub.mesh.sim import Simulator
from hub.models import AuditEntry, MeshOutbound, OutboxEvent
from tests.admin.conftest import Admin, login, make_user
from tests.conftest import LiveServer

from .hubmesh import MeshHub

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def radio() -> Iterator[Simulator]:
    sim = Simulator(handsets=2, preset="MEDIUM_FAST", seed=16)
    try:
        yield sim
    finally:
        sim.stop()


def announce(admin: Admin, title: str) -> str:
    answer = admin.post_form(
        "/admin/announcements",
        {"title": title, "body": "Het kraanwater is weer goed.", "priority": "urgent",
         "channels": ["mesh", "upstream"]},
    )  # fmt: skip
    assert answer.status_code == 303 and "error" not in answer.headers["location"]
    listed = admin.api("GET", "/api/v1/admin/announcements").json()["items"]
    return next(a["id"] for a in listed if a["title"] == title)


def test_a_withdrawn_announcement_is_gone_and_the_channel_hears_it(
    settings: Settings, radio: Simulator
) -> None:
    port = radio.start_tcp("127.0.0.1", 0)
    mesh = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}").start()
    handset = mesh.handset(0)
    with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
        make_user(mesh.hub, "coord")
        assert login(http, "coord").status_code == 303
        admin = Admin(http)
        announcement = announce(admin, "Kook water")
        radio.wait_for_text(handset, lambda t: "Kook water" in t.text, timeout=15)
        assert "Kook water" in http.get("/").text

        answer = admin.post_form(f"/admin/announcements/{announcement}/withdraw")
        assert answer.status_code == 303 and "ok=withdrawn" in answer.headers["location"]
        heard = radio.wait_for_text(handset, lambda t: t.text.startswith("INGETROKKEN"), timeout=15)
        assert heard.text == "INGETROKKEN: Kook water"
        assert "Kook water" not in http.get("/").text
        assert "Kook water" not in http.get("/announcements").text

        # Twice is refused and changes nothing; an unknown one is not found; no CSRF, no change.
        again = admin.api("POST", f"/api/v1/admin/announcements/{announcement}/withdraw")
        assert again.status_code == 409
        assert admin.api("POST", "/api/v1/admin/announcements/nope/withdraw").status_code == 404
        assert http.post(f"/admin/announcements/{announcement}/withdraw").status_code == 403
        with mesh.hub.db.read() as session:
            events = session.exec(
                select(OutboxEvent).where(OutboxEvent.type == "announcement.withdrawn")
            ).all()
            audit = session.exec(select(AuditEntry).where(AuditEntry.action == "announcement.withdraw")).all()
            withdrawn_texts = session.exec(
                select(MeshOutbound).where(col(MeshOutbound.text).startswith("INGETROKKEN"))
            ).all()
        assert [e.data["id"] for e in events] == [announcement]
        assert [(a.actor, a.target) for a in audit] == [("coord", announcement)]
        assert len(withdrawn_texts) == 1


def test_parts_not_yet_sent_never_go_on_the_air(live: LiveServer) -> None:
    """No radio connected: the announcement's parts wait in the queue; withdrawn, they are dropped,
    and nothing about it goes on the air later."""
    make_user(live.hub, "coord")
    with live.client() as http:
        assert login(http, "coord").status_code == 303
        walk_without_radio(Admin(http), live)


def walk_without_radio(admin: Admin, live: LiveServer) -> None:
    announcement = announce(admin, "Stroom terug")
    with live.hub.db.read() as session:
        queued = session.exec(select(MeshOutbound).where(MeshOutbound.status == "queued")).all()
    assert queued and all("Stroom terug" in row.text for row in queued)

    assert admin.api("POST", f"/api/v1/admin/announcements/{announcement}/withdraw").status_code == 200
    with live.hub.db.read() as session:
        rows = session.exec(select(MeshOutbound)).all()
    assert {(row.status, row.error) for row in rows} == {("dropped", "announcement withdrawn")}
    assert "Stroom terug" not in admin.http.get("/").text
    page = admin.http.get("/admin/announcements").text
    assert "Stroom terug" in page  # still listed for the coordinators, no longer shown to residents
    assert f"/admin/announcements/{announcement}/withdraw" not in page

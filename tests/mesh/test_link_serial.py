"""The hub's MeshLink over the real SerialInterface on the simulator's pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from hub.config import Settings
from hub.mesh.sim import Simulator
from hub.models import CheckIn

from .hubmesh import MeshHub

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def mesh(settings: Settings) -> Iterator[MeshHub]:
    radio = Simulator(handsets=2, preset="LONG_FAST", seed=11)
    try:
        path = radio.start_pty()
        hub = MeshHub(settings, radio, f"serial://{path}")
        try:
            yield hub.start()
        finally:
            hub.stop()
    finally:
        radio.stop()


def test_task_cycle_over_serial(mesh: MeshHub) -> None:
    mesh.create_task(7, address="Molenweg 14", note="mevr. (79)", send_note=True)
    text = mesh.sim.wait_for_text(mesh.handset(0), lambda t: t.text.startswith("T7 "), timeout=15)
    assert text.text == "T7 KLOP Molenweg 14: mevr. (79). JA 7 / KLAAR 7 / NIET 7"
    mesh.wait_task(7, "sent")
    accept = mesh.step(0, "ACK", timeout=15)
    assert accept.queued == [] and mesh.delivered(0, accept.packet_id)  # silent success
    mesh.wait_task(7, "accepted")
    assert mesh.step(0, "DONE", timeout=15).queued == []
    mesh.wait_task(7, "done")
    assert [e.data["number"] for e in mesh.events("task.done")] == [7]
    assert mesh.link.status()["airtime"]["preset"] == "LONG_FAST"
    assert mesh.link.ack_timeout == pytest.approx(3.0)


def test_checkin_over_serial(mesh: MeshHub) -> None:
    assert mesh.step(1, "checkin Schoolplein 1 ok", timeout=15).queued == []
    checkin = mesh.read(lambda s: s.exec(select(CheckIn)).one())
    assert checkin.source == "mesh"

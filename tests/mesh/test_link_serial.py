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
    mesh.create_task(7, address="Molenweg 14", note="mevr. (79)")
    text = mesh.sim.wait_for_text(mesh.handset(0), lambda t: t.text.startswith("T7 "), timeout=15)
    assert text.text == "T7 KLOP Molenweg 14: mevr. (79). JA 7 / KLAAR 7 / NIET 7"
    mesh.wait_task(7, "sent")
    assert mesh.ask(0, "ACK", lambda t: t.startswith("T7")).startswith("T7 is van jou")
    assert mesh.ask(0, "DONE", lambda t: t.startswith("T7")) == "T7 afgerond. Dank je wel!"
    mesh.wait_task(7, "done")
    assert [e.data["number"] for e in mesh.events("task.done")] == [7]
    assert mesh.link.status()["airtime"]["preset"] == "LONG_FAST"
    assert mesh.link.ack_timeout == pytest.approx(3.0)


def test_checkin_over_serial(mesh: MeshHub) -> None:
    reply = mesh.ask(1, "checkin Schoolplein 1 ok", lambda t: t.startswith("Check-in"))
    assert reply == "Check-in Schoolplein 1: OK genoteerd. Dank je!"
    checkin = mesh.read(lambda s: s.exec(select(CheckIn)).one())
    assert checkin.source == "mesh"

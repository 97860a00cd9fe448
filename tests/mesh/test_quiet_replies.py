"""A quieter radio that leaves no volunteer unsure (issue #15), through the real meshtastic
library and the simulator.

A success is silent when the hub's radio acknowledged the volunteer's direct message (the
handset shows it delivered), and a reaction on the volunteer's packet when it did not (sent on
the channel, or without ``want_ack``). Every failure is a text the hub asks the handset to
acknowledge, and sends again when it is lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session

from hub.config import Settings
from hub.domain.airtime import ack_airtime, text_packet_airtime
from hub.domain.clock import utcnow
from hub.domain.replies import REACTION
from hub.mesh.sim import Simulator
from hub.models import MeshOutbound
from hub.services.mesh_queue import BROADCAST, SendPriority, enqueue_announcement, enqueue_text
from tests.admin.conftest import login, make_user
from tests.conftest import LiveServer

from .hubmesh import MeshHub, wait_until

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def mesh(settings: Settings) -> Iterator[MeshHub]:
    radio = Simulator(handsets=3, preset="MEDIUM_FAST", seed=15)
    try:
        port = radio.start_tcp("127.0.0.1", 0)
        hub = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}")
        try:
            yield hub.start()
        finally:
            hub.stop()
    finally:
        radio.stop()


def _refusal(mesh: MeshHub, index: int, text: str, starts: str) -> str:
    """The handset sends ``text`` as a stock app does; the hub's refusal reaches it as a text the
    hub asked it to acknowledge, and the handset's ACK came back."""
    step = mesh.step(index, text)
    assert mesh.delivered(index, step.packet_id)  # the radio's ACK: "the hub got it"
    assert [r.want_ack for r in step.queued] == [True]
    got = mesh.sim.wait_for_text(mesh.handset(index), lambda t: t.text.startswith(starts), timeout=10)
    assert got.want_ack and not got.emoji
    pk = step.queued[0].pk
    wait_until(lambda: next(r for r in mesh.outbound() if r.pk == pk).status == "acked", 10, "refusal acked")
    return got.text


def test_a_volunteer_learns_about_every_failure(mesh: MeshHub) -> None:
    mesh.create_task(12)
    mesh.wait_task(12, "sent")
    mesh.create_task(13, volunteer=1, address="Molenweg 2")
    mesh.wait_task(13, "sent")

    unknown_task = _refusal(mesh, 0, "JA 99", "T99")
    assert unknown_task == "T99 staat niet op jouw naam. Stuur TAKEN voor je lijst."
    not_theirs = _refusal(mesh, 0, "KLAAR 13", "T13")
    assert not_theirs == "T13 staat niet op jouw naam. Stuur TAKEN voor je lijst."
    assert mesh.task(13).status == "sent"

    assert mesh.step(0, "KLAAR 12").queued == []  # done: a silent success
    mesh.wait_task(12, "done")
    closed = _refusal(mesh, 0, "NIET 12 te laat", "T12 is al")
    assert closed == "T12 is al afgesloten (al afgerond). Stuur TAKEN voor je lijst."

    unknown_command = _refusal(mesh, 0, "JAAA", "Onbekend")
    assert unknown_command == "Onbekend commando. Stuur ? voor hulp."
    assert _refusal(mesh, 0, "JA", "Geen taak") == "Geen taak die wacht op JA. Stuur TAKEN voor je lijst."


def test_a_lost_refusal_is_sent_again(mesh: MeshHub) -> None:
    """Lost, a refusal would read as a silent success: it is acknowledged and retried."""
    mesh.sim.nak_next("MAX_RETRANSMIT")
    mesh.step(0, "JA 77")
    got = mesh.sim.wait_for_text(mesh.handset(0), lambda t: t.text.startswith("T77"), timeout=10)
    assert got.text.startswith("T77 staat niet op jouw naam")
    wait_until(lambda: [(r.status, r.attempts) for r in mesh.outbound()] == [("acked", 2)], 10, "2nd try")


def test_an_accepted_task_is_visibly_accepted_on_the_handset(mesh: MeshHub) -> None:
    # As the stock apps send a direct message: the radio's ACK marks it delivered, and the
    # hub sends nothing more (no news is good news; a refusal would follow as a text).
    mesh.create_task(21)
    mesh.wait_task(21, "sent")
    accept = mesh.step(0, "JA")
    assert mesh.delivered(0, accept.packet_id)
    assert accept.queued == []
    assert mesh.wait_task(21, "accepted").accepted_at is not None

    # A canned "JA" on the channel gets no ACK from the radio: the hub reacts on it, on the
    # channel where it was sent, with 👍 on that very packet.
    mesh.create_task(22, volunteer=1, address="Molenweg 2")
    mesh.wait_task(22, "sent")
    on_channel = mesh.sim.send_text(mesh.handset(1), "JA", to="broadcast")
    assert mesh.reaction(1, on_channel) == REACTION
    reaction = next(t for t in mesh.sim.received(mesh.handset(1)) if t.emoji)
    assert (reaction.reply_id, reaction.broadcast, reaction.want_ack) == (on_channel, True, False)
    assert mesh.task(22).status == "accepted"
    assert on_channel not in mesh.sim.acknowledged(mesh.handset(1))

    # A direct message without want_ack: the reaction comes as a direct message.
    mesh.create_task(23, volunteer=1, address="Molenweg 9")
    mesh.wait_task(23, "sent")
    step = mesh.step(1, "KLAAR 22", want_ack=False)
    assert mesh.reaction(1, step.packet_id) == REACTION
    assert [(r.dest, r.reply_id, r.want_ack) for r in step.queued] == [
        (mesh.handset(1), step.packet_id, False)
    ]
    assert mesh.task(22).status == "done"


def test_questions_are_answered_without_an_ack_and_again_after_a_minute(mesh: MeshHub) -> None:
    step = mesh.step(0, "STATUS")
    assert [(r.text.startswith("Status"), r.want_ack) for r in step.queued] == [(True, False)]
    assert mesh.step(0, "STATUS").queued == []  # asked again at once: not answered twice

    def age(session: Session) -> None:  # the answer went 90 s ago (within the 5 minutes), unacknowledged
        row = session.get(MeshOutbound, step.queued[0].pk)
        assert row is not None and row.status == "sent"
        row.created_at = utcnow() - timedelta(seconds=90)
        session.add(row)

    mesh.run(age)
    again = mesh.step(0, "STATUS")
    assert [r.text.startswith("Status") for r in again.queued] == [True]


def test_the_radios_channel_figures_hold_low_priority_traffic(mesh: MeshHub) -> None:
    sim = mesh.sim
    sim.channel_busy_pct = 40.0  # other nodes keep the channel busy
    sim.send_telemetry()
    wait_until(lambda: mesh.link.status()["channel"]["busy"], 10, "the radio's report")
    channel = mesh.link.status()["channel"]
    assert channel["utilization_pct"] >= 40.0
    assert channel["air_util_tx_pct"] is not None

    node = mesh.handset(0)

    def queue(session: object) -> None:
        enqueue_announcement(session, mesh.hub.ctx, "Waterpunt", "Open tot 18:00")  # type: ignore[arg-type]
        enqueue_text(session, mesh.hub.ctx, node, "antwoord", SendPriority.REPLY)  # type: ignore[arg-type]

    mesh.run(queue)
    sim.wait_for_text(node, lambda t: t.text == "antwoord", timeout=10)  # a reply goes
    time.sleep(1.0)
    assert [r.status for r in mesh.outbound() if r.dest == BROADCAST] == ["queued"]  # the announcement waits

    sim.channel_busy_pct = 0.0
    sim.send_telemetry()
    sim.wait_for_text(node, lambda t: t.text.startswith("Waterpunt"), timeout=10)
    assert not mesh.link.status()["channel"]["busy"]

    sim.channel_busy_pct = 40.0
    sim.send_telemetry()
    wait_until(lambda: mesh.link.status()["channel"]["busy"], 10, "busy again")
    channel = mesh.link.status()["channel"]
    # last: the live server stops the hub when it closes
    with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
        make_user(mesh.hub, "coord")
        assert login(http, "coord").status_code == 303
        page = http.get("/admin/mesh").text  # the radio's figures beside the hub's budget
        assert "Kanaalbezetting zoals de radio die hoort" in page
        assert f"{channel['utilization_pct']} %" in page
        assert "Het kanaal is druk: mededelingen en samenvattingen wachten." in page
        english = http.get("/admin/mesh", params={"lang": "en"}).text
        assert "The channel is busy: announcements and summaries wait." in english


def test_the_budget_counts_the_acks_the_hub_asks_for(mesh: MeshHub) -> None:
    mesh.create_task(31)
    mesh.wait_task(31, "sent")
    (row,) = mesh.outbound()
    expected = text_packet_airtime("MEDIUM_FAST", row.text) + ack_airtime("MEDIUM_FAST")
    assert row.airtime == pytest.approx(expected)
    assert mesh.link.status()["airtime"]["used_s"] == pytest.approx(expected, abs=0.01)

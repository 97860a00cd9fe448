"""The hub's MeshLink and the real meshtastic TCPInterface against the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from hub.config import Settings
from hub.domain.text import utf8_len
from hub.mesh.sim import Simulator
from hub.models import Alert, CheckIn, MeshMessage, Need
from hub.schemas import NeedCreate
from hub.services import residents
from hub.services.mesh_queue import BROADCAST, SendPriority, enqueue_text

from .hubmesh import MeshHub, wait_until

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def radio() -> Iterator[Simulator]:
    simulator = Simulator(handsets=3, preset="MEDIUM_FAST", seed=7)
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def mesh(settings: Settings, radio: Simulator) -> Iterator[MeshHub]:
    port = radio.start_tcp("127.0.0.1", 0)
    hub = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}")
    try:
        yield hub.start()
    finally:
        hub.stop()


def test_task_cycle_end_to_end(mesh: MeshHub) -> None:
    node = mesh.handset(0)
    mesh.create_task(12, note="mevr. J (84, alleen)", send_note=True)  # a coordinator ticked it
    dispatch = mesh.sim.wait_for_text(node, lambda t: t.text.startswith("T12 "), timeout=10)
    assert dispatch.text == "T12 KLOP Kerkstraat 5: mevr. J (84, alleen). JA 12 / KLAAR 12 / NIET 12"
    assert dispatch.want_ack
    assert not dispatch.broadcast
    task = mesh.wait_task(12, "sent")  # the handset's ACK came back
    assert task.sent_at is not None

    # Silent success: the hub's radio acknowledged the JA (the handset shows it delivered),
    # and the hub sends nothing more.
    accept = mesh.step(0, "JA")
    assert mesh.delivered(0, accept.packet_id)
    assert accept.queued == []
    mesh.wait_task(12, "accepted")
    done = mesh.step(0, "KLAAR 12 niemand gewond")
    assert mesh.delivered(0, done.packet_id)
    assert done.queued == []
    assert mesh.wait_task(12, "done").done_at is not None

    accepted, finished = mesh.events("task.accepted"), mesh.events("task.done")
    assert [e.data["number"] for e in accepted] == [12]
    # What leaves the hub at the default share level: the street, not the house or the note.
    assert "note" not in finished[0].data
    assert finished[0].data["street"] == "kerkstraat"
    assert "address" not in finished[0].data
    assert finished[0].data["volunteer_id"] == mesh.volunteer_ids[0]
    # the dispatch went as one acknowledged packet, and it was all the hub sent
    wait_until(lambda: [(r.status, r.attempts) for r in mesh.outbound()] == [("acked", 1)], 10, "acked once")


def test_bare_command_asks_which_task_when_several_wait(mesh: MeshHub) -> None:
    mesh.create_task(14, address="Molenweg 2")
    mesh.create_task(15, address="Molenweg 9")
    mesh.wait_task(15, "sent")
    assert mesh.ask(0, "JA", lambda t: t.startswith("Welke")) == "Welke taak? JA 15 of JA 14"
    assert mesh.step(0, "ja #14").queued == []
    mesh.wait_task(14, "accepted")
    assert mesh.step(0, "NIET niemand thuis").queued == []
    failed = mesh.wait_task(14, "failed")
    assert failed.fail_reason == "niemand thuis"
    assert "reason" not in mesh.events("task.failed")[0].data
    # someone else's task is not yours
    assert mesh.ask(1, "KLAAR 15", lambda t: "T15" in t).startswith("T15 staat niet op jouw naam")
    assert mesh.task(15).status == "sent"


def test_steps_on_a_closed_task_get_a_reply_saying_why_and_change_nothing(mesh: MeshHub) -> None:
    mesh.create_task(16, address="Molenweg 2")
    mesh.wait_task(16, "sent")
    assert mesh.step(0, "NIET 16 brug dicht").queued == []
    mesh.wait_task(16, "failed")
    closed = "T16 is al afgesloten (teruggemeld, de coördinator plant opnieuw). Stuur TAKEN voor je lijst."
    assert mesh.ask(0, "KLAAR 16", lambda t: t.startswith("T16")) == closed
    assert mesh.ask(0, "JA 16", lambda t: t.startswith("T16")) == closed
    task = mesh.task(16)
    assert (task.status, task.done_at, task.accepted_at) == ("failed", None, None)
    assert mesh.events("task.done") == mesh.events("task.accepted") == []

    mesh.create_task(17, address="Molenweg 9")
    mesh.wait_task(17, "sent")
    assert mesh.step(0, "KLAAR 17").queued == []
    mesh.wait_task(17, "done")
    refused = mesh.ask(0, "NIET 17 te laat", lambda t: t.startswith("T17"))
    assert refused == "T17 is al afgesloten (al afgerond). Stuur TAKEN voor je lijst."
    assert (mesh.task(17).status, mesh.task(17).fail_reason) == ("done", None)


def test_commands_reach_the_same_services_as_the_portal(mesh: MeshHub) -> None:
    reply = mesh.ask(0, "CHECKIN Kerkstraat 5 HELP oxygen", lambda t: t.startswith("Check-in"))
    assert "HULP ontvangen door de hub" in reply and "no coordinator has seen it yet" in reply
    checkin = mesh.read(lambda s: s.exec(select(CheckIn)).one())
    assert (checkin.address, checkin.status, checkin.note, checkin.source) == (
        "Kerkstraat 5",
        "help",
        "oxygen",
        "mesh",
    )
    assert checkin.volunteer_id == mesh.volunteer_ids[0]

    assert mesh.step(1, "NODIG water Dorpsstraat 3 2 personen").queued == []  # the radio's ACK says it
    need = mesh.read(lambda s: s.exec(select(Need)).one())
    assert (need.category, need.address, need.description, need.source) == (
        "water",
        "Dorpsstraat 3",
        "2 personen",
        "mesh",
    )
    assert [e.data["source"] for e in mesh.events("checkin.created")] == ["mesh"]

    mesh.create_task(21, volunteer=1, address="Schoolplein 1")
    taken = mesh.ask(1, "TAKEN", lambda t: t.startswith("Taken"))
    status = mesh.ask(1, "STATUS", lambda t: t.startswith("Status"))
    helptext = mesh.ask(1, "?", lambda t: t.startswith("OK=beschikbaar"))
    unknown = mesh.ask(1, "JAAA", lambda t: t.startswith("Onbekend"))
    invalid = mesh.ask(1, "NODIG lava Kerkstraat 1", lambda t: t.startswith("NODIG"))
    available = mesh.step(1, "OK")
    assert available.queued == []  # a success: the handset shows it delivered
    assert mesh.delivered(1, available.packet_id)
    assert taken == "Taken: T21 KLOP Schoolplein 1"
    assert status == "Status: 0 OK, 1 HULP, 1 noden (0 spoed), 1 taken open."
    assert unknown == "Onbekend commando. Stuur ? voor hulp."
    assert "onbekende categorie" in invalid
    for text in (taken, status, helptext, unknown, invalid):
        assert utf8_len(text) <= 200
    # A question's answer goes without an ACK (asking again costs nothing); a refusal with one
    # (lost, it would read as a silent success).
    rows = {r.text: r.want_ack for r in mesh.outbound() if r.dest == mesh.handset(1)}
    assert [rows[t] for t in (taken, status, helptext)] == [False, False, False]
    assert [rows[t] for t in (unknown, invalid)] == [True, True]


def test_sos_free_text_and_unknown_nodes(mesh: MeshHub) -> None:
    reply = mesh.ask(0, "SOS enkel gebroken bij de molen", lambda t: t.startswith("SOS"))
    assert "no coordinator has seen it yet" in reply  # it promises only what happened
    sos = mesh.events("alert.raised")
    assert sos[0].data["text"] == "enkel gebroken bij de molen"
    assert sos[0].data["verified"] is False
    assert sos[0].data["unknown_node"] is False
    sos_row = next(r for r in mesh.outbound() if r.text.startswith("SOS"))
    assert sos_row.priority == SendPriority.SOS

    mesh.sim.send_text(mesh.handset(0), "de brug bij de kerk is dicht", pki=True)
    stranger = mesh.handset(2)  # not a registered volunteer
    mesh.sim.send_text(stranger, "CHECKIN Molenweg 9 OK")

    def kinds() -> dict[str, MeshMessage]:
        rows = mesh.read(lambda s: s.exec(select(MeshMessage)).all())
        return {m.kind: m for m in rows}

    found = wait_until(lambda: (k := kinds()) and {"free_text", "held"} <= set(k) and k, 10, "stored")
    assert found["free_text"].pki is True  # the sender's identity was verified
    assert found["free_text"].handled is False  # it waits for a coordinator
    assert found["sos"].handled is False  # until a coordinator acknowledges the alert
    assert found["held"].node_id == stranger
    assert mesh.read(lambda s: s.exec(select(CheckIn)).all()) == []
    assert mesh.sim.received(stranger) == []

    # An SOS from a node that is no volunteer is an SOS all the same: answered, an alert.
    answer = mesh.ask(2, "SOS hulp bij de kerk", lambda t: t.startswith("SOS"))
    assert "no coordinator has seen it yet" in answer
    alerts = mesh.read(lambda s: s.exec(select(Alert).order_by(col(Alert.pk))).all())
    assert [(a.node_id, a.unknown_node, a.volunteer_name) for a in alerts][-1] == (stranger, True, None)
    assert all(a.acknowledged_at is None for a in alerts)


def test_duplicates_are_applied_once(mesh: MeshHub) -> None:
    mesh.sim.faults.duplicate_rate = 1.0
    assert mesh.step(0, "CHECKIN Molenweg 14 OK").queued == []
    mesh.ask(0, "STATUS", lambda t: t.startswith("Status"))  # both copies of the check-in were seen
    assert len(mesh.read(lambda s: s.exec(select(CheckIn)).all())) == 1
    assert len(mesh.read(lambda s: s.exec(select(MeshMessage)).all())) == 2  # one per packet id


def test_nak_max_retransmit_retries_then_flags_the_task(mesh: MeshHub) -> None:
    mesh.sim.nak_next("MAX_RETRANSMIT", count=3)
    mesh.create_task(31)
    wait_until(lambda: mesh.task(31).flagged, 15, "task flagged")
    row = mesh.outbound()[0]
    assert (row.status, row.attempts, row.error) == ("failed", 3, "MAX_RETRANSMIT")
    assert mesh.task(31).status == "open"
    assert mesh.link.status()["queue"]["failed"] == 1


def test_nak_once_then_delivered(mesh: MeshHub) -> None:
    mesh.sim.nak_next("DUTY_CYCLE_LIMIT", count=1)
    mesh.create_task(32)
    mesh.wait_task(32, "sent")
    wait_until(lambda: (r := mesh.outbound()[0]).status == "acked" and r.attempts == 2, 5, "acked at 2nd")
    assert not mesh.task(32).flagged


def test_lost_packet_times_out_and_is_sent_again(mesh: MeshHub) -> None:
    mesh.sim.faults.retransmit_timeout = 30  # the NAK comes too late: our own deadline acts
    mesh.sim.faults.drop_rate = 1.0
    mesh.create_task(33)
    wait_until(lambda: mesh.outbound()[0].attempts >= 1, 5, "sent once")
    mesh.sim.faults.drop_rate = 0.0
    mesh.wait_task(33, "sent", timeout=15)
    wait_until(lambda: mesh.outbound()[0].attempts == 2, 5, "two attempts")


def test_link_recovers_from_a_refused_reconnect_and_delivers_the_queue(mesh: MeshHub) -> None:
    mesh.sim.refuse_connections(3.0)
    mesh.sim.drop_client()
    wait_until(lambda: not mesh.link.status()["connected"], 10, "link down")
    mesh.create_task(41)  # queued while the radio is gone
    mesh.wait_task(41, "sent", timeout=20)
    assert mesh.link.status()["connected"]
    assert mesh.link.failed_connects >= 1
    assert mesh.link.connections == 2
    assert mesh.step(0, "JA 41").queued == []
    mesh.wait_task(41, "accepted")


def test_library_reconnect_keeps_the_link(mesh: MeshHub) -> None:
    mesh.sim.drop_client()  # connecting succeeds again at once: the library reconnects itself
    assert mesh.sim.wait_for_client(10)
    mesh.create_task(42)
    mesh.wait_task(42, "sent", timeout=15)


def test_queued_messages_are_sent_after_a_restart(settings: Settings, radio: Simulator) -> None:
    port = radio.start_tcp("127.0.0.1", 0)
    first = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}").start()
    volunteer_ids = first.volunteer_ids
    first.stop()

    second = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}", volunteers=0)
    second.volunteer_ids = volunteer_ids
    try:
        second.create_task(51)  # queued while no link runs
        node = radio.handsets[1].node_id

        def unacked(session: object) -> None:
            rows = enqueue_text(
                session, second.hub.ctx, node, "sent before the power cut", SendPriority.REPLY
            )  # type: ignore[arg-type]
            rows[0].status = "sent"
            rows[0].attempts = 1

        second.run(unacked)
        second.start()
        assert radio.wait_for_text(radio.handsets[0].node_id, lambda t: t.text.startswith("T51"), 10)
        assert radio.wait_for_text(node, lambda t: t.text == "sent before the power cut", 10)
        second.wait_task(51, "sent")
        wait_until(lambda: all(r.status == "acked" for r in second.outbound()), 10, "all acked")
    finally:
        second.stop()


def test_over_budget_summaries_wait_or_drop_and_sos_goes(
    settings: Settings, radio: Simulator, tmp_path: Path
) -> None:
    import time

    port = radio.start_tcp("127.0.0.1", 0)
    mesh = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}", budget_seconds=2.0).start()
    try:
        node = mesh.handset(0)
        mesh.link.budget.charge(2.0, time.monotonic())  # the hour's budget is spent

        def queue(session: object) -> None:
            for n in range(3):
                enqueue_text(session, mesh.hub.ctx, node, f"samenvatting {n}", SendPriority.SUMMARY)  # type: ignore[arg-type]
            enqueue_text(session, mesh.hub.ctx, node, "antwoord", SendPriority.REPLY)  # type: ignore[arg-type]
            enqueue_text(session, mesh.hub.ctx, node, "SOS bevestigd", SendPriority.SOS)  # type: ignore[arg-type]

        mesh.run(queue)
        radio.wait_for_text(node, lambda t: t.text == "SOS bevestigd", 10)
        wait_until(
            lambda: (
                [r.status for r in mesh.outbound()] == ["dropped", "dropped", "queued", "queued", "acked"]
            ),
            10,
            "summaries merged",
        )
        assert [t.text for t in radio.received(node)] == ["SOS bevestigd"]
        status = mesh.link.status()
        assert status["airtime"]["used_s"] > status["airtime"]["budget_s"]
        assert status["queue"]["queued"] == 2
    finally:
        mesh.stop()


def test_the_airtime_budget_survives_a_restart(settings: Settings, radio: Simulator) -> None:
    """A power cut must not hand the hub a fresh hour of air: the queue remembers what it sent."""
    port = radio.start_tcp("127.0.0.1", 0)
    first = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}").start()
    volunteer_ids = first.volunteer_ids
    try:
        for number in (61, 62, 63):
            first.create_task(number)
            first.wait_task(number, "sent")
        used_before = first.link.status()["airtime"]["used_s"]
        assert used_before > 0
    finally:
        first.stop()
    second = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}", volunteers=0)
    second.volunteer_ids = volunteer_ids
    try:
        second.start()
        assert second.link.status()["airtime"]["used_s"] == pytest.approx(used_before, abs=0.01)
    finally:
        second.stop()


def test_life_threatening_need_is_broadcast_at_once(mesh: MeshHub) -> None:
    def job(session: object) -> None:
        residents.create_need(
            session,  # type: ignore[arg-type]
            mesh.hub.ctx,
            NeedCreate(
                address="Dorpsstraat 21", category="medical_device", urgency="life", description="zuurstof op"
            ),
        )

    mesh.run(job)
    for handset in mesh.sim.handsets:
        alert = mesh.sim.wait_for_text(handset.node_id, lambda t: t.text.startswith("SPOED"), 10)
        assert alert.broadcast
        assert alert.text == "SPOED (112 gebeld?) apparaat Dorpsstraat 21: zuurstof op"
    row = wait_until(lambda: (r := mesh.outbound()[0]).status == "sent" and r, 5, "marked sent")
    assert (row.dest, row.priority, row.want_ack, row.attempts) == (BROADCAST, SendPriority.LIFE, False, 1)


def test_garbage_from_the_radio_never_crashes_the_link(
    mesh: MeshHub, capsys: pytest.CaptureFixture[str]
) -> None:
    from hub.mesh.sim.framing import encode_frame
    from hub.mesh.sim.pb import PortNum

    node = mesh.handset(0)
    mesh.sim.send_raw(b"\x00\xff" * 50)
    mesh.sim.send_raw(encode_frame(b"\xff\xff\xff\xff\x0f"))  # not a FromRadio
    mesh.sim.send_raw(b"\x94\xc3\x00\x08\x12\x06garb")  # a packet field that is no packet
    mesh.sim.send_data(node, 999, b"\x01\x02\x03")  # unknown port number
    mesh.sim.send_data(node, PortNum.Value("ROUTING_APP"), b"\xff\xff\xff")  # malformed routing
    mesh.sim.send_data(node, PortNum.Value("TELEMETRY_APP"), b"\xff\x00")  # malformed telemetry
    mesh.sim.send_data(node, PortNum.Value("TEXT_MESSAGE_APP"), b"\xc3\x28 ongeldig")  # bad UTF-8
    assert mesh.ask(0, "STATUS", lambda t: t.startswith("Status"))
    assert mesh.link.status()["connected"]
    capsys.readouterr()  # the library prints its parse errors


def test_node_infos_update_volunteers(mesh: MeshHub) -> None:
    from hub.models import Volunteer

    handset = mesh.sim.handsets[0]

    def volunteer() -> Volunteer:
        return mesh.read(
            lambda s: s.exec(select(Volunteer).where(Volunteer.node_id == handset.node_id)).one()
        )

    found = wait_until(lambda: volunteer().battery is not None and volunteer(), 10, "battery")
    assert found.battery == handset.battery_level
    status = wait_until(lambda: (s := mesh.link.status())["nodes_heard"] >= 3 and s, 10, "three nodes heard")
    assert status["firmware"]
    assert status["node_id"] == mesh.sim.node_id

"""The unmodified meshtastic TCPInterface against the simulator."""

from __future__ import annotations

import socket
import time
from typing import Any

import meshtastic.tcp_interface
import pytest

from hub.mesh.sim import Simulator
from hub.mesh.sim.framing import encode_frame

from .conftest import Events

pytestmark = pytest.mark.timeout(60)


def test_library_connects_and_sees_radio_and_handsets(sim: Simulator, iface: Any) -> None:
    assert iface.myInfo.my_node_num == sim.node_num
    assert iface.metadata.firmware_version
    assert set(iface.nodes) == {sim.node_id} | {h.node_id for h in sim.handsets}
    first = sim.handsets[0]
    assert iface.nodes[first.node_id]["user"]["longName"] == first.long_name
    assert iface.nodes[first.node_id]["user"]["shortName"] == first.short_name
    lora = iface.localNode.localConfig.lora
    assert lora.region == 3  # EU_868
    assert lora.hop_limit == 3
    assert len(iface.localNode.channels) == 8
    assert iface.localNode.moduleConfig.HasField("canned_message")
    assert sim.client_connected


def test_direct_text_with_ack_reaches_one_handset(sim: Simulator, iface: Any, events: Events) -> None:
    target, other = sim.handsets[0], sim.handsets[1]
    sent = iface.sendText("T12 KLOP Kerkstraat 5", destinationId=target.node_id, wantAck=True)
    got = sim.wait_for_text(target.node_id, lambda t: t.packet_id == sent.id, timeout=5)
    assert got.text == "T12 KLOP Kerkstraat 5"
    assert got.want_ack
    assert not got.broadcast
    assert got.to_num == target.node_num
    assert got.from_num == sim.node_num
    ack = events.wait("routing", lambda p: p["decoded"].get("requestId") == sent.id)
    assert ack["decoded"]["routing"]["errorReason"] == "NONE"
    assert ack["from"] == target.node_num
    assert ack["to"] == sim.node_num
    assert ack["priority"] == "ACK"
    assert sim.received(other.node_id) == []


def test_broadcast_reaches_every_handset_with_implicit_ack(
    sim: Simulator, iface: Any, events: Events
) -> None:
    sent = iface.sendText("Water bij de school", wantAck=True)
    for handset in sim.handsets:
        text = sim.wait_for_text(handset.node_id, lambda t: t.packet_id == sent.id)
        assert text.broadcast
    ack = events.wait("routing", lambda p: p["decoded"].get("requestId") == sent.id)
    assert ack["from"] == sim.node_num  # implicit: from our own node


def test_handset_text_reaches_the_library(sim: Simulator, iface: Any, events: Events) -> None:
    handset = sim.handsets[2]
    packet_id = sim.send_text(handset.node_id, "JA 12")
    packet = events.wait("text", lambda p: p["id"] == packet_id)
    assert packet["decoded"]["text"] == "JA 12"
    assert packet["from"] == handset.node_num
    assert packet["fromId"] == handset.node_id
    assert packet["to"] == sim.node_num
    assert not packet.get("pkiEncrypted", False)


def test_pki_flag_and_broadcast_from_handset(sim: Simulator, iface: Any, events: Events) -> None:
    handset = sim.handsets[0]
    pki_id = sim.send_text(handset.node_id, "SOS", pki=True)
    assert events.wait("text", lambda p: p["id"] == pki_id)["pkiEncrypted"] is True
    bc_id = sim.send_text(handset.node_id, "hoi allemaal", to="broadcast", channel=0)
    assert events.wait("text", lambda p: p["id"] == bc_id)["toId"] == "^all"


def test_injected_nak_arrives_as_routing_error(sim: Simulator, iface: Any, events: Events) -> None:
    target = sim.handsets[0]
    sim.nak_next("DUTY_CYCLE_LIMIT")
    sent = iface.sendText("eerste", destinationId=target.node_id, wantAck=True)
    nak = events.wait("routing", lambda p: p["decoded"].get("requestId") == sent.id)
    assert nak["decoded"]["routing"]["errorReason"] == "DUTY_CYCLE_LIMIT"
    assert sim.received(target.node_id) == []
    again = iface.sendText("tweede", destinationId=target.node_id, wantAck=True)
    ack = events.wait("routing", lambda p: p["decoded"].get("requestId") == again.id)
    assert ack["decoded"]["routing"]["errorReason"] == "NONE"


def test_lost_packet_ends_in_max_retransmit(sim: Simulator, iface: Any, events: Events) -> None:
    sim.faults.drop_rate = 1.0
    sim.faults.retransmit_timeout = 0.3
    target = sim.handsets[1]
    sent = iface.sendText("kwijt", destinationId=target.node_id, wantAck=True)
    nak = events.wait("routing", lambda p: p["decoded"].get("requestId") == sent.id)
    assert nak["decoded"]["routing"]["errorReason"] == "MAX_RETRANSMIT"
    assert nak["from"] == sim.node_num
    assert sim.received(target.node_id) == []


def test_duplicates_arrive_twice_with_the_same_id(sim: Simulator, iface: Any, events: Events) -> None:
    sim.faults.duplicate_rate = 1.0
    packet_id = sim.send_text(sim.handsets[0].node_id, "KLAAR 12")
    events.wait("text", lambda p: p["id"] == packet_id)
    deadline = time.monotonic() + 3
    while len([p for p in events.all("text") if p["id"] == packet_id]) < 2:
        assert time.monotonic() < deadline, "duplicate never arrived"
        time.sleep(0.05)


def test_drop_client_closes_the_connection(sim: Simulator, iface: Any, events: Events) -> None:
    sim.refuse_connections(30)  # so the library's one reconnect attempt fails too
    sim.drop_client()
    events.wait("lost", lambda _p: True, timeout=10)
    assert not sim.client_connected


def test_backlog_is_delivered_after_reconnect(sim: Simulator, port: int, events: Events) -> None:
    handset = sim.handsets[3]
    early = sim.send_text(handset.node_id, "NIET 3 niemand thuis")  # nobody connected yet
    time.sleep(0.1)
    interface = meshtastic.tcp_interface.TCPInterface("127.0.0.1", portNumber=port, timeout=10)
    events.iface = interface
    try:
        packet = events.wait("text", lambda p: p["id"] == early)
        assert packet["decoded"]["text"] == "NIET 3 niemand thuis"
    finally:
        interface.close()


def test_reboot_makes_the_library_handshake_again(sim: Simulator, iface: Any, events: Events) -> None:
    before = sim.stats["handshakes"]
    sim.reboot()
    deadline = time.monotonic() + 10
    while sim.stats["handshakes"] <= before or not sim.client_connected:
        assert time.monotonic() < deadline, "no new handshake after reboot"
        time.sleep(0.05)
    target = sim.handsets[0]
    sent = iface.sendText("na reboot", destinationId=target.node_id, wantAck=True)
    assert sim.wait_for_text(target.node_id, lambda t: t.packet_id == sent.id).text == "na reboot"


def test_garbage_on_the_wire_does_not_crash_the_sim(sim: Simulator, port: int) -> None:
    junk = [
        b"\x00\xff" * 300,
        b"\x94\xc3\xff\xff" + b"A" * 50,  # oversized length
        encode_frame(b"\xff\xff\xff\xff\x0f"),  # not a protobuf
        encode_frame(b""),  # empty ToRadio
        encode_frame(bytes([0x92, 0x03, 0x00])),  # unknown field number 50
        b"\x94\xc3\x00\x40" + b"truncated",
    ]
    for chunk in junk:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
            raw.sendall(chunk)
            time.sleep(0.05)
    assert sim.stats["bad_frames"] + sim.stats["unknown_to_radio"] >= 2
    interface = meshtastic.tcp_interface.TCPInterface("127.0.0.1", portNumber=port, timeout=10)
    try:
        assert sim.handsets[0].node_id in interface.nodes
    finally:
        interface.close()


def test_heartbeat_is_answered_and_sending_does_not_block(sim: Simulator, iface: Any) -> None:
    iface.sendHeartbeat()
    target = sim.handsets[0]
    start = time.monotonic()
    for n in range(20):  # more than the 16-slot queue: QueueStatus must free it
        iface.sendText(f"bericht {n}", destinationId=target.node_id)
    assert time.monotonic() - start < 10
    sim.wait_for_text(target.node_id, lambda t: t.text == "bericht 19")
    assert sim.airtime_seconds > 0

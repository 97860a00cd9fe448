"""Several simulated radios on one region channel, each with the real meshtastic library."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import meshtastic.tcp_interface
import pytest

from hub.mesh.sim import RegionAir, Simulator
from hub.mesh.sim.pb import PortNum, channel_pb2

from .conftest import Events

pytestmark = pytest.mark.timeout(60)

PRIVATE = "meshtastic.receive.data.PRIVATE_APP"


class Radio:
    """One simulated radio with the library connected and its events collected."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.events = Events()
        self.events.listen(PRIVATE, "data")
        self.events.listen("meshtastic.receive.routing", "routing")
        self.events.listen("meshtastic.receive.text", "text")
        port = sim.start_tcp("127.0.0.1", 0)
        self.iface: Any = meshtastic.tcp_interface.TCPInterface(
            hostname="127.0.0.1", portNumber=port, timeout=10
        )
        self.events.iface = self.iface

    def send(self, payload: bytes, to: int | str = "^all", want_ack: bool = False) -> Any:
        return self.iface.sendData(
            payload, destinationId=to, portNum=PortNum.Value("PRIVATE_APP"), wantAck=want_ack, channelIndex=1
        )

    def routing(self, packet_id: int, timeout: float = 5.0) -> dict[str, Any]:
        return self.events.wait("routing", lambda p: p["decoded"].get("requestId") == packet_id, timeout)

    def close(self) -> None:
        self.iface.close()
        self.events.close()
        self.sim.stop()


def radios(air: RegionAir, count: int, provision: bool = True) -> list[Radio]:
    out = []
    for seed in range(count):
        sim = Simulator(handsets=1, preset="MEDIUM_FAST", seed=100 + seed)
        air.attach(sim, provision=provision)
        out.append(Radio(sim))
    return out


@pytest.fixture
def three() -> Iterator[tuple[RegionAir, list[Radio]]]:
    air = RegionAir(seed=7, hop_delay=0.05, retry_interval=0.3)
    group = radios(air, 3)
    try:
        yield air, group
    finally:
        for radio in group:
            radio.close()


def test_broadcast_on_the_region_channel_reaches_every_other_radio(
    three: tuple[RegionAir, list[Radio]],
) -> None:
    air, (a, b, c) = three
    sent = a.send(b"\x11summary", want_ack=True)
    for other in (b, c):
        got = other.events.wait("data", lambda p: p["id"] == sent.id)
        assert got["decoded"]["payload"] == b"\x11summary"
        assert got["from"] == a.sim.node_num
        assert got["channel"] == 1
    assert a.routing(sent.id)["decoded"]["routing"]["errorReason"] == "NONE"
    assert a.events.all("data") == []  # a radio does not hear itself
    assert [t.attempt for t in air.sent(a.sim.node_num)] == [1]


def test_direct_packet_reaches_only_its_radio_and_is_acked_by_it(
    three: tuple[RegionAir, list[Radio]],
) -> None:
    _, (a, b, c) = three
    sent = a.send(b"urgent", to=b.sim.node_num, want_ack=True)
    assert b.events.wait("data", lambda p: p["id"] == sent.id)["to"] == b.sim.node_num
    ack = a.routing(sent.id)
    assert ack["from"] == b.sim.node_num
    assert ack["decoded"]["routing"]["errorReason"] == "NONE"
    time.sleep(0.3)
    assert c.events.all("data") == []
    assert [e.kind for e in b.sim.air.since() if e.kind == "radio_ack"] == ["radio_ack"]


def test_channel_index_follows_the_receivers_own_channel_table() -> None:
    air = RegionAir(seed=1, hop_delay=0.01)
    a, b = radios(air, 2)
    try:
        # b keeps the region channel at index 2: it hears it there
        settings = channel_pb2.ChannelSettings(name=air.name, psk=air.psk)
        b.sim.set_channel(1, channel_pb2.ChannelSettings(), role="DISABLED")
        b.sim.set_channel(2, settings)
        sent = a.send(b"hello")
        assert b.events.wait("data", lambda p: p["id"] == sent.id)["channel"] == 2
    finally:
        a.close()
        b.close()


def test_a_radio_with_another_key_hears_nothing_and_a_lost_direct_packet_is_naked() -> None:
    air = RegionAir(seed=1, hop_delay=0.01, retry_interval=0.1)
    a, b = radios(air, 2)
    try:
        b.sim.set_channel(1, channel_pb2.ChannelSettings(name=air.name, psk=bytes(32)))
        sent = a.send(b"secret", to=b.sim.node_num, want_ack=True)
        nak = a.routing(sent.id)
        assert nak["decoded"]["routing"]["errorReason"] == "MAX_RETRANSMIT"
        assert [t.attempt for t in air.sent(a.sim.node_num)] == [1, 2, 3]
        assert b.events.all("data") == []
        kinds = [e.kind for e in a.sim.air.since()]
        assert kinds.count("hub") == 1 and kinds.count("hub_retry") == 2
    finally:
        a.close()
        b.close()


def test_loss_is_retried_and_a_repeat_is_passed_up_once() -> None:
    air = RegionAir(seed=3, loss=0.5, hop_delay=0.01, retry_interval=0.05)
    a, b = radios(air, 2)
    try:
        outcomes = []
        for n in range(20):
            sent = a.send(bytes([n]), to=b.sim.node_num, want_ack=True)
            outcomes.append((sent.id, a.routing(sent.id)["decoded"]["routing"]["errorReason"]))
        acked = {pid for pid, error in outcomes if error == "NONE"}
        assert acked and len(acked) < 20  # at 50 % loss some fail after three tries
        assert any(t.attempt > 1 for t in air.sent(a.sim.node_num))
        time.sleep(0.2)
        ids = [p["id"] for p in b.events.all("data")]
        assert len(ids) == len(set(ids))  # retries after a lost ACK are not passed up twice
        assert acked <= set(ids)
    finally:
        a.close()
        b.close()


def test_cut_radio_and_neighbourhood_traffic_unchanged(three: tuple[RegionAir, list[Radio]]) -> None:
    air, (a, b, c) = three
    air.cut(c.sim)
    sent = a.send(b"x")
    b.events.wait("data", lambda p: p["id"] == sent.id)
    time.sleep(0.2)
    assert c.events.all("data") == []
    # channel 0 still goes to the radio's own handsets, not over the region air
    handset = a.sim.handsets[0]
    text = a.iface.sendText("T1 hallo", destinationId=handset.node_id, wantAck=True)
    a.sim.wait_for_text(handset.node_id, lambda t: t.packet_id == text.id)
    time.sleep(0.2)
    assert b.events.all("text") == []


def test_hops_delay_and_lower_the_hop_limit(three: tuple[RegionAir, list[Radio]]) -> None:
    air, (a, b, c) = three
    air.set_hops(a.sim, c.sim, 3)
    sent = a.send(b"far")
    near = b.events.wait("data", lambda p: p["id"] == sent.id)
    far = c.events.wait("data", lambda p: p["id"] == sent.id)
    assert near["hopStart"] - near["hopLimit"] == 0
    assert far["hopStart"] - far["hopLimit"] == 2

"""The library's SerialInterface over the simulator's pseudo-terminal."""

from __future__ import annotations

import os

import meshtastic.serial_interface
import pytest

from hub.mesh.sim import Simulator

from .conftest import Events

pytestmark = pytest.mark.timeout(60)


def test_serial_interface_over_pty(sim: Simulator, events: Events) -> None:
    path = sim.start_pty()
    assert os.path.exists(path)
    iface = meshtastic.serial_interface.SerialInterface(devPath=path, timeout=10)
    events.iface = iface
    try:
        assert iface.myInfo.my_node_num == sim.node_num
        assert {h.node_id for h in sim.handsets} <= set(iface.nodes)
        target = sim.handsets[0]
        sent = iface.sendText("via usb", destinationId=target.node_id, wantAck=True)
        assert sim.wait_for_text(target.node_id, lambda t: t.packet_id == sent.id).text == "via usb"
        ack = events.wait("routing", lambda p: p["decoded"].get("requestId") == sent.id)
        assert ack["from"] == target.node_num
        packet_id = sim.send_text(target.node_id, "KLAAR")
        assert events.wait("text", lambda p: p["id"] == packet_id)["decoded"]["text"] == "KLAAR"
    finally:
        iface.close()
    # a second client on the same pty gets a clean handshake
    again = meshtastic.serial_interface.SerialInterface(devPath=path, timeout=10)
    try:
        assert again.myInfo.my_node_num == sim.node_num
    finally:
        again.close()

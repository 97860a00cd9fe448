"""Admin messages from the library change the simulated radio's real protobufs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from hub.mesh.sim import Simulator

pytestmark = pytest.mark.timeout(60)


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_set_owner(sim: Simulator, iface: Any) -> None:
    iface.localNode.setOwner(long_name="Buurthuis De Linde", short_name="LIND")
    eventually(lambda: sim.owner.long_name == "Buurthuis De Linde")
    assert sim.owner.short_name == "LIND"


def test_write_config_and_module_config(sim: Simulator, iface: Any) -> None:
    node = iface.localNode
    node.localConfig.lora.modem_preset = 0  # LONG_FAST
    node.localConfig.lora.hop_limit = 5
    node.writeConfig("lora")
    node.localConfig.device.role = 12  # CLIENT_BASE
    node.writeConfig("device")
    node.moduleConfig.canned_message.enabled = True
    node.writeConfig("canned_message")
    eventually(lambda: sim.module_config.canned_message.enabled)
    assert sim.local_config.lora.hop_limit == 5
    assert sim.preset == "LONG_FAST"
    assert sim.local_config.lora.region == 3  # untouched fields kept (EU_868)
    assert sim.local_config.device.role == 12


def test_write_channel(sim: Simulator, iface: Any) -> None:
    node = iface.localNode
    node.channels[1].role = 2  # SECONDARY
    node.channels[1].settings.name = "buurt"
    node.channels[1].settings.psk = bytes(range(32))
    node.writeChannel(1)
    eventually(lambda: sim.channels[1].settings.name == "buurt")
    assert sim.channels[1].settings.psk == bytes(range(32))
    assert sim.channels[1].role == 2


def test_canned_messages_round_trip(sim: Simulator, iface: Any) -> None:
    iface.localNode.set_canned_message("OK|JA|KLAAR|NIET|HULP|TAKEN")
    eventually(lambda: sim.canned_messages == "OK|JA|KLAAR|NIET|HULP|TAKEN")
    iface.localNode.cannedPluginMessage = None
    assert iface.localNode.get_canned_message() == "OK|JA|KLAAR|NIET|HULP|TAKEN"


def test_get_requests_are_answered(sim: Simulator, iface: Any, events: Any) -> None:
    iface.localNode.requestChannels()
    eventually(lambda: iface.localNode.channels is not None and len(iface.localNode.channels) == 8)
    iface.localNode.getMetadata()
    eventually(lambda: iface.nodesByNum[sim.node_num].get("adminSessionPassKey") is not None)


def test_new_client_sees_changed_config(sim: Simulator, port: int, iface: Any) -> None:
    import meshtastic.tcp_interface

    iface.localNode.setOwner(long_name="Hub Noord", short_name="NRD")
    eventually(lambda: sim.owner.long_name == "Hub Noord")
    iface.close()
    second = meshtastic.tcp_interface.TCPInterface("127.0.0.1", portNumber=port, timeout=10)
    try:
        assert second.getLongName() == "Hub Noord"
    finally:
        second.close()

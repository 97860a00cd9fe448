"""The JSON-lines drill control interface."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from hub.mesh.sim import ControlServer, Simulator

from .conftest import Events

pytestmark = pytest.mark.timeout(60)


def ask(sock_file: Any, request: object) -> dict[str, Any]:
    sock_file.write((json.dumps(request) + "\n").encode())
    sock_file.flush()
    answer: dict[str, Any] = json.loads(sock_file.readline())
    return answer


def test_control_drives_the_sim(sim: Simulator, iface: Any, events: Events) -> None:
    control = ControlServer(sim, "127.0.0.1", 0)
    port = control.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            f = sock.makefile("rwb")
            handsets = ask(f, {"cmd": "handsets"})["handsets"]
            assert [h["node_id"] for h in handsets] == [h.node_id for h in sim.handsets]
            sender = handsets[0]["node_id"]
            answer = ask(f, {"cmd": "send", "from": sender, "text": "JA 12"})
            assert answer["ok"]
            packet = events.wait("text", lambda p: p["id"] == answer["id"])
            assert packet["fromId"] == sender
            iface.sendText("T12 KLOP Kerkstraat 5", destinationId=sender)
            waited = ask(f, {"cmd": "wait", "node": sender, "contains": "T12", "timeout": 5})
            assert waited["text"]["text"] == "T12 KLOP Kerkstraat 5"
            assert len(ask(f, {"cmd": "received", "node": sender})["texts"]) == 1
            assert ask(f, {"cmd": "faults", "drop_rate": 0.5})["ok"]
            assert sim.faults.drop_rate == 0.5
            assert ask(f, {"cmd": "nak_next", "error": "DUTY_CYCLE_LIMIT"})["ok"]
            status = ask(f, {"cmd": "status"})
            assert status["client_connected"]
            assert status["preset"] == "MEDIUM_FAST"
            bad = ask(f, {"cmd": "send", "from": "!00000000", "text": "x"})
            assert not bad["ok"]
            assert "KeyError" in bad["error"]
            assert not ask(f, {"cmd": "nope"})["ok"]
            f.write(b"not json\n")
            f.flush()
            assert json.loads(f.readline())["ok"] is False
    finally:
        control.stop()

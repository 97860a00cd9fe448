"""The meshtastic command-line tool against the simulator (``--host 127.0.0.1:PORT``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from hub.mesh.sim import Simulator

pytestmark = pytest.mark.timeout(120)

MESHTASTIC = [sys.executable, "-m", "meshtastic"]


def run_cli(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MESHTASTIC, "--host", f"127.0.0.1:{port}", "--timeout", "20", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_info_lists_handsets(sim: Simulator, port: int) -> None:
    result = run_cli(port, "--info")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Connected to radio" in result.stdout
    for handset in sim.handsets:
        assert handset.node_id in result.stdout
        assert handset.long_name in result.stdout
    assert "EU_868" in result.stdout


def test_cli_sendtext_reaches_one_handset(sim: Simulator, port: int) -> None:
    target = sim.handsets[1]
    result = run_cli(port, "--sendtext", "hallo vanaf de cli", "--dest", target.node_id, "--ack")
    assert result.returncode == 0, result.stderr
    assert "Received an ACK." in result.stdout, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert [t.text for t in sim.received(target.node_id)] == ["hallo vanaf de cli"]
    for other in sim.handsets:
        if other is not target:
            assert sim.received(other.node_id) == []


def test_cli_configure_yaml(sim: Simulator, port: int, tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(
        "owner: Buurtbaken Centrum\n"
        "owner_short: BBC\n"
        "canned_messages: OK|JA|KLAAR|NIET|HULP\n"
        "config:\n"
        "  lora:\n"
        "    hopLimit: 4\n"
        "    modemPreset: MEDIUM_FAST\n"
        "    region: EU_868\n"
        "  device:\n"
        "    role: CLIENT_BASE\n"
        "module_config:\n"
        "  cannedMessage:\n"
        "    enabled: true\n",
        encoding="utf-8",
    )
    result = run_cli(port, "--configure", str(config))
    assert result.returncode == 0, result.stderr + result.stdout
    deadline = time.monotonic() + 5
    while sim.canned_messages != "OK|JA|KLAAR|NIET|HULP" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sim.owner.long_name == "Buurtbaken Centrum"
    assert sim.owner.short_name == "BBC"
    assert sim.canned_messages == "OK|JA|KLAAR|NIET|HULP"
    assert sim.local_config.lora.hop_limit == 4
    assert sim.local_config.device.role == 12  # CLIENT_BASE
    assert sim.module_config.canned_message.enabled

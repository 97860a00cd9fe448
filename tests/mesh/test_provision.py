"""``hub radio provision`` against the simulated radio, read back over the real API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from meshtastic.protobuf.config_pb2 import Config
from meshtastic.tcp_interface import TCPInterface

from hub.errors import ValidationError
from hub.mesh.channel import ChannelError, new_channel_url
from hub.mesh.provision import provision
from hub.mesh.sim import Simulator

Role = Config.DeviceConfig.Role
GpsMode = Config.PositionConfig.GpsMode
FIRMWARE_CONFIG = Path(__file__).resolve().parents[2] / "firmware_config"


@pytest.fixture
def sim() -> Iterator[tuple[Simulator, int]]:
    simulator = Simulator(handsets=2, preset="LONG_FAST", seed=3)
    port = simulator.start_tcp("127.0.0.1", 0)
    yield simulator, port
    simulator.stop()


@pytest.fixture
def channel_file(tmp_path: Path) -> Path:
    path = tmp_path / "channel-url"
    path.write_text(new_channel_url("Kerkbuurt") + "\n")
    return path


def test_hub_radio_profile_changes_the_radio(sim: tuple[Simulator, int], channel_file: Path) -> None:
    simulator, port = sim
    assert simulator.local_config.device.role != Role.CLIENT_BASE
    result = provision(
        FIRMWARE_CONFIG / "hub-radio.yaml",
        f"tcp://127.0.0.1:{port}",
        channel_url_file=channel_file,
        pace=0.05,
    )
    assert result.role == "CLIENT_BASE"
    assert result.region == "EU_868"
    assert result.preset == "MEDIUM_FAST"
    assert result.channel_name == "Kerkbuurt"
    assert result.channel_key_bytes == 32
    assert result.canned_messages == "OK|JA|KLAAR|NIET|TAKEN|STATUS|SOS|?"
    assert result.owner == "Buurtbaken hub"
    # The simulated radio itself holds the new settings (not just the library's copy).
    assert simulator.canned_messages == "OK|JA|KLAAR|NIET|TAKEN|STATUS|SOS|?"
    assert simulator.channels[0].settings.name == "Kerkbuurt"
    assert simulator.local_config.device.role == Role.CLIENT_BASE
    assert simulator.local_config.position.gps_mode == GpsMode.DISABLED
    interface = TCPInterface(hostname="127.0.0.1", portNumber=port)
    try:
        assert interface.localNode.localConfig.lora.hop_limit == 3
        assert interface.localNode.moduleConfig.mqtt.enabled is False
    finally:
        interface.close()


def test_handset_profile_through_the_cli(sim: tuple[Simulator, int], channel_file: Path) -> None:
    simulator, port = sim
    env = {**os.environ, "BUURTBAKEN_CHANNEL_URL": channel_file.read_text().strip()}
    result = subprocess.run(
        [
            sys.executable, "-m", "hub", "radio", "provision",
            str(FIRMWARE_CONFIG / "volunteer-handset.yaml"), "--radio", f"tcp://127.0.0.1:{port}",
        ],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "role CLIENT," in result.stdout
    assert simulator.channels[0].settings.name == "Kerkbuurt"


def test_without_a_private_channel_nothing_is_written(
    sim: tuple[Simulator, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator, port = sim
    before = simulator.local_config.SerializeToString()
    public = tmp_path / "public"
    public.write_text("https://meshtastic.org/e/#CgMSAQESBggBQANIAQ")  # default key: public
    with pytest.raises(ChannelError):
        provision(FIRMWARE_CONFIG / "hub-radio.yaml", f"tcp://127.0.0.1:{port}", channel_url_file=public)
    broken = tmp_path / "broken.yaml"
    broken.write_text("owner: [unclosed\n")
    with pytest.raises(ValidationError):
        provision(broken, f"tcp://127.0.0.1:{port}", channel_url_file=public)
    assert simulator.local_config.SerializeToString() == before

"""``hub radio provision`` puts the region channel at index 1, read back over the real API;
the region key setting (``HUB_REGION_KEY_FILE``)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from meshtastic.tcp_interface import TCPInterface

from hub.config import load_settings, region_key
from hub.errors import ConfigError
from hub.mesh.channel import ChannelError, new_channel_url, parse_channel_url
from hub.mesh.provision import provision
from hub.mesh.region_link import RegionConfig
from hub.mesh.sim import RegionAir, Simulator
from hub.mesh.sim.pb import PortNum, channel_pb2

FIRMWARE_CONFIG = Path(__file__).resolve().parents[2] / "firmware_config"
DISABLED = channel_pb2.Channel.Role.Value("DISABLED")
SECONDARY = channel_pb2.Channel.Role.Value("SECONDARY")


@pytest.fixture
def sim() -> Iterator[tuple[Simulator, int]]:
    simulator = Simulator(handsets=1, preset="MEDIUM_FAST", seed=5)
    port = simulator.start_tcp("127.0.0.1", 0)
    yield simulator, port
    simulator.stop()


@pytest.fixture
def urls(tmp_path: Path) -> tuple[Path, Path]:
    neighbourhood = tmp_path / "channel-url"
    neighbourhood.write_text(new_channel_url("Kerkbuurt") + "\n")
    region = tmp_path / "region-channel-url"
    region.write_text(new_channel_url("Regio") + "\n")
    return neighbourhood, region


def test_region_channel_lands_at_index_1_and_the_radio_hears_the_region(
    sim: tuple[Simulator, int], urls: tuple[Path, Path]
) -> None:
    simulator, port = sim
    neighbourhood, region = urls
    result = provision(
        FIRMWARE_CONFIG / "hub-radio.yaml",
        f"tcp://127.0.0.1:{port}",
        channel_url_file=neighbourhood,
        region_channel_url_file=region,
        pace=0.05,
    )
    assert (result.channel_name, result.region_channel_name) == ("Kerkbuurt", "Regio")
    assert result.region_channel_key_bytes == 32
    wanted = parse_channel_url(region.read_text().strip()).settings[0]
    kept = simulator.channels[1]
    assert kept.role == SECONDARY
    assert (kept.settings.name, kept.settings.psk) == (wanted.name, wanted.psk)
    assert simulator.channels[0].settings.name == "Kerkbuurt"
    # the radio now hears a station that holds the region channel's key, and not a stranger
    air = RegionAir(name=wanted.name, psk=wanted.psk, hop_delay=0.01)
    station = Simulator(handsets=1, preset="MEDIUM_FAST", seed=6)
    stranger = Simulator(handsets=1, preset="MEDIUM_FAST", seed=7)
    try:
        air.attach(station)
        air.attach(simulator, provision=False)
        air.attach(stranger, provision=False)
        interface = TCPInterface(hostname="127.0.0.1", portNumber=station.start_tcp("127.0.0.1", 0))
        try:
            interface.sendData(b"hallo", portNum=PortNum.Value("PRIVATE_APP"), channelIndex=1)
        finally:
            interface.close()
        assert [t.heard_by for t in air.wait_sent(station.node_num)] == [(simulator.node_num,)]
    finally:
        station.stop()
        stranger.stop()


def test_without_a_region_channel_url_index_1_stays_off(
    sim: tuple[Simulator, int], urls: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator, port = sim
    monkeypatch.delenv("BUURTBAKEN_REGION_CHANNEL_URL", raising=False)
    result = provision(
        FIRMWARE_CONFIG / "hub-radio.yaml", f"tcp://127.0.0.1:{port}", channel_url_file=urls[0], pace=0.05
    )
    assert (result.region_channel_name, result.region_channel_key_bytes) == ("", 0)
    assert simulator.channels[1].role == DISABLED


def test_region_channel_from_the_environment_through_the_cli(
    sim: tuple[Simulator, int], urls: tuple[Path, Path]
) -> None:
    simulator, port = sim
    env = {
        **os.environ,
        "BUURTBAKEN_CHANNEL_URL": urls[0].read_text().strip(),
        "BUURTBAKEN_REGION_CHANNEL_URL": urls[1].read_text().strip(),
    }
    result = subprocess.run(
        [
            sys.executable, "-m", "hub", "radio", "provision",
            str(FIRMWARE_CONFIG / "hub-radio.yaml"), "--radio", f"tcp://127.0.0.1:{port}",
        ],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "region channel 'Regio' (32-byte key)" in result.stdout
    assert simulator.channels[1].settings.name == "Regio"


@pytest.mark.parametrize(
    "content",
    [
        "https://meshtastic.org/e/#CgMSAQESBggBQANIAQ",  # the default key: public
        "not a url",
        "https://meshtastic.org/e/#@@@",
    ],
)
def test_a_bad_region_channel_writes_nothing(
    sim: tuple[Simulator, int], urls: tuple[Path, Path], tmp_path: Path, content: str
) -> None:
    simulator, port = sim
    before = [c.SerializeToString() for c in simulator.channels], simulator.local_config.SerializeToString()
    bad = tmp_path / "bad-region"
    bad.write_text(content)
    with pytest.raises(ChannelError):
        provision(
            FIRMWARE_CONFIG / "hub-radio.yaml",
            f"tcp://127.0.0.1:{port}",
            channel_url_file=urls[0],
            region_channel_url_file=bad,
            pace=0.05,
        )
    after = [c.SerializeToString() for c in simulator.channels], simulator.local_config.SerializeToString()
    assert after == before


def test_the_neighbourhood_key_is_refused_as_region_channel(
    sim: tuple[Simulator, int], urls: tuple[Path, Path], tmp_path: Path
) -> None:
    simulator, port = sim
    psk = parse_channel_url(urls[0].read_text().strip()).settings[0].psk
    same = tmp_path / "same-key"
    same.write_text(new_channel_url("Regio", psk))
    before = [c.SerializeToString() for c in simulator.channels]
    with pytest.raises(ChannelError, match="neighbourhood channel's key"):
        provision(
            FIRMWARE_CONFIG / "hub-radio.yaml",
            f"tcp://127.0.0.1:{port}",
            channel_url_file=urls[0],
            region_channel_url_file=same,
            pace=0.05,
        )
    assert [c.SerializeToString() for c in simulator.channels] == before
    with pytest.raises(ChannelError, match="cannot read"):
        provision(
            FIRMWARE_CONFIG / "hub-radio.yaml",
            f"tcp://127.0.0.1:{port}",
            channel_url_file=urls[0],
            region_channel_url_file=tmp_path / "missing",
        )


# -- the region key ---------------------------------------------------------------------------
def test_region_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert region_key(load_settings(data_dir=tmp_path)) is None  # no key: region channel off
    key = os.urandom(32)
    good = tmp_path / "region-key"
    good.write_text(base64.b64encode(key).decode() + "\n")
    monkeypatch.setenv("HUB_REGION_KEY_FILE", str(good))
    assert region_key(load_settings(data_dir=tmp_path)) == key


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the region key file"),
        ("not base64 at all!", "is not a base64 key"),
        (base64.b64encode(b"short").decode(), "5-byte key"),
    ],
)
def test_a_missing_or_garbled_region_key_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, message: str
) -> None:
    path = tmp_path / "region-key"
    if content is not None:
        path.write_text(content)
    monkeypatch.setenv("HUB_REGION_KEY_FILE", str(path))
    with pytest.raises(ConfigError) as error:
        load_settings(data_dir=tmp_path)
    assert str(error.value).startswith("HUB_REGION_KEY_FILE:")
    assert message in str(error.value)


def test_region_link_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert RegionConfig.from_settings(load_settings(data_dir=tmp_path)) is None  # off without a key
    path = tmp_path / "region-key"
    key = os.urandom(32)
    path.write_text(base64.b64encode(key).decode())
    for name, value in {
        "HUB_REGION_KEY_FILE": str(path),
        "HUB_REGION_AFTER_MINUTES": "10",
        "HUB_REGION_SUMMARY_MINUTES": "20",
        "HUB_REGION_SLOT_SECONDS": "60",
        "HUB_REGION_SLOT": "3",
        "HUB_REGION_RETRY_SECONDS": "45",
    }.items():
        monkeypatch.setenv(name, value)
    config = RegionConfig.from_settings(load_settings(data_dir=tmp_path, id="wijk-7"))
    assert config is not None
    assert (config.key, config.hub_id, config.after_seconds, config.period_seconds) == (
        key,
        "wijk-7",
        600,
        1200,
    )
    assert (config.slot, config.offset, config.retry_seconds, config.channel) == (3, 180, 45, 1)

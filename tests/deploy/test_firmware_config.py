"""The Meshtastic profiles in firmware_config/ load as the meshtastic CLI loads them, name only
fields the firmware knows, and give volunteers the command grammar as canned messages.

Fast and offline: no radio, no marker.
"""

from __future__ import annotations

import base64
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from deploytools import FIRMWARE_CONFIG, REPO
from google.protobuf import json_format
from meshtastic import __main__ as meshtastic_cli
from meshtastic.protobuf import apponly_pb2, clientonly_pb2, config_pb2, localonly_pb2

PROFILES = {
    "hub-radio.yaml": "CLIENT_BASE",
    "volunteer-handset.yaml": "CLIENT",
}
# Every first word of the mesh command grammar (docs/reference/mesh.md), Dutch and English.
GRAMMAR_WORDS = {
    "OK", "JA", "ACK", "KLAAR", "DONE", "NIET", "FAIL", "CHECKIN", "NODIG", "NEED",
    "SOS", "TAKEN", "TASKS", "STATUS", "?", "HULP",
}  # fmt: skip
# The canned messages a volunteer without a keyboard needs: words only, no task number.
CANNED = ["OK", "JA", "KLAAR", "NIET", "TAKEN", "STATUS", "SOS", "?"]
TOP_LEVEL_KEYS = {
    "owner", "owner_short", "channel_url", "canned_messages", "ringtone", "location",
    "config", "module_config",
}  # fmt: skip


def load_channel_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("channel", FIRMWARE_CONFIG / "channel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


channel = load_channel_tool()


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((FIRMWARE_CONFIG / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def strict_parse(sections: dict[str, Any], message: Any) -> Any:
    """Every key must be a field of the protobuf (snake_case or camelCase, as the CLI accepts);
    every enum value must be one of the enum's names. Unknown keys raise ParseError."""
    parsed = message()
    json_format.ParseDict(sections, parsed, ignore_unknown_fields=False)
    return parsed


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_top_level_keys_are_those_of_export_config(name: str) -> None:
    data = load(name)
    assert set(data) <= TOP_LEVEL_KEYS, set(data) - TOP_LEVEL_KEYS
    assert {"owner", "owner_short", "channel_url", "canned_messages", "config"} <= set(data)
    assert len(data["owner_short"].encode()) <= 4


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_key_is_a_field_of_the_meshtastic_protobufs(name: str) -> None:
    data = load(name)
    strict_parse(data["config"], localonly_pb2.LocalConfig)
    strict_parse(data.get("module_config", {}), localonly_pb2.LocalModuleConfig)


def test_a_misspelt_key_is_caught_by_the_strict_check() -> None:
    with pytest.raises(json_format.ParseError):
        strict_parse({"lora": {"modem_prest": "MEDIUM_FAST"}}, localonly_pb2.LocalConfig)
    with pytest.raises(json_format.ParseError):
        strict_parse({"lora": {"modem_preset": "MEDIUM_FASTER"}}, localonly_pb2.LocalConfig)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_the_meshtastic_cli_loads_every_key_as_the_protobufs_read_it(name: str) -> None:
    """`meshtastic --configure` goes through _profile_from_yaml, which silently ignores what it
    cannot set: the profile it builds must equal the strict parse, key for key."""
    data = load(name)
    profile = meshtastic_cli._profile_from_yaml(data)
    assert isinstance(profile, clientonly_pb2.DeviceProfile)
    assert profile.config == strict_parse(data["config"], localonly_pb2.LocalConfig)
    assert profile.module_config == strict_parse(
        data.get("module_config", {}), localonly_pb2.LocalModuleConfig
    )
    assert profile.long_name == data["owner"]
    assert profile.short_name == data["owner_short"]
    assert profile.canned_messages == data["canned_messages"]


@pytest.mark.parametrize(("name", "role"), sorted(PROFILES.items()))
def test_radio_settings_suit_a_neighbourhood(name: str, role: str) -> None:
    profile = meshtastic_cli._profile_from_yaml(load(name))
    lora = profile.config.lora
    LoRa = config_pb2.Config.LoRaConfig
    assert LoRa.RegionCode.Name(lora.region) == "EU_868"
    assert lora.use_preset
    assert LoRa.ModemPreset.Name(lora.modem_preset) == "MEDIUM_FAST"
    assert not lora.config_ok_to_mqtt
    assert config_pb2.Config.DeviceConfig.Role.Name(profile.config.device.role) == role
    # Position sharing off by default: no GPS, no smart broadcasts, no fixed position.
    position = profile.config.position
    assert config_pb2.Config.PositionConfig.GpsMode.Name(position.gps_mode) == "DISABLED"
    assert not position.position_broadcast_smart_enabled
    assert not position.fixed_position
    # The radio's own MQTT uplink stays off: the hub does the syncing.
    assert not profile.module_config.mqtt.enabled


def test_hub_radio_has_one_api_client_only() -> None:
    """The firmware serves one API client; the hub uses USB, so Bluetooth and Wi-Fi are off."""
    profile = meshtastic_cli._profile_from_yaml(load("hub-radio.yaml"))
    assert not profile.config.bluetooth.enabled
    assert not profile.config.network.wifi_enabled
    assert not profile.config.power.is_power_saving


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_canned_messages_are_the_command_grammar_words(name: str) -> None:
    text = load(name)["canned_messages"]
    assert len(text) <= 200
    messages = text.split("|")
    assert messages == CANNED
    assert set(messages) <= GRAMMAR_WORDS
    for message in messages:
        assert not re.search(r"\d", message), "canned messages cannot carry a task number"


def test_handsets_show_the_canned_message_module() -> None:
    profile = meshtastic_cli._profile_from_yaml(load("volunteer-handset.yaml"))
    assert profile.module_config.canned_message.enabled


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_no_channel_key_is_committed(name: str) -> None:
    data = load(name)
    assert data["channel_url"] == channel.PLACEHOLDER
    text = (FIRMWARE_CONFIG / name).read_text(encoding="utf-8")
    assert "meshtastic.org/e/#" not in text
    assert "psk" not in text.lower()


def test_a_new_channel_is_private_and_matches_the_profiles() -> None:
    url = channel.new_channel_url("Kerkbuurt")
    channel_set = channel.parse_channel_url(url)
    channel.check_private(channel_set)
    primary = channel_set.settings[0]
    assert primary.name == "Kerkbuurt"
    assert len(primary.psk) == 32
    assert not primary.uplink_enabled and not primary.downlink_enabled
    assert primary.module_settings.position_precision == 0
    LoRa = config_pb2.Config.LoRaConfig
    assert LoRa.RegionCode.Name(channel_set.lora_config.region) == "EU_868"
    assert LoRa.ModemPreset.Name(channel_set.lora_config.modem_preset) == "MEDIUM_FAST"
    # Two neighbourhoods never share a key.
    assert channel.parse_channel_url(channel.new_channel_url("Kerkbuurt")).settings[0].psk != (primary.psk)


def test_channel_url_decodes_as_the_meshtastic_library_decodes_it() -> None:
    """Node.setURL strips everything up to '/#' and base64url-decodes a ChannelSet."""
    psk = bytes(range(32))
    url = channel.new_channel_url("Test", psk)
    b64 = url.split("/#")[-1]
    decoded = apponly_pb2.ChannelSet()
    decoded.ParseFromString(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)))
    assert decoded.settings[0].psk == psk


def test_bad_names_keys_and_public_channels_are_refused() -> None:
    with pytest.raises(channel.ChannelError):
        channel.new_channel_url("a-name-far-too-long")
    with pytest.raises(channel.ChannelError):
        channel.new_channel_url("Kort", b"\x01")  # the public default key
    with pytest.raises(channel.ChannelError):
        channel.parse_channel_url("https://example.org/no-channel")
    public = channel.new_channel_url("Kort", bytes(32))
    channel_set = channel.parse_channel_url(public)
    channel_set.settings[0].psk = b""  # an empty key = unencrypted
    with pytest.raises(channel.ChannelError):
        channel.check_private(channel_set)


def test_fill_puts_the_channel_into_a_profile_the_cli_accepts(tmp_path: Path) -> None:
    url = channel.new_channel_url("Kerkbuurt")
    url_file = tmp_path / "channel-url"
    url_file.write_text(url + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(FIRMWARE_CONFIG / "channel.py"), "fill",
         str(FIRMWARE_CONFIG / "volunteer-handset.yaml"), "--channel-url-file", str(url_file)],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    filled = tmp_path / "handset.yaml"
    filled.write_text(result.stdout, encoding="utf-8")
    profile = meshtastic_cli._read_profile(str(filled), "yaml")
    assert profile.channel_url == url
    assert profile.config.device.role == config_pb2.Config.DeviceConfig.Role.Value("CLIENT")


def test_fill_refuses_without_a_channel(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "BUURTBAKEN_CHANNEL_URL": ""}
    result = subprocess.run(
        [sys.executable, str(FIRMWARE_CONFIG / "channel.py"), "fill",
         str(FIRMWARE_CONFIG / "hub-radio.yaml"), "--channel-url-file", str(tmp_path / "absent")],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 2
    assert "channel.py:" in result.stderr

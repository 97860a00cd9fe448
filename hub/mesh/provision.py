"""``hub radio provision``: apply a ``firmware_config`` profile to a radio, then read it back.

The profile is the YAML of ``meshtastic --export-config``; the meshtastic library parses it
(the same code as its CLI's ``--configure``) and writes it inside one settings transaction.
The channel with its key is never in the file: the placeholder is filled from
``--channel-url-file``, ``$BUURTBAKEN_CHANNEL_URL`` or ``/etc/buurtbaken/channel-url``.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from hub.errors import LinkError, ValidationError
from hub.mesh.channel import PLACEHOLDER, fill, read_channel_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RadioSettings:
    """What a provisioned radio reports about itself, read back over the API."""

    firmware: str
    owner: str
    role: str
    region: str
    preset: str
    channel_name: str
    channel_key_bytes: int
    canned_messages: str


def load_profile_text(path: Path, channel_url_file: Path | None = None) -> str:
    """The profile's YAML with the private channel filled in; errors name what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
        parsed = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"{path}: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValidationError(f"{path}: not a meshtastic profile (expected a mapping)")
    if PLACEHOLDER in text:
        text = fill(text, read_channel_url(channel_url_file))
    return text


@contextmanager
def open_radio(url: str, timeout: int = 60) -> Iterator[Any]:
    """A connected meshtastic interface for ``tcp://host:port`` or ``serial:///dev/...``."""
    from meshtastic.serial_interface import SerialInterface
    from meshtastic.tcp_interface import TCPInterface

    parts = urlparse(url)
    try:
        if parts.scheme == "tcp":
            interface = TCPInterface(
                hostname=parts.hostname or "127.0.0.1", portNumber=parts.port or 4403, timeout=timeout
            )
        elif parts.scheme == "serial":
            interface = SerialInterface(devPath=parts.path, timeout=timeout)
        else:
            raise ValidationError(f"--radio: use tcp://host:4403 or serial:///dev/ttyACM0, not {url!r}")
    except (OSError, TimeoutError) as exc:
        raise LinkError(f"cannot reach the radio at {url}: {exc}") from exc
    try:
        yield interface
    finally:
        interface.close()


def apply_profile(interface: Any, profile_text: str, *, pace: float = 0.5) -> None:
    """Write the profile the way ``meshtastic --configure`` does, in one settings transaction."""
    from meshtastic.__main__ import _read_profile

    node = interface.localNode

    def current(section: str, is_module: bool) -> Any:
        config = node.moduleConfig if is_module else node.localConfig
        return getattr(config, section) if config.HasField(section) else None

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", encoding="utf-8") as handle:
        handle.write(profile_text)
        handle.flush()
        profile = _read_profile(handle.name, "auto", seed_fn=current)

    node.beginSettingsTransaction()
    if profile.long_name or profile.short_name:
        node.setOwner(long_name=profile.long_name or None, short_name=profile.short_name or None)
        time.sleep(pace)
    if profile.channel_url:
        node.setURL(profile.channel_url)
        time.sleep(pace)
    if profile.canned_messages:
        node.set_canned_message(profile.canned_messages)
        time.sleep(pace)
    for config_name, target in (("config", node.localConfig), ("module_config", node.moduleConfig)):
        if not profile.HasField(config_name):
            continue
        source = getattr(profile, config_name)
        for field in source.DESCRIPTOR.fields:
            if field.message_type is not None and source.HasField(field.name):
                getattr(target, field.name).CopyFrom(getattr(source, field.name))
                node.writeConfig(field.name)
                time.sleep(pace)
    node.commitSettingsTransaction()


def read_back(interface: Any) -> RadioSettings:
    from meshtastic.protobuf import config_pb2

    node = interface.localNode
    lora = node.localConfig.lora
    primary = node.channels[0].settings if node.channels else None
    me = interface.getMyNodeInfo() or {}
    return RadioSettings(
        firmware=str(getattr(interface.metadata, "firmware_version", "") or ""),
        owner=str(me.get("user", {}).get("longName", "")),
        role=config_pb2.Config.DeviceConfig.Role.Name(node.localConfig.device.role),
        region=config_pb2.Config.LoRaConfig.RegionCode.Name(lora.region),
        preset=config_pb2.Config.LoRaConfig.ModemPreset.Name(lora.modem_preset),
        channel_name=primary.name if primary else "",
        channel_key_bytes=len(primary.psk) if primary else 0,
        canned_messages=str(node.get_canned_message() or ""),
    )


def provision(
    profile: Path, radio: str, *, channel_url_file: Path | None = None, pace: float = 0.5
) -> RadioSettings:
    """Apply ``profile`` to the radio at ``radio`` and return what it reports afterwards."""
    text = load_profile_text(profile, channel_url_file)
    with open_radio(radio) as interface:
        log.info("radio firmware %s", getattr(interface.metadata, "firmware_version", "?"))
        apply_profile(interface, text, pace=pace)
    time.sleep(pace)
    with open_radio(radio) as interface:  # a fresh connection: what the radio really kept
        return read_back(interface)

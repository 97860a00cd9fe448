"""``hub radio provision``: apply a ``firmware_config`` profile to a radio, then read it back.

The profile is the YAML of ``meshtastic --export-config``; the meshtastic library parses it
(the same code as its CLI's ``--configure``) and writes it inside one settings transaction.
The channel with its key is never in the file: the placeholder is filled from
``--channel-url-file``, ``$BUURTBAKEN_CHANNEL_URL`` or ``/etc/buurtbaken/channel-url``.

The region channel, when one is set (``--region-channel-url-file``,
``$BUURTBAKEN_REGION_CHANNEL_URL`` or ``/etc/buurtbaken/region-channel-url``), goes to the
secondary channel at index 1 in the same transaction; read back, it must be what was asked.
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
from hub.mesh.channel import (
    PLACEHOLDER,
    REGION_CHANNEL_INDEX,
    ChannelError,
    fill,
    parse_channel_url,
    read_channel_url,
    read_region_channel_url,
    region_channel_settings,
)

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
    region_channel_name: str = ""  # empty: no region channel
    region_channel_key_bytes: int = 0


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


def apply_profile(interface: Any, profile_text: str, *, region: Any = None, pace: float = 0.5) -> None:
    """Write the profile the way ``meshtastic --configure`` does, in one settings transaction;
    ``region`` (``ChannelSettings``) becomes the secondary channel at index 1."""
    from meshtastic.__main__ import _read_profile
    from meshtastic.protobuf import channel_pb2

    node = interface.localNode

    def current(section: str, is_module: bool) -> Any:
        config = node.moduleConfig if is_module else node.localConfig
        return getattr(config, section) if config.HasField(section) else None

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", encoding="utf-8") as handle:
        handle.write(profile_text)
        handle.flush()
        profile = _read_profile(handle.name, "auto", seed_fn=current)
    if region is not None:
        primary = (
            parse_channel_url(profile.channel_url).settings[0]
            if profile.channel_url
            else node.channels[0].settings
        )
        if region.psk == primary.psk:
            raise ChannelError("region channel: it has the neighbourhood channel's key; give it its own")

    node.beginSettingsTransaction()
    if profile.long_name or profile.short_name:
        node.setOwner(long_name=profile.long_name or None, short_name=profile.short_name or None)
        time.sleep(pace)
    if profile.channel_url:
        node.setURL(profile.channel_url)
        time.sleep(pace)
    if region is not None:
        channel = node.channels[REGION_CHANNEL_INDEX]
        channel.Clear()
        channel.index = REGION_CHANNEL_INDEX
        channel.role = channel_pb2.Channel.Role.SECONDARY
        channel.settings.CopyFrom(region)
        node.writeChannel(REGION_CHANNEL_INDEX)
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
    region = (
        node.channels[REGION_CHANNEL_INDEX]
        if node.channels and len(node.channels) > REGION_CHANNEL_INDEX
        else None
    )
    region_on = region is not None and region.role != 0  # 0: DISABLED
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
        region_channel_name=region.settings.name if region is not None and region_on else "",
        region_channel_key_bytes=len(region.settings.psk) if region is not None and region_on else 0,
    )


def provision(
    profile: Path,
    radio: str,
    *,
    channel_url_file: Path | None = None,
    region_channel_url_file: Path | None = None,
    pace: float = 0.5,
) -> RadioSettings:
    """Apply ``profile`` (and the region channel, if one is set) to the radio at ``radio`` and
    return what it reports afterwards; LinkError if it did not keep the region channel."""
    text = load_profile_text(profile, channel_url_file)
    region_url = read_region_channel_url(region_channel_url_file)
    region = region_channel_settings(region_url) if region_url is not None else None
    with open_radio(radio) as interface:
        log.info("radio firmware %s", getattr(interface.metadata, "firmware_version", "?"))
        apply_profile(interface, text, region=region, pace=pace)
    time.sleep(pace)
    with open_radio(radio) as interface:  # a fresh connection: what the radio really kept
        settings = read_back(interface)
        kept = interface.localNode.channels[REGION_CHANNEL_INDEX].settings
        if region is not None and (kept.name != region.name or kept.psk != region.psk):
            raise LinkError(
                f"the radio did not keep the region channel {region.name!r} at index {REGION_CHANNEL_INDEX}"
            )
        return settings

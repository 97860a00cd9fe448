"""The neighbourhood's private Meshtastic channel: make it, read it, put it into a radio profile.

The channel's key (PSK) is the only secret of the mesh. It is made once per neighbourhood and is
never committed: the YAML profiles in this folder carry the placeholder ``@BUURTBAKEN_CHANNEL_URL@``
and this tool (or ``hub radio provision``) fills it in from ``$BUURTBAKEN_CHANNEL_URL`` or from the
file ``/etc/buurtbaken/channel-url``.

    python3 firmware_config/channel.py new --name Kerkbuurt > channel-url        # once
    python3 firmware_config/channel.py show "$(cat channel-url)"                # what is inside
    python3 firmware_config/channel.py fill firmware_config/volunteer-handset.yaml \
        --channel-url-file channel-url > /tmp/handset.yaml                       # per radio
    meshtastic --port /dev/ttyACM0 --configure /tmp/handset.yaml

The region channel (hubs and the regional station, when the internet is down) is made the same
way with its own name and key; ``hub radio provision`` puts it on the radio as the secondary
channel at index 1, from ``$BUURTBAKEN_REGION_CHANNEL_URL`` or ``/etc/buurtbaken/region-channel-url``
(``--region-channel-url-file``). It is never in a profile either.

``new`` takes 32 random bytes from the operating system (the same as ``openssl rand -base64 32``)
as an AES-256 key; ``--psk-base64`` accepts a key you made with openssl instead.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from pathlib import Path

from meshtastic.protobuf import apponly_pb2, channel_pb2, config_pb2

from hub.errors import ValidationError

PLACEHOLDER = "@BUURTBAKEN_CHANNEL_URL@"
ENV_VAR = "BUURTBAKEN_CHANNEL_URL"
DEFAULT_FILE = Path("/etc/buurtbaken/channel-url")
URL_PREFIX = "https://meshtastic.org/e/#"
REGION_ENV_VAR = "BUURTBAKEN_REGION_CHANNEL_URL"
REGION_DEFAULT_FILE = Path("/etc/buurtbaken/region-channel-url")
REGION_CHANNEL_INDEX = 1  # the region channel's place on every radio: the first secondary channel
MAX_NAME_BYTES = 11  # ChannelSettings.name holds at most 11 bytes in the firmware
PSK_BYTES = 32  # AES-256


class ChannelError(ValidationError):
    """A channel name, key or URL that a radio would not accept."""


def new_channel_url(
    name: str,
    psk: bytes | None = None,
    *,
    region: str = "EU_868",
    modem_preset: str = "MEDIUM_FAST",
    hop_limit: int = 3,
) -> str:
    """A channel URL for one neighbourhood: private key, no position sharing, no MQTT."""
    if not name or len(name.encode()) > MAX_NAME_BYTES:
        raise ChannelError(f"channel name must be 1..{MAX_NAME_BYTES} bytes, got {name!r}")
    if psk is None:
        psk = secrets.token_bytes(PSK_BYTES)
    if len(psk) != PSK_BYTES:
        raise ChannelError(f"the channel key must be {PSK_BYTES} bytes (AES-256), got {len(psk)}")
    channel_set = apponly_pb2.ChannelSet()
    settings = channel_set.settings.add()
    settings.name = name
    settings.psk = psk
    settings.uplink_enabled = False
    settings.downlink_enabled = False
    settings.module_settings.position_precision = 0  # never share positions on this channel
    lora = channel_set.lora_config
    lora.use_preset = True
    lora.region = config_pb2.Config.LoRaConfig.RegionCode.Value(region)
    lora.modem_preset = config_pb2.Config.LoRaConfig.ModemPreset.Value(modem_preset)
    lora.hop_limit = hop_limit
    lora.tx_enabled = True
    encoded = base64.urlsafe_b64encode(channel_set.SerializeToString()).decode("ascii")
    return URL_PREFIX + encoded.rstrip("=")


def parse_channel_url(url: str) -> apponly_pb2.ChannelSet:
    """Decode a channel URL the way the meshtastic library's ``Node.setURL`` does."""
    if "/#" not in url:
        raise ChannelError("not a Meshtastic channel URL (expected https://meshtastic.org/e/#...)")
    b64 = url.split("/#")[-1]
    b64 += "=" * (-len(b64) % 4)
    try:
        channel_set = apponly_pb2.ChannelSet()
        channel_set.ParseFromString(base64.urlsafe_b64decode(b64))
    except Exception as exc:  # protobuf raises DecodeError, base64 binascii.Error
        raise ChannelError(f"the channel URL does not decode: {exc}") from exc
    if not channel_set.settings:
        raise ChannelError("the channel URL holds no channel")
    return channel_set


def check_private(channel_set: apponly_pb2.ChannelSet) -> None:
    """Refuse a channel set whose primary channel is not private to the neighbourhood."""
    primary: channel_pb2.ChannelSettings = channel_set.settings[0]
    if len(primary.psk) != PSK_BYTES:
        raise ChannelError(
            "the primary channel has no private 32-byte key (the default or an empty key is public)"
        )
    if primary.module_settings.position_precision != 0:
        raise ChannelError("the primary channel shares positions; Buurtbaken keeps them off")


def read_channel_url(file: Path | None = None) -> str:
    """The channel URL from ``file``, else ``$BUURTBAKEN_CHANNEL_URL``, else the default file."""
    if file is not None:
        return file.read_text(encoding="utf-8").strip()
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return from_env
    if DEFAULT_FILE.exists():
        return DEFAULT_FILE.read_text(encoding="utf-8").strip()
    raise ChannelError(f"no channel URL: set ${ENV_VAR} or write it to {DEFAULT_FILE}")


def read_region_channel_url(file: Path | None = None) -> str | None:
    """The region channel URL from ``file``, else ``$BUURTBAKEN_REGION_CHANNEL_URL``, else the
    default file; None when none is set (the radio gets no region channel)."""
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ChannelError(f"cannot read the region channel URL: {exc}") from exc
    from_env = os.environ.get(REGION_ENV_VAR, "").strip()
    if from_env:
        return from_env
    if REGION_DEFAULT_FILE.exists():
        return REGION_DEFAULT_FILE.read_text(encoding="utf-8").strip()
    return None


def region_channel_settings(url: str, neighbourhood_psk: bytes | None = None) -> channel_pb2.ChannelSettings:
    """The region channel's settings from its URL: private, and not the neighbourhood's key."""
    channel_set = parse_channel_url(url)
    try:
        check_private(channel_set)
    except ChannelError as exc:
        raise ChannelError(f"region channel: {exc}") from exc
    settings = channel_pb2.ChannelSettings()
    settings.CopyFrom(channel_set.settings[0])
    if not settings.name:
        raise ChannelError("region channel: the channel has no name")
    if neighbourhood_psk is not None and settings.psk == neighbourhood_psk:
        raise ChannelError("region channel: it has the neighbourhood channel's key; give it its own")
    return settings


def fill(profile_text: str, channel_url: str) -> str:
    """The profile with the placeholder replaced by a checked, private channel URL."""
    if PLACEHOLDER not in profile_text:
        raise ChannelError(f"the profile has no {PLACEHOLDER} placeholder")
    check_private(parse_channel_url(channel_url))
    return profile_text.replace(PLACEHOLDER, channel_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="print a new private channel URL")
    new.add_argument("--name", required=True, help="channel name, at most 11 bytes")
    new.add_argument("--psk-base64", help="use this key (e.g. from `openssl rand -base64 32`)")
    new.add_argument("--preset", default="MEDIUM_FAST")
    show = sub.add_parser("show", help="print what a channel URL holds (not the key)")
    show.add_argument("url")
    fill_cmd = sub.add_parser("fill", help="print a profile with the channel URL filled in")
    fill_cmd.add_argument("profile", type=Path)
    fill_cmd.add_argument("--channel-url-file", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "new":
            psk = base64.b64decode(args.psk_base64, validate=True) if args.psk_base64 else None
            print(new_channel_url(args.name, psk, modem_preset=args.preset))
        elif args.command == "show":
            channel_set = parse_channel_url(args.url)
            primary = channel_set.settings[0]
            lora = channel_set.lora_config
            print(
                f"name={primary.name} key_bytes={len(primary.psk)} "
                f"position_precision={primary.module_settings.position_precision} "
                f"region={config_pb2.Config.LoRaConfig.RegionCode.Name(lora.region)} "
                f"preset={config_pb2.Config.LoRaConfig.ModemPreset.Name(lora.modem_preset)}"
            )
        else:
            url = read_channel_url(args.channel_url_file)
            sys.stdout.write(fill(args.profile.read_text(encoding="utf-8"), url))
    except (ChannelError, OSError, ValueError) as exc:
        print(f"channel.py: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``hub sim`` and ``hub radio provision``."""

from __future__ import annotations

import argparse
from pathlib import Path


def _cmd_sim(args: argparse.Namespace) -> int:
    from hub.mesh.sim import run_sim

    run_sim(args.host, args.port, args.handsets, args.control_port, preset=args.preset, seed=args.seed)
    return 0


def _cmd_radio_provision(args: argparse.Namespace) -> int:
    from hub.mesh.provision import provision

    settings = provision(
        Path(args.config),
        args.radio,
        channel_url_file=args.channel_url_file,
        region_channel_url_file=args.region_channel_url_file,
    )
    region = (
        f"region channel {settings.region_channel_name!r} ({settings.region_channel_key_bytes}-byte key)"
        if settings.region_channel_name
        else "no region channel"
    )
    print(
        f"provisioned {settings.owner!r}: role {settings.role}, {settings.region} {settings.preset}, "
        f"channel {settings.channel_name!r} ({settings.channel_key_bytes}-byte key), {region}, "
        f"canned messages {settings.canned_messages!r}, firmware {settings.firmware or '?'}"
    )
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = commands.add_parser("sim", help="simulated Meshtastic radio with virtual handsets (real TCP API)")
    sim.add_argument(
        "--host", default="127.0.0.1", help="address of the radio's TCP API (default: %(default)s)"
    )
    sim.add_argument(
        "--port", type=int, default=4403, help="port of the radio's TCP API (default: %(default)s)"
    )
    sim.add_argument(
        "--handsets", type=int, default=5, help="virtual volunteer handsets (default: %(default)s)"
    )
    sim.add_argument(
        "--control-port", type=int, default=None, help="port for JSON-lines drill control (default: none)"
    )
    sim.add_argument(
        "--preset",
        default="MEDIUM_FAST",
        help="the LoRa modem preset the radio reports (default: %(default)s)",
    )
    sim.add_argument(
        "--seed", type=int, default=None, help="random seed for injected faults (default: a new one each run)"
    )
    sim.set_defaults(handler=_cmd_sim)

    radio = commands.add_parser("radio", help="configure Meshtastic radios")
    radio_commands = radio.add_subparsers(dest="radio_command", required=True)
    provision = radio_commands.add_parser("provision", help="apply a firmware_config YAML file to a radio")
    provision.add_argument("config", help="firmware_config/hub-radio.yaml or volunteer-handset.yaml")
    provision.add_argument(
        "--radio", required=True, help="tcp://host:4403 or serial:///dev/ttyACM0 (required)"
    )
    provision.add_argument(
        "--channel-url-file",
        type=Path,
        help="file with the neighbourhood's channel URL "
        "(default: $BUURTBAKEN_CHANNEL_URL, then /etc/buurtbaken/channel-url)",
    )
    provision.add_argument(
        "--region-channel-url-file",
        type=Path,
        help="file with the region channel's URL, set as channel index 1 "
        "(default: $BUURTBAKEN_REGION_CHANNEL_URL, then /etc/buurtbaken/region-channel-url; "
        "none: no region channel)",
    )
    provision.set_defaults(handler=_cmd_radio_provision)

"""Registrars for sub-commands owned by other parts of the hub (mesh, sync, admin)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _cmd_upstream(args: argparse.Namespace) -> int:
    from hub.sync.upstream import run

    return run(args)


def register_upstream(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    upstream = commands.add_parser(
        "upstream", help="reference upstream consumer: stores hubs' events, sends receipts and replays"
    )
    upstream.add_argument("--mqtt", required=True, help="mqtt://host:1883 or mqtts://user:pass@host:8883")
    upstream.add_argument(
        "--db", default="sqlite:///upstream.sqlite3", help="SQLAlchemy URL (SQLite or PostgreSQL)"
    )
    upstream.add_argument("--hubs", default="", help="hub ids to follow, comma-separated (default: all)")
    upstream.add_argument("--topic-root", default="buurtbaken/v1")
    upstream.add_argument("--client-id", default="buurtbaken-upstream", help="MQTT client id (session name)")
    upstream.add_argument(
        "--overview-every", type=float, default=60.0, help="seconds between overviews; 0: never"
    )
    upstream.set_defaults(handler=_cmd_upstream)


def _admin(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from hub.cli_admin import register

    register(commands)


REGISTRARS: list[Registrar] = [register_upstream, _admin]


def _cmd_radio_provision(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hub.mesh.provision import provision

    settings = provision(Path(args.config), args.radio, channel_url_file=args.channel_url_file)
    print(
        f"provisioned {settings.owner!r}: role {settings.role}, {settings.region} {settings.preset}, "
        f"channel {settings.channel_name!r} ({settings.channel_key_bytes}-byte key), "
        f"canned messages {settings.canned_messages!r}, firmware {settings.firmware or '?'}"
    )
    return 0


def register_radio(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from pathlib import Path

    radio = commands.add_parser("radio", help="configure Meshtastic radios")
    radio_commands = radio.add_subparsers(dest="radio_command", required=True)
    provision = radio_commands.add_parser("provision", help="apply a firmware_config YAML file to a radio")
    provision.add_argument("config", help="firmware_config/hub-radio.yaml or volunteer-handset.yaml")
    provision.add_argument("--radio", required=True, help="tcp://host:4403 or serial:///dev/ttyACM0")
    provision.add_argument(
        "--channel-url-file",
        type=Path,
        help="file with the neighbourhood's channel URL (default: $BUURTBAKEN_CHANNEL_URL, "
        "then /etc/buurtbaken/channel-url)",
    )
    provision.set_defaults(handler=_cmd_radio_provision)


REGISTRARS.append(register_radio)

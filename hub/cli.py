"""The ``hub`` command (also ``python -m hub``)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from hub import collector, logs
from hub.errors import ConfigError, HubError

if TYPE_CHECKING:
    from hub.config import Settings

Handler = Callable[[argparse.Namespace], int]


def _settings(**overrides: object) -> Settings:
    from hub.config import load_settings

    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def cmd_serve(args: argparse.Namespace) -> int:
    with collector.paused_while_loading():  # ``serve`` turns it on once the hub is built
        from hub.serve import serve

        settings = _settings(radio="sim" if args.demo and not args.radio else args.radio)
        return serve(settings, host=args.host, port=args.port, demo=args.demo)


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from hub.migrate import upgrade

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    print(f"database is up to date: {settings.database_url}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="Buurtbaken neighbourhood crisis hub")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debug lines too (default: info and above)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the hub (portal, admin, mesh, sync)")
    serve.add_argument(
        "--host", default="0.0.0.0", help="address to listen on (default: %(default)s, every address)"
    )
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default: %(default)s)")
    serve.add_argument(
        "--radio",
        metavar="URL",
        help="none, sim, serial:///dev/ttyACM0 or tcp://host:4403 "
        "(default: HUB_RADIO, which defaults to none; sim with --demo)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="simulated radio and sample data, seeded once per data directory; "
        "a coordinator 'demo' with a new password at every start (default: off)",
    )
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(handler=cmd_db_upgrade)

    for register in _extensions():
        register(commands)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    """Sub-commands that live beside the code they drive."""
    from hub import cli_extra

    return cli_extra.REGISTRARS


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(logging.DEBUG if args.verbose else logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"hub: invalid setting: {exc}", file=sys.stderr)
        return 2
    except HubError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

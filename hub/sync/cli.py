"""``hub upstream``: the reference consumer a municipality or safety region runs."""

from __future__ import annotations

import argparse


def _cmd_upstream(args: argparse.Namespace) -> int:
    from hub.sync.upstream import run

    return run(args)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    upstream = commands.add_parser(
        "upstream", help="reference upstream consumer: stores hubs' events, sends receipts and replays"
    )
    upstream.add_argument(
        "--mqtt",
        required=True,
        metavar="URL",
        help="mqtt://host:1883 or mqtts://user:pass@host:8883 (required)",
    )
    upstream.add_argument(
        "--db",
        metavar="URL",
        default="sqlite:///upstream.sqlite3",
        help="SQLAlchemy URL, SQLite or PostgreSQL (default: %(default)s)",
    )
    upstream.add_argument(
        "--ca-file",
        metavar="FILE",
        help="PEM file of the CA that signed the broker's certificate (default: the system's CAs)",
    )
    upstream.add_argument(
        "--hubs", default="", metavar="ID,...", help="hub ids to follow, comma-separated (default: all)"
    )
    upstream.add_argument(
        "--topic-root", default="buurtbaken/v1", metavar="ROOT", help="topic root R (default: %(default)s)"
    )
    upstream.add_argument(
        "--client-id",
        default="buurtbaken-upstream",
        help="MQTT client id, the name of the session (default: %(default)s)",
    )
    upstream.add_argument(
        "--overview-every",
        type=float,
        default=60.0,
        help="seconds between overviews; 0: never (default: %(default)s)",
    )
    upstream.set_defaults(handler=_cmd_upstream)

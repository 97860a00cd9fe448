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
        action="append",
        help="mqtt://host:1883 or mqtts://user:pass@host:8883; once per regional broker",
    )
    upstream.add_argument(
        "--db",
        default="sqlite:///upstream.sqlite3",
        help="SQLAlchemy URL: postgresql+psycopg://… (SQLite: one consumer only)",
    )
    upstream.add_argument("--ca-file", help="PEM file of the CA that signed the broker's certificate")
    upstream.add_argument("--hubs", default="", help="hub ids to follow, comma-separated (default: all)")
    upstream.add_argument("--topic-root", default="buurtbaken/v1")
    upstream.add_argument(
        "--client-id", default="buurtbaken-upstream", help="MQTT client id (session name): one per consumer"
    )
    upstream.add_argument(
        "--share",
        default="",
        help="MQTT 5 shared subscription group: consumers in one group split the events between them",
    )
    upstream.add_argument(
        "--session-expiry",
        type=int,
        default=None,
        help="seconds the broker keeps this consumer's session (and queue) while it is away; default "
        "a week, with --share 60 s (a dead consumer's share of the stream waits in its session until "
        "it expires; hubs send what it held again when asked)",
    )
    upstream.add_argument("--keepalive", type=int, default=30, help="MQTT keepalive (s)")
    upstream.add_argument(
        "--overview-every", type=float, default=60.0, help="seconds between overviews; 0: never"
    )
    upstream.set_defaults(handler=_cmd_upstream)

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
        metavar="URL",
        help="mqtt://host:1883 or mqtts://user:pass@host:8883 (required); once per regional broker",
    )
    upstream.add_argument(
        "--db",
        metavar="URL",
        default="sqlite:///upstream.sqlite3",
        help="SQLAlchemy URL: postgresql+psycopg://… (SQLite: one consumer only) (default: %(default)s)",
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
        help="MQTT client id, the name of the session; one per consumer (default: %(default)s)",
    )
    upstream.add_argument(
        "--share",
        default="",
        metavar="GROUP",
        help="MQTT 5 shared subscription group: consumers in one group split the events between them "
        "(default: none, this consumer takes every event)",
    )
    upstream.add_argument(
        "--session-expiry",
        type=int,
        default=None,
        metavar="SECONDS",
        help="how long the broker keeps this consumer's session (and queue) while it is away (default: "
        "a week; with --share 0, no session: Mosquitto keeps handing a shared subscription's messages to "
        "a dead member while its session lives, and the hubs keep every event until it is confirmed)",
    )
    upstream.add_argument(
        "--keepalive", type=int, default=30, metavar="SECONDS", help="MQTT keepalive (default: %(default)s)"
    )
    upstream.add_argument(
        "--overview-every",
        type=float,
        default=60.0,
        help="seconds between overviews; 0: never (default: %(default)s)",
    )
    upstream.set_defaults(handler=_cmd_upstream)

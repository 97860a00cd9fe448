"""``hub region``: the region's commands on its database (``send``, ``deliveries``, ``serve``,
``station``, ``user add``).

``hub region send`` keeps an announcement or a CAP 1.2 alert for one hub, a selection or all in
the region's store; every running ``hub upstream`` consumer publishes it through its broker, and
the hubs' receipts come back as events (see :mod:`hub.region.deliveries`).
``hub region deliveries`` prints where the last messages (or one) stand per hub.
``hub region station`` is the region's end of the region's LoRa channel (:mod:`hub.region.station`).
"""

from __future__ import annotations

import argparse
import contextlib
import re
from datetime import UTC
from pathlib import Path

from hub.errors import ValidationError

HUB_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
DEFAULT_DB = "sqlite:///upstream.sqlite3"


def _hubs(value: str) -> list[str]:
    hubs = [h.strip() for h in value.split(",") if h.strip()]
    bad = [h for h in hubs if not HUB_ID.match(h)]
    if bad or not hubs:
        raise ValidationError(
            f"not hub ids: {', '.join(bad) or repr(value)} (lowercase letters, digits, '-')"
        )
    return hubs


def _cmd_send(args: argparse.Namespace) -> int:
    from hub.models import new_id
    from hub.region import deliveries
    from hub.region.store import RegionStore

    hubs = None if args.all else _hubs(args.to)
    if args.cap:
        if args.title or args.body:
            raise ValidationError("--cap sends the alert as it is: leave out --title and --body")
        try:
            xml = Path(args.cap).read_bytes()
        except OSError as exc:
            raise ValidationError(f"cannot read {args.cap}: {exc.strerror}") from exc
        outgoing = deliveries.cap_alert(xml)
    else:
        if not (args.title and args.body):
            raise ValidationError("an announcement needs --title and --body (or --cap FILE)")
        outgoing = deliveries.announcement(
            new_id(),
            title=args.title,
            body=args.body,
            sender=args.sender,
            priority=args.priority,
            mesh=args.mesh,
            drill=args.drill,
        )
    store = RegionStore(args.db)
    try:
        store.create()
        lora_text = None
        if args.lora:
            lora_text = outgoing.title if args.cap else f"{args.title}: {args.body}"
        message_id = store.send(outgoing, args.topic_root, hubs, lora_text=lora_text)
    finally:
        store.dispose()
    where = "every hub" if hubs is None else ", ".join(hubs)
    also = " and the regional station over LoRa" if args.lora else ""
    print(
        f"message {message_id} ({outgoing.kind}: {outgoing.title}) kept for {where};"
        f" the consumers{also} send it"
    )
    return 0


def _when(moment: object) -> str:
    from datetime import datetime

    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}" if isinstance(moment, datetime) else "-"


def _cmd_deliveries(args: argparse.Namespace) -> int:
    from hub.region import delivery_view
    from hub.region.store import RegionStore

    if not 1 <= args.last <= 1000:
        raise ValidationError("--last is a number from 1 to 1000")
    store = RegionStore(args.db)
    try:
        if args.message:
            found = [delivery_view.message(store, args.message)]
        else:
            hub = _hubs(args.hub)[0] if args.hub else None
            found = delivery_view.recent(store, args.last, hub)
    finally:
        store.dispose()
    if not found:
        print("the region sent no messages yet")
    for item in found:
        to = "all hubs" if item.everyone else f"{len(item.hubs)} hub" + ("" if len(item.hubs) == 1 else "s")
        counts = ", ".join(f"{state} {item.count(state)}" for state in delivery_view.STATES)
        print(f"{item.id}  {_when(item.created_at)} UTC  {item.kind}: {item.title}  (to {to}; {counts})")
        for delivery in item.hubs:
            moments = "  ".join(f"{s} {_when(getattr(delivery, f'{s}_at'))}" for s in delivery_view.STATES)
            print(f"  {delivery.hub:40s} {delivery.state:8s} {moments}")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    region = commands.add_parser(
        "region", help="the regional service: its web pages and messages to hubs, on its database"
    )
    region_commands = region.add_subparsers(dest="region_command", required=True)

    send = region_commands.add_parser(
        "send", help="send an announcement or a CAP 1.2 alert to one hub, some or all"
    )
    to = send.add_mutually_exclusive_group(required=True)
    to.add_argument(
        "--to", metavar="ID,...", help="hub ids, comma-separated (default: none; --to or --all is required)"
    )
    to.add_argument("--all", action="store_true", help="every hub (default: off; --to or --all is required)")
    send.add_argument("--title", default="", help="the announcement's title (default: none; with --body)")
    send.add_argument("--body", default="", help="the announcement's text (default: none; with --title)")
    send.add_argument(
        "--cap",
        metavar="FILE",
        help="send this CAP 1.2 alert as it is instead (status Exercise for drills) (default: none)",
    )
    send.add_argument(
        "--priority",
        choices=("info", "warning", "urgent"),
        default="info",
        help="info, warning or urgent (default: %(default)s)",
    )
    send.add_argument("--mesh", action="store_true", help="also on each hub's mesh channel (default: off)")
    send.add_argument(
        "--drill", action="store_true", help="an exercise: marked so on every hub (default: off)"
    )
    send.add_argument(
        "--lora",
        action="store_true",
        help="also over the region's LoRa channel, by `hub region station`, until each hub "
        "acknowledges it (default: off)",
    )
    send.add_argument("--sender", default="region", help="the sender's name (default: %(default)s)")
    send.add_argument(
        "--topic-root", default="buurtbaken/v1", metavar="ROOT", help="topic root R (default: %(default)s)"
    )
    _common(send)
    send.set_defaults(handler=_cmd_send)

    shown = region_commands.add_parser("deliveries", help="where the region's messages stand per hub")
    shown.add_argument("--message", metavar="ID", help="this message only (default: the last ones)")
    shown.add_argument("--last", type=int, default=10, help="how many messages (default: %(default)s)")
    shown.add_argument("--hub", metavar="ID", help="only the messages to this hub (default: every hub)")
    _common(shown)
    shown.set_defaults(handler=_cmd_deliveries)
    _register_pages(region_commands)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=DEFAULT_DB,
        help="the region's database, as for hub upstream (default: %(default)s)",
    )


# The region's web pages (hub region serve) and their accounts run on PostgreSQL only.
PAGES_DB = "postgresql+psycopg://buurtbaken@localhost/region"


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hub.region.web import open_region, proxies, server_config

    region = open_region(
        args.db,
        stale_minutes=args.stale_minutes,
        topic_root=args.topic_root,
        default_lang=args.lang,
        trusted_proxies=proxies(args.trusted_proxies),
        secure_cookies=args.secure_cookies,
    )
    print(f"hub region serve: http://{args.host}:{args.port}/ on {region.engine.url!r}", flush=True)
    try:
        uvicorn.Server(server_config(region, args.host, args.port)).run()
    finally:
        region.store.dispose()
    return 0


def _cmd_station(args: argparse.Namespace) -> int:
    import signal
    import threading

    from hub.mesh.adapter import MeshtasticRadio
    from hub.region import station
    from hub.region.lora import LoraStore
    from hub.region.web import open_region

    key = station.read_region_key(Path(args.region_key_file))
    hubs = _hubs(args.hubs) if args.hubs else []
    region = open_region(args.db, stale_minutes=30, topic_root="buurtbaken/v1")
    radio = MeshtasticRadio(args.radio)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        info = radio.connect()
        print(
            f"hub region station: radio {info.node_id} (firmware {info.firmware}) on channel {args.channel}"
            f", {region.engine.url!r}",
            flush=True,
        )
        settings = station.StationSettings(
            key=key,
            hubs=hubs,
            channel=args.channel,
            retry_seconds=args.retry_seconds,
            gap_seconds=args.gap_seconds,
        )
        running = station.Station(LoraStore(region.store), radio, settings)
        with contextlib.suppress(KeyboardInterrupt):
            running.run(stop, reconnect=lambda: station.reconnect(radio, stop))
        print(f"hub region station: {dict(sorted(running.counts.items()))}", flush=True)
    finally:
        radio.close()
        region.store.dispose()
    return 0


def _register_station(region_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = region_commands.add_parser(
        "station", help="the region's LoRa station: hubs' summaries and urgent needs in, announcements out"
    )
    run.add_argument(
        "--radio",
        required=True,
        metavar="URL",
        help="the station's radio: tcp://host:4403 or serial:///dev/ttyACM0 (required)",
    )
    _db(run)
    run.add_argument(
        "--region-key-file",
        required=True,
        metavar="FILE",
        help="the region's key, the same file as the hubs' HUB_REGION_KEY_FILE (required)",
    )
    run.add_argument(
        "--hubs",
        metavar="ID,...",
        help="the region's hub ids, comma-separated, besides the hubs in the database (default: none)",
    )
    run.add_argument(
        "--channel",
        type=int,
        default=1,
        help="the region channel's index on the radio (default: %(default)s)",
    )
    run.add_argument(
        "--retry-seconds",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="an announcement part no hub acknowledged goes again after this, doubling up to "
        "10 minutes (default: %(default)s)",
    )
    run.add_argument(
        "--gap-seconds",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="at least this long between two announcement frames (default: %(default)s)",
    )
    run.set_defaults(handler=_cmd_station)


def _cmd_user_add(args: argparse.Namespace) -> int:
    from hub.cli_admin import _read_password
    from hub.region import accounts
    from hub.region.web import open_region

    password = _read_password(args.password_stdin)
    region = open_region(args.db, stale_minutes=30, topic_root="buurtbaken/v1")
    try:
        accounts.add_user(region.engine, args.name, password, args.role, actor="cli")
    finally:
        region.store.dispose()
    print(f"region account {args.name.strip()} ({args.role}) made")
    return 0


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=PAGES_DB,
        help="the region's PostgreSQL, the one `hub upstream --db` fills (default: %(default)s)",
    )


def _register_pages(region_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = region_commands.add_parser("serve", help="serve the region's pages (every hub, messages to hubs)")
    _db(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8090, help="port to listen on (default: %(default)s)")
    serve.add_argument(
        "--stale-minutes",
        type=float,
        default=30.0,
        metavar="MINUTES",
        help="a hub not heard from for this long stands out (default: %(default)s)",
    )
    serve.add_argument(
        "--topic-root", default="buurtbaken/v1", metavar="ROOT", help="topic root R (default: %(default)s)"
    )
    serve.add_argument(
        "--lang",
        choices=("nl", "en"),
        default="nl",
        help="language when the browser asks for none (default: %(default)s)",
    )
    serve.add_argument(
        "--trusted-proxies",
        default="",
        metavar="ADDRESSES",
        help="IP addresses or networks, comma-separated, of the TLS proxy in front: only their "
        "X-Forwarded-Proto and X-Forwarded-For are believed, and cookies are marked Secure when "
        "the proxy says https (default: none)",
    )
    serve.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark the session cookie Secure whatever the proxy says (default: off)",
    )
    serve.set_defaults(handler=_cmd_serve)
    _register_station(region_commands)

    user = region_commands.add_parser("user", help="the region's accounts")
    user_commands = user.add_subparsers(dest="region_user_command", required=True)
    add = user_commands.add_parser("add", help="make an account (asks for the password twice)")
    add.add_argument("name", metavar="NAME", help="the login name")
    add.add_argument(
        "--role",
        choices=("officer", "viewer"),
        default="viewer",
        help="an officer sends messages to hubs and reads the audit log, a viewer only looks "
        "(default: %(default)s)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (default: ask twice on a terminal)",
    )
    _db(add)
    add.set_defaults(handler=_cmd_user_add)

"""``hub region serve`` and ``hub region user add``: the region's web pages and their accounts."""

from __future__ import annotations

import argparse

DEFAULT_DB = "postgresql+psycopg://buurtbaken@localhost/region"


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hub.region.web import make_app, open_region

    region = open_region(
        args.db, stale_minutes=args.stale_minutes, topic_root=args.topic_root, default_lang=args.lang
    )
    print(f"hub region serve: http://{args.host}:{args.port}/ on {region.engine.url!r}", flush=True)
    try:
        uvicorn.run(
            make_app(region), host=args.host, port=args.port, log_level="warning", proxy_headers=False
        )
    finally:
        region.store.dispose()
    return 0


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
        default=DEFAULT_DB,
        help="the region's PostgreSQL, the one `hub upstream --db` fills (default: %(default)s)",
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    region = commands.add_parser("region", help="the regional service: web pages on the upstream database")
    region_commands = region.add_subparsers(dest="region_command", required=True)

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
    serve.set_defaults(handler=_cmd_serve)

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

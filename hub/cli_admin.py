"""Admin sub-commands: ``hub user add``, ``hub token create``, ``hub export``, ``hub backup``.

Revoking access (``hub token list|revoke``, ``hub user disable|passwd``) is in :mod:`hub.cli_access`.
Registering the commands imports nothing heavy (``hub --help`` stays fast); each handler imports
the settings, the database and the services it needs.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hub.domain.vocab import EXPORT_FORMATS, ROLES
from hub.errors import ValidationError

if TYPE_CHECKING:
    from hub.runtime import Hub


def _hub() -> Hub:
    from hub.config import load_settings
    from hub.runtime import Hub

    hub = Hub.from_settings(load_settings())
    hub.db.start()
    return hub


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password again: ")
    if first != second:
        raise ValidationError("the passwords differ", "password")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    from hub.services import accounts

    password = _read_password(args.password_stdin)
    hub = _hub()
    try:
        user = hub.db.writer.run_sync(
            lambda s: accounts.create_user(s, args.name, password, role=args.role, actor="cli")
        )
    finally:
        hub.db.close()
    print(f"user {user.name} ({user.role}) created")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from hub.services import accounts

    hub = _hub()
    try:
        token = hub.db.writer.run_sync(
            lambda s: accounts.create_token(s, args.name, actor="cli", expires_days=args.expires_days)
        )
    finally:
        hub.db.close()
    if args.expires_days is not None:
        print(f"It stops working in {args.expires_days} day(s).")
    print(f"API token {args.name!r} created. It is shown once; keep it secret:")
    print(token)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from hub.services import exports
    from hub.services.audit import record

    hub = _hub()
    scope = "full" if args.full else "minimised"
    share = hub.settings.sync_share
    try:
        hub.db.writer.run_sync(
            lambda s: record(s, "cli", "export.download", None, format=args.format, scope=scope)
        )
        with hub.db.read() as session:
            content, _media, _name = exports.export(
                session, args.format, hub.settings.id, hub.settings.name, scope=scope, share=share
            )
    finally:
        hub.db.close()
    print(exports.scope_note(scope, share), file=sys.stderr)
    if args.out:
        Path(args.out).write_bytes(content)
        print(f"{args.format} export ({scope}) written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from hub.config import load_settings
    from hub.runtime import Hub
    from hub.services import backup

    settings = load_settings()
    Hub.from_settings(settings).db.close()  # make sure the database exists and is migrated
    path = backup.make_backup(settings, Path(args.to) if args.to else None)
    print(path)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from hub import cli_access

    user = commands.add_parser("user", help="coordinator accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="add a coordinator (asks for the password twice)")
    add.add_argument("name", help="the login name")
    add.add_argument(
        "--role",
        choices=ROLES,
        default="coordinator",
        help="a coordinator changes things, a viewer only reads (default: %(default)s)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (default: ask twice on a terminal)",
    )
    add.set_defaults(handler=cmd_user_add)
    cli_access.register_user_commands(user_commands)

    token = commands.add_parser("token", help="API tokens for the admin API")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a bearer token (printed as the last line)")
    create.add_argument("name", help="a name for the token; revoke it by this name")
    create.add_argument(
        "--expires-days", type=int, metavar="N", help="the token stops working after N days (default: never)"
    )
    create.set_defaults(handler=cmd_token_create)
    cli_access.register_token_commands(token_commands)

    export = commands.add_parser("export", help="export records (json, csv zip, cap zip)")
    export.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        required=True,
        help="json (one document), csv (a ZIP of one CSV per record type) "
        "or cap (a ZIP of CAP 1.2 alerts); required",
    )
    export.add_argument("--out", help="file to write (default: standard output)")
    export.add_argument(
        "--full",
        action="store_true",
        help="FULL export with every field (personal data, for coordinators); "
        "default: minimised by HUB_SYNC_SHARE, without households that did not consent",
    )
    export.set_defaults(handler=cmd_export)

    backup_cmd = commands.add_parser("backup", help="copy the database with SQLite's online backup")
    backup_cmd.add_argument("--to", help="directory (default: HUB_BACKUP_DIR or <data dir>/backups)")
    backup_cmd.set_defaults(handler=cmd_backup)

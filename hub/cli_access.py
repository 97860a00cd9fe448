"""Revoking access from the command line: ``hub token list|revoke``, ``hub user disable|passwd``.

The handlers import the database and the services; registering them imports neither.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias, TypeVar

if TYPE_CHECKING:
    from sqlmodel import Session

SubCommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
T = TypeVar("T")


def _write(job: Callable[[Session], T]) -> T:
    """Run ``job`` through the writer of a hub opened for this command, and close it."""
    from hub.cli_admin import _hub

    hub = _hub()
    try:
        return hub.db.writer.run_sync(job)
    finally:
        hub.db.close()


def _read(job: Callable[[Session], T]) -> T:
    """Run ``job`` on a read session of a hub opened for this command, and close it."""
    from hub.cli_admin import _hub

    hub = _hub()
    try:
        with hub.db.read() as session:
            return job(session)
    finally:
        hub.db.close()


def _when(value: datetime | None, empty: str = "-") -> str:
    from hub.models.base import as_utc

    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value is not None else empty


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    lines = [header, *rows]
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    for row in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def cmd_token_list(_args: argparse.Namespace) -> int:
    from hub.services import access

    tokens = _read(access.list_tokens)
    rows = [
        (t.name, _when(t.created_at), _when(t.last_used_at, "never"), _when(t.expires_at, "never"), t.state)
        for t in tokens
    ]
    _table(("NAME", "CREATED", "LAST USED", "EXPIRES", "STATE"), rows)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from hub.services import access

    count = _write(lambda s: access.revoke_tokens_named(s, args.name, actor="cli"))
    print(f"{count} API token(s) named {args.name!r} revoked")
    return 0


def cmd_user_list(_args: argparse.Namespace) -> int:
    from hub.services import access

    users = _read(access.list_users)
    rows = [(u.name, u.role, "disabled" if u.disabled else "active", _when(u.created_at)) for u in users]
    _table(("NAME", "ROLE", "STATE", "CREATED"), rows)
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    from hub.services import access

    ended = _write(lambda s: access.disable_user(s, args.name, actor="cli"))
    print(f"user {args.name} disabled; {ended} session(s) ended")
    return 0


def cmd_user_enable(args: argparse.Namespace) -> int:
    from hub.services import access

    _write(lambda s: access.enable_user(s, args.name, actor="cli"))
    print(f"user {args.name} can log in again")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    from hub.cli_admin import _read_password
    from hub.services import access

    password = _read_password(args.password_stdin)
    ended = _write(lambda s: access.set_password(s, args.name, password, actor="cli"))
    print(f"password of {args.name} changed; {ended} session(s) ended")
    return 0


def register_user_commands(user_commands: SubCommands) -> None:
    user_commands.add_parser("list", help="list the accounts (never their passwords)").set_defaults(
        handler=cmd_user_list
    )
    disable = user_commands.add_parser("disable", help="stop an account logging in; end its sessions")
    disable.add_argument("name", help="the login name")
    disable.set_defaults(handler=cmd_user_disable)
    enable = user_commands.add_parser("enable", help="let a disabled account log in again")
    enable.add_argument("name", help="the login name")
    enable.set_defaults(handler=cmd_user_enable)
    passwd = user_commands.add_parser("passwd", help="set a new password (asks twice); ends its sessions")
    passwd.add_argument("name", help="the login name")
    passwd.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (default: ask twice on a terminal)",
    )
    passwd.set_defaults(handler=cmd_user_passwd)


def register_token_commands(token_commands: SubCommands) -> None:
    token_commands.add_parser(
        "list", help="list the tokens: name, created, last used, expires (never the secret)"
    ).set_defaults(handler=cmd_token_list)
    revoke = token_commands.add_parser("revoke", help="revoke every active token with this name")
    revoke.add_argument("name", help="the name given at hub token create")
    revoke.set_defaults(handler=cmd_token_revoke)

"""``hub addresses import FILE``: bring in the municipality's export of the address register."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.domain.address_register import MAX_FILE_BYTES
from hub.errors import FileRefused, ValidationError


def read_export(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValidationError(f"{path} is larger than {MAX_FILE_BYTES // 1024 // 1024} MB", "file")
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}", "file") from exc


def cmd_addresses_import(args: argparse.Namespace) -> int:
    from hub.cli_admin import _hub
    from hub.services import address_register

    data = read_export(Path(args.file))
    hub = _hub()
    try:
        result = address_register.import_file(hub.store, data, actor="cli")
    except FileRefused as exc:
        print(f"hub: {args.file} was not imported; nothing changed. Problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        hub.db.close()
    print(
        f"address register: {result.total} addresses ({result.added} added, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.removed} removed)"
    )
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    addresses = commands.add_parser("addresses", help="the neighbourhood's address register (BAG export)")
    address_commands = addresses.add_subparsers(dest="addresses_command", required=True)
    load = address_commands.add_parser(
        "import",
        help="replace the register with a CSV export (all of it, or nothing when a line is bad)",
    )
    load.add_argument("file", metavar="FILE", help="the CSV file: see docs/reference/addresses.md")
    load.set_defaults(handler=cmd_addresses_import)

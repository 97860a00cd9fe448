"""``hub addresses import FILE``: bring in the municipality's export of the address register."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.domain.address_register import MAX_FILE_BYTES
from hub.errors import FileRefused, ValidationError

# The languages the problems are said in (the admin's: Dutch and English).
LANGUAGES = ("nl", "en")


def read_export(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValidationError(f"{path} is larger than {MAX_FILE_BYTES // 1024 // 1024} MB", "file")
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}", "file") from exc


def cmd_addresses_import(args: argparse.Namespace) -> int:
    from hub import i18n
    from hub.cli_admin import _hub
    from hub.services import address_register
    from hub.web.admin.import_words import CLI_REFUSED

    data = read_export(Path(args.file))
    hub = _hub()
    language = args.lang or (hub.settings.default_lang if hub.settings.default_lang in LANGUAGES else "en")
    try:
        result = address_register.import_file(hub.store, data, actor="cli")
    except FileRefused as exc:
        with i18n.using(language):  # the problems in the coordinator's language, each with its line
            print(f"hub: {i18n.gettext(CLI_REFUSED) % {'file': args.file}}", file=sys.stderr)
            for problem in address_register.problem_lines(exc, i18n.gettext):
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
    load.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help="the language of the problems in a refused file (default: HUB_DEFAULT_LANG when it "
        "is nl or en, else en)",
    )
    load.set_defaults(handler=cmd_addresses_import)

"""``hub --help`` stays fast: building the parser imports no framework, database or radio stack.

Wall time on a shared machine is noise; the contract that keeps the help fast is what it does not
import. Each sub-command imports its heavy parts inside its handler.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "fastapi", "starlette", "uvicorn", "paho", "meshtastic")
HEAVY_HUB = ("hub.config", "hub.db", "hub.models", "hub.services", "hub.runtime", "hub.migrate")

_PROBE = """
import contextlib, io, json, sys
import hub.cli
parser = hub.cli.build_parser()
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        parser.parse_args(sys.argv[1:] + ["--help"])
    except SystemExit:
        pass
print(json.dumps({"help": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _help(*command: str) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *command], capture_output=True, text=True, timeout=60, check=True
    )
    answer = json.loads(done.stdout)
    return answer["help"], set(answer["modules"])


@pytest.mark.parametrize(
    "command",
    [(), ("serve",), ("db", "upgrade"), ("user", "add"), ("token", "create"), ("export",), ("sim",)],
)
def test_help_imports_no_heavy_stack(command: tuple[str, ...]) -> None:
    text, modules = _help(*command)
    assert text.startswith("usage: hub")
    imported = {name for name in modules if name.split(".")[0] in HEAVY}
    assert not imported, f"`hub {' '.join(command)} --help` imported {sorted(imported)[:10]}"
    hub_parts = {name for name in modules if name.startswith(HEAVY_HUB)}
    assert not hub_parts, f"`hub {' '.join(command)} --help` imported {sorted(hub_parts)}"


def test_help_lists_every_command_and_choice() -> None:
    text, _ = _help()
    for command in ("serve", "db", "sim", "radio", "upstream", "user", "token", "export", "backup"):
        assert f"    {command} " in text
    add_help, _ = _help("user", "add")
    assert "{coordinator,viewer}" in add_help
    export_help, _ = _help("export")
    assert "{json,csv,cap}" in export_help


def test_choices_are_the_services_own() -> None:
    """The parser's choices come from the domain's vocabulary, the same the services check."""
    from hub.domain.vocab import EXPORT_FORMATS, ROLES
    from hub.services import accounts, exports

    assert exports.FORMATS == EXPORT_FORMATS == ("json", "csv", "cap")
    assert accounts.ROLES == ROLES == ("coordinator", "viewer")

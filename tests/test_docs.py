"""The docs stand on their own and say what the code does.

The reference pages are read and held to the code: the settings table to ``Settings``, the
command-line page to the parser (every option, its default, and a ``--help`` that states the
default), the mesh command table to the grammar, the HTTP page to the OpenAPI document and the
vocabularies. Every ``sh`` and ``python`` example in the READMEs and ``docs/`` runs here — shell
examples beside a running hub — unless its info string says ``no-run``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.app import create_app
from hub.cli import build_parser
from hub.config import Settings, load_settings
from hub.domain import commands, vocab
from hub.runtime import Hub
from hub.services.figures import FIGURES_EVENT
from tests.conftest import LiveServer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"
PAGES = [
    ROOT / "README.md",
    *sorted(DOCS.rglob("*.md")),
    ROOT / "deploy" / "README.md",
    ROOT / "firmware_config" / "README.md",
]
RUNNABLE = {"sh", "python"}
KNOWN_KINDS = RUNNABLE | {"text", "yaml", "toml", "ini"}
EXAMPLE_HUB = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    kind: str
    flags: tuple[str, ...]
    code: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def code_blocks(page: Path) -> list[Block]:
    found: list[Block] = []
    opened: tuple[int, list[str]] | None = None
    lines: list[str] = []
    for number, line in enumerate(page.read_text().splitlines(), start=1):
        if not line.startswith("```"):
            if opened is not None:
                lines.append(line)
            continue
        if opened is None:
            opened = (number, line[3:].split())
            lines = []
        else:
            start, info = opened
            kind = info[0] if info else ""
            found.append(Block(page, start, kind, tuple(info[1:]), "\n".join(lines) + "\n"))
            opened = None
    assert opened is None, f"{page}: a code block opened at line {opened[0]} is never closed"
    return found


BLOCKS = [block for page in PAGES for block in code_blocks(page)]
TO_RUN = [block for block in BLOCKS if block.kind in RUNNABLE and "no-run" not in block.flags]


def section(page: Path, heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading of its level."""
    text = page.read_text()
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n") + len(heading) + 1
    following = re.search(rf"^{level} ", text[start:], flags=re.MULTILINE)
    return text[start : start + following.start()] if following else text[start:]


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| :]+\|$", line):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows[1:] if rows else rows  # without the header


def literal(cell: str) -> str | None:
    """The value of a cell that is one `literal`, else None."""
    found = re.fullmatch(r"`([^`]*)`", cell)
    return found.group(1) if found else None


def same_value(documented: str, actual: object) -> bool:
    if isinstance(actual, bool):
        return documented.lower() == str(actual).lower()
    if isinstance(actual, int | float):
        return float(documented) == float(actual)
    if isinstance(actual, Path):
        return Path(documented) == actual
    return documented == str(actual)


# --- every example runs, or says why not -------------------------------------------------------


def test_every_code_block_says_what_it_is() -> None:
    unnamed = [block.name for block in BLOCKS if block.kind not in KNOWN_KINDS]
    assert not unnamed, f"code blocks without a known info string (sh, python, text, ...): {unnamed}"
    assert TO_RUN, "no runnable examples found: the docs test would prove nothing"


@pytest.mark.parametrize("block", [b for b in TO_RUN if b.kind == "sh"], ids=lambda b: b.name)
def test_shell_example_runs(block: Block, settings: Settings, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    with LiveServer(settings) as live:
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HUB_DATA_DIR": str(settings.data_dir),
            "HUB_SECRET_KEY": settings.secret_key,
            "HUB_RATE_LIMIT": "0",
        }
        env.pop("HUB_CONFIG", None)
        script = block.code.replace(EXAMPLE_HUB, live.url)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, f"{block.name} failed:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("block", [b for b in TO_RUN if b.kind == "python"], ids=lambda b: b.name)
def test_python_example_runs(block: Block, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", block.code],
        cwd=tmp_path,
        env={**os.environ, "HUB_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{block.name} failed:\n{done.stdout}\n{done.stderr}"


# --- settings ----------------------------------------------------------------------------------


def test_settings_table_is_the_settings() -> None:
    rows = table_rows((REFERENCE / "settings.md").read_text())
    documented = {literal(row[0]): row for row in rows if literal(row[0])}
    settings = {f"HUB_{name.upper()}" for name in Settings.model_fields} | {"HUB_CONFIG"}
    assert set(documented) == settings
    wrong = []
    for name, field in Settings.model_fields.items():
        value = literal(documented[f"HUB_{name.upper()}"][1])
        default = field.get_default(call_default_factory=True)
        if value is not None and not same_value(value, default):
            wrong.append((name, value, default))
    assert not wrong, f"documented defaults that are not the hub's: {wrong}"


# --- the command line --------------------------------------------------------------------------


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ("hub",)
) -> list[tuple[tuple[str, ...], list[argparse.Action]]]:
    found = []
    nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    own = [a for a in parser._actions if not isinstance(a, argparse._SubParsersAction | argparse._HelpAction)]
    if own or not nested:
        found.append((path, own))
    for group in nested:
        for name, sub in group.choices.items():
            found.extend(_commands(sub, (*path, name)))
    return found


COMMANDS = _commands(build_parser())


@pytest.mark.parametrize(
    ("path", "actions"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_cli_page_documents_every_option(path: tuple[str, ...], actions: list[argparse.Action]) -> None:
    text = section(REFERENCE / "cli.md", f"## `{' '.join(path)}`")
    rows = {literal(row[0].split(",")[-1].strip()): row for row in table_rows(text)}
    for action in actions:
        name = action.option_strings[-1] if action.option_strings else action.dest.upper()
        assert f"`{name}`" in text or f" {name}" in text, f"{' '.join(path)}: {name} is not documented"
        row = rows.get(name)
        value = literal(row[1]) if row else None
        if value is not None:
            assert action.default is not None and same_value(value, action.default), (path, name)
    known = {s for action in actions for s in action.option_strings}
    mentioned = set(re.findall(r"`(--[a-z-]+)`", text))
    assert mentioned <= known, f"{' '.join(path)} has no {sorted(mentioned - known)}"


@pytest.mark.parametrize(
    ("path", "actions"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_help_states_every_default(path: tuple[str, ...], actions: list[argparse.Action]) -> None:
    for action in actions:
        name = action.option_strings[-1] if action.option_strings else action.dest
        assert action.help, f"`{' '.join(path)} --help` does not describe {name}"
        if action.option_strings and action.required:
            assert "required" in action.help, f"{' '.join(path)} {name}: say that it is required"
        elif action.option_strings:
            assert "default" in action.help, f"{' '.join(path)} {name}: say what the default is"


# --- the mesh command grammar ------------------------------------------------------------------


def _command_words() -> set[str]:
    source = inspect.getsource(commands.parse_command)
    words = set(commands._SIMPLE)
    for group in re.findall(r"word in \(([^)]*)\)", source) + re.findall(r"word == (\"[A-Z]+\")", source):
        words |= set(re.findall(r"\"([A-Z-]+)\"", group))
    return words | {"?"}


def test_mesh_command_table_is_the_grammar() -> None:
    text = section(REFERENCE / "mesh.md", "## Commands and replies")
    documented: set[str] = set()
    for row in table_rows(text):
        forms = re.findall(r"`([^`]+)`", row[0])
        words = {word for form in forms for word in form.split()[0].split("\\|")}
        kinds = {type(commands.parse_command(word)).__name__ for word in words}
        assert "Unknown" not in kinds, f"the grammar does not know {sorted(words)}"
        assert len(kinds) == 1 or kinds == {"Invalid"}, f"{sorted(words)} mean different commands: {kinds}"
        documented |= words
    assert documented == _command_words()


# --- HTTP --------------------------------------------------------------------------------------


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])


def test_http_page_lists_every_operation(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", secret_key="docs-test-secret-key-0123456789-abcdef")
    spec = create_app(settings, Hub.from_settings(settings)).openapi()
    served = {(method.upper(), _normalise(path)) for path, ops in spec["paths"].items() for method in ops}
    documented = set()
    for block in code_blocks(REFERENCE / "http.md"):
        for method, path in re.findall(r"^(GET|POST|PUT|PATCH|DELETE)\s+(/\S+)", block.code, re.MULTILINE):
            documented.add((method, _normalise(path)))
    assert served - documented == set(), "operations missing from docs/reference/http.md"
    assert documented - served == set(), "docs/reference/http.md lists operations the hub does not serve"


def test_vocabulary_table_is_the_code() -> None:
    expected = {
        "need `category`": vocab.NEED_CATEGORIES,
        "need `urgency`": vocab.URGENCIES,
        "need `status`": vocab.NEED_STATUSES,
        "offer `category`": vocab.OFFER_CATEGORIES,
        "offer `status`": vocab.OFFER_STATUSES,
        "check-in `status`": vocab.CHECKIN_STATUSES,
        "household `special_attention`": vocab.SPECIAL_ATTENTION,
        "announcement `priority`": vocab.ANNOUNCEMENT_PRIORITIES,
        "task `kind`": vocab.TASK_KINDS,
        "task `status`": vocab.TASK_STATUSES,
        "`mode`": vocab.MODES,
        "account `role`": vocab.ROLES,
        "signal `category`": vocab.SIGNAL_CATEGORIES,
        "signal `status`": vocab.SIGNAL_STATUSES,
        "signal `action`": vocab.SIGNAL_ACTIONS,
        "partner `kind`": vocab.PARTNER_KINDS,
    }
    rows = table_rows(section(REFERENCE / "http.md", "## Vocabularies"))
    documented = {row[0]: tuple(re.findall(r"`([^`]+)`", row[1])) for row in rows}
    assert documented == expected


# --- MQTT event types ---------------------------------------------------------------------------


def _written_event_types() -> set[str]:
    found = {FIGURES_EVENT} | {f"task.{status}" for status in ("accepted", "done", "failed")}
    for source in [*(ROOT / "hub" / "services").glob("*.py"), ROOT / "hub" / "jobs.py"]:
        text = source.read_text()
        found |= set(re.findall(r'append_event\(\s*session,\s*[\w.]*ctx,\s*"([a-z_]+\.[a-z_]+)"', text))
        found |= set(re.findall(r'RecordKind\([^)]*?"([a-z_]+\.deleted)"', text))
    return found


def test_event_table_is_what_the_hub_writes() -> None:
    rows = table_rows(section(REFERENCE / "mqtt.md", "## Event types"))
    documented = {name for row in rows for name in re.findall(r"`([a-z_]+\.[a-z_]+)`", row[0])}
    assert documented == _written_event_types()


# --- links -------------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    return {slug(heading) for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def test_links_reach_a_file_and_a_heading() -> None:
    broken = []
    for page in PAGES:
        for target, anchor in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", page.read_text()):
            linked = (page.parent / target).resolve() if target else page
            if not linked.exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{page.relative_to(ROOT)} -> {target}#{anchor}")
    assert not broken, broken

"""The outbox is one module (``hub.services.outbox``): the storage layer and the sync link do not
know its table. Checked on the source: no import or use of the outbox's table model, of
``hub.models.sync`` as a whole, of the outbox's session keys, or of SQL naming its table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARDED = [
    ROOT / "hub" / "db.py",
    *sorted((ROOT / "hub" / "sync").glob("*.py")),
    *sorted((ROOT / "hub" / "web" / "admin").glob("*.py")),  # the sync page reads outbox.latest
]
TABLE_MODELS = {"OutboxEvent"}
TABLE_MODULES = {"hub.models.sync"}
SQL_ON_TABLE = re.compile(r"\b(from|into|update|join|table)\s+[\"'`]?outbox\b", re.IGNORECASE)
OUTBOX_KEY = re.compile(r"^outbox(_\w+)?$")


def _docstrings(tree: ast.Module) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _names_the_table(node: ast.Constant, docstrings: set[int]) -> bool:
    if not isinstance(node.value, str) or id(node) in docstrings:
        return False
    return bool(OUTBOX_KEY.match(node.value) or SQL_ON_TABLE.search(node.value))


def outbox_table_uses(source: str) -> list[str]:
    """Every place in ``source`` that knows the outbox table (empty when none)."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module in TABLE_MODULES:
                found.append(f"line {line}: imports from {module}")
            found += [f"line {line}: imports {a.name}" for a in node.names if a.name in TABLE_MODELS]
            if module == "hub.models" and any(a.name == "sync" for a in node.names):
                found.append(f"line {line}: imports hub.models.sync")
        elif isinstance(node, ast.Import):
            found += [f"line {line}: imports {a.name}" for a in node.names if a.name in TABLE_MODULES]
        elif isinstance(node, ast.Name) and node.id in TABLE_MODELS:
            found.append(f"line {line}: uses {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in TABLE_MODELS:
            found.append(f"line {line}: uses .{node.attr}")
        elif isinstance(node, ast.Constant) and _names_the_table(node, docstrings):
            found.append(f"line {line}: names the outbox table or its keys: {node.value!r}")
    return found


@pytest.mark.parametrize("path", GUARDED, ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_and_link_do_not_know_the_outbox_table(path: Path) -> None:
    assert outbox_table_uses(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "wrong",
    [
        "from hub.models import OutboxEvent",
        "from hub.models.sync import InboundApplied",
        "import hub.models.sync",
        "from hub.models import sync",
        "def f():\n    from hub.models import OutboxEvent as E\n",
        "import hub.models\nrows = hub.models.OutboxEvent",
        "PENDING = 'outbox_pending'",
        "q = 'UPDATE outbox SET sent_at = 1'",
        "q = text('select seq from \"outbox\"')",
    ],
)
def test_the_check_finds_a_wrong_import(wrong: str) -> None:
    assert outbox_table_uses(wrong) != []


def test_the_check_leaves_prose_and_the_outbox_module_alone() -> None:
    source = '"""Reads outbox rows from the outbox module."""\nfrom hub.services.outbox import Outbox\n'
    assert outbox_table_uses(source) == []


def test_the_outbox_module_does_know_it() -> None:
    source = (ROOT / "hub" / "services" / "outbox.py").read_text(encoding="utf-8")
    assert outbox_table_uses(source) != []  # the check would see it, were it in the wrong place

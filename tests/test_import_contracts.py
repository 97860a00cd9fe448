"""The import-linter contracts in pyproject.toml (run by ``make lint``) hold, and they catch a wrong import.

A wrong import is written into a copy of the package tree in ``tmp_path``; ``lint-imports``
checks the copy with the project's own configuration and must fail, naming the contract.
"""

from __future__ import annotations

import ast
import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import hub

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {contract["id"]: contract for contract in config["tool"]["importlinter"]["contracts"]}


def _lint_imports(project: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    selected = [arg for contract in contracts for arg in ("--contract", contract)]
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", *selected],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_hold_today() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(_contracts())} kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        ("domain/wrong.py", "import sqlalchemy", "domain-pure"),
        ("domain/wrong.py", "from hub.models import CheckIn", "domain-pure"),
        ("domain/wrong.py", "import meshtastic", "domain-pure"),
        ("services/wrong.py", "from hub.web import security", "services-no-web"),
        ("domain/wrong.py", "from hub import config", "domain-self-contained"),
        ("domain/wrong.py", "from hub.i18n import WEB_DIR", "domain-self-contained"),
        ("web/wrong.py", "from hub.models import CheckIn", "services-are-the-door"),
        ("web/wrong.py", "from hub.models.base import utcnow", "services-are-the-door"),
        ("mesh/wrong.py", "from hub.db import Database", "services-are-the-door"),
        ("sync/wrong.py", "from sqlmodel import Session", "services-are-the-door"),
        ("web/admin/wrong.py", "from hub.models import CheckIn", "services-are-the-door"),
        ("web/admin/wrong.py", "from hub.models.base import utcnow", "services-are-the-door"),
        ("web/admin/wrong.py", "from hub.db import Database", "services-are-the-door"),
        ("web/admin/wrong.py", "from sqlmodel import Session", "services-are-the-door"),
    ],
)
def test_a_wrong_import_breaks_its_contract(
    tmp_path: Path, module: str, wrong_import: str, contract: str
) -> None:
    shutil.copytree(ROOT / "hub", tmp_path / "hub", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint_imports(tmp_path, contract).returncode == 0  # the copy is analysed and clean

    (tmp_path / "hub" / module).write_text(f'"""A deliberate violation."""\n\n{wrong_import}\n')

    done = _lint_imports(tmp_path, contract)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout
    assert f"hub.{module.removesuffix('.py').replace('/', '.')}" in done.stdout


def test_the_domain_contract_names_every_other_part_of_the_hub() -> None:
    """A new top-level module of the hub is outside the domain: the contract must forbid it too."""
    parts = {f"hub.{module.name}" for module in pkgutil.iter_modules(hub.__path__)}
    forbidden = set(_contracts()["domain-self-contained"]["forbidden_modules"])
    assert forbidden == parts - {"hub.domain", "hub.errors"}


def test_the_door_contract_covers_the_jobs_module_itself(tmp_path: Path) -> None:
    """``hub.jobs`` is a module, not a package: a wrong import in it breaks the contract too."""
    shutil.copytree(ROOT / "hub", tmp_path / "hub", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    jobs = tmp_path / "hub" / "jobs.py"
    jobs.write_text(jobs.read_text(encoding="utf-8") + "\nfrom hub.db import Database  # noqa\n")

    done = _lint_imports(tmp_path, "services-are-the-door")
    assert done.returncode != 0
    assert "hub.jobs -> hub.db" in done.stdout


def test_the_door_contract_leaves_only_the_regional_receiver_aside() -> None:
    """What the contract ignores: hub.sync.upstream (its own engine), nothing else."""
    ignored = _contracts()["services-are-the-door"]["ignore_imports"]
    assert {line.split(" -> ")[0] for line in ignored} == {"hub.sync.upstream"}


CALLERS = sorted(
    path
    for path in [
        *(ROOT / "hub").glob("web/**/*.py"),
        *(ROOT / "hub").glob("mesh/**/*.py"),
        *(ROOT / "hub" / "sync").glob("*.py"),
        ROOT / "hub" / "jobs.py",
    ]
    if path.name != "upstream.py"
)
# What only the services may touch of the running hub: its database (sessions, the writer).
STORAGE_ATTRIBUTES = {"db", "writer", "read_engine", "write_engine"}


def storage_uses(source: str) -> list[str]:
    """Every place in ``source`` that reaches for the database itself (``hub.db.read()``,
    ``hub.db.writer.run(...)``) instead of naming a use case of ``hub.services``."""
    return [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in STORAGE_ATTRIBUTES
    ]


@pytest.mark.parametrize("path", CALLERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_caller_opens_a_session_or_hands_the_writer_a_closure(path: Path) -> None:
    """The import contract cannot see ``hub.db`` reached through the running hub: this can."""
    assert storage_uses(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "wrong",
    [
        "with hub.db.read() as session:\n    pass\n",
        "await hub.db.writer.run(lambda s: tasks.assign(s, hub.ctx, task_id, v, actor=a))",
        "future = request.app.state.hub.db.writer.submit(job)",
    ],
)
def test_the_storage_check_finds_a_session_or_a_closure(wrong: str) -> None:
    assert storage_uses(wrong) != []

"""``hub serve`` starts quickly: a database at head loads no migration machinery; an old one is upgraded."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher

from hub.migrate import alembic_config, at_head, database_revision, script_head, upgrade

_BUILD_HUB = """
import json, sys
from hub.app import create_app
from hub.config import load_settings
from hub.serve import build_hub
settings = load_settings()
hub = build_hub(settings)
create_app(settings, hub)
hub.db.close()
watched = ("alembic", "jinja2", "babel")
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in watched)))
"""


def _build_hub_in_a_fresh_process(data_dir: Path) -> list[str]:
    """The hub as ``hub serve`` builds it, in a new interpreter: the alembic, Jinja2 and Babel
    modules it loaded (the pages' Jinja2 and the catalogs' Babel are loaded at the first page,
    not at the start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data_dir), HUB_RADIO="none")
    done = subprocess.run(
        [sys.executable, "-c", _BUILD_HUB], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return list(json.loads(done.stdout.splitlines()[-1]))


def _version(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
    finally:
        db.close()


def test_the_cheap_head_is_alembics_head(tmp_path: Path) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    assert script_head() == scripts.get_current_head()


def test_a_database_at_head_starts_without_loading_alembic(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    upgrade(f"sqlite:///{path}")
    assert _version(path) == [script_head()]

    assert _build_hub_in_a_fresh_process(tmp_path) == []
    assert _version(path) == [script_head()]


def test_a_new_database_is_created_at_head_by_the_hub(tmp_path: Path) -> None:
    loaded = _build_hub_in_a_fresh_process(tmp_path)

    assert "alembic.command" in loaded
    assert not [name for name in loaded if name.startswith("jinja2")]
    assert _version(tmp_path / "hub.sqlite3") == [script_head()]


def test_an_old_database_is_upgraded_on_start(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "0001")
    assert not at_head(f"sqlite:///{path}")

    loaded = _build_hub_in_a_fresh_process(tmp_path)

    assert "alembic.command" in loaded
    assert _version(path) == [script_head()]
    db = sqlite3.connect(path)
    columns = {row[1] for row in db.execute("PRAGMA table_info(households)")}
    db.close()
    assert "code" in columns  # added by 0004_loops_drill


def test_what_is_not_a_known_sqlite_head_goes_through_alembic(tmp_path: Path) -> None:
    assert database_revision(f"sqlite:///{tmp_path / 'missing.sqlite3'}") is None
    assert database_revision("postgresql://hub@127.0.0.1/hub") is None
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    assert database_revision(f"sqlite:///{empty}") is None  # no alembic_version table
    assert not at_head(f"sqlite:///{empty}")


def test_the_unknown_name_hash_has_the_hashers_parameters() -> None:
    """Logging in with an unknown name verifies against a fixed hash: as slow as a real one."""
    from hub.services import accounts

    assert not PasswordHasher().check_needs_rehash(accounts._DUMMY_HASH)

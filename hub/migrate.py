"""Apply the Alembic migrations that ship inside the package.

Every start calls :func:`upgrade`. A SQLite database already at the scripts' head is the usual
case, and the check for it is cheap: the ``alembic_version`` row, read with ``sqlite3``, against
the head read from the revision files' ``revision``/``down_revision`` lines. Only a database
that is behind (or new, or not SQLite, or when the scripts do not name exactly one head) loads
Alembic and its environment, which is most of a second of CPU on a small board.
"""

from __future__ import annotations

import ast
import logging
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSIONS = MIGRATIONS / "versions"

log = logging.getLogger(__name__)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=]*=\s*(.+?)\s*$", re.MULTILINE)


def _revision_ids(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """``(revision, down_revisions)`` as a revision file assigns them on one line each, or None."""
    found: dict[str, object] = {}
    for name, value in _ASSIGNMENT.findall(path.read_text(encoding="utf-8")):
        try:
            found[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return None
    revision, down = found.get("revision"), found.get("down_revision")
    if not isinstance(revision, str) or "down_revision" not in found:
        return None
    if down is None:
        return revision, ()
    if isinstance(down, str):
        return revision, (down,)
    if isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
        return revision, tuple(down)
    return None


def script_head() -> str | None:
    """The one head revision of the shipped scripts; None when there is not exactly one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(VERSIONS.glob("*.py")):
        if path.name.startswith("__"):
            continue
        ids = _revision_ids(path)
        if ids is None:
            return None
        revisions.add(ids[0])
        parents.update(ids[1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def database_revision(url: str) -> str | None:
    """The revision an existing SQLite file records; None for anything else (new, other engine)."""
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            rows = db.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def at_head(url: str) -> bool:
    """Whether the database at ``url`` is known to be at the scripts' head (cheap, no Alembic)."""
    head = script_head()
    return head is not None and database_revision(url) == head


def upgrade(url: str) -> None:
    if at_head(url):
        log.debug("database at head; no migration to run")
        return
    from alembic import command

    logging.getLogger("alembic").setLevel(logging.WARNING)
    command.upgrade(alembic_config(url), "head")


def make_revision(url: str, message: str) -> None:
    """Autogenerate a migration from the models (developers: ``make migration``)."""
    from alembic import command

    command.revision(alembic_config(url), message=message, autogenerate=True)

"""Backups of the SQLite file with SQLite's online backup API (consistent while the hub writes).

Files are named ``hub-YYYYmmdd-HHMMSS.sqlite3`` in the backup directory (``HUB_BACKUP_DIR``,
default ``<data dir>/backups``); only the newest ``HUB_BACKUP_KEEP`` stay.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from hub.config import Settings
from hub.errors import HubError
from hub.models.base import utcnow

log = logging.getLogger(__name__)
PREFIX = "hub-"
SUFFIX = ".sqlite3"


def backup_dir(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


def make_backup(settings: Settings, to: Path | None = None, keep: int | None = None) -> Path:
    source_path = settings.sqlite_path
    if source_path is None:
        raise HubError("backups are for SQLite; back up this database with its own tools")
    if not source_path.exists():
        raise HubError(f"no database at {source_path}")
    target_dir = to or backup_dir(settings)
    target_dir.mkdir(parents=True, exist_ok=True)
    name = f"{PREFIX}{utcnow().strftime('%Y%m%d-%H%M%S-%f')}{SUFFIX}"
    target = target_dir / name
    partial = target_dir / (name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
    finally:
        source.close()
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)
    rotate(target_dir, keep or settings.backup_keep)
    log.info("backup written: %s", target)
    return target


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    backups = sorted(p for p in directory.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())
    old = backups[:-keep] if keep > 0 else backups
    for path in old:
        path.unlink()
    return old

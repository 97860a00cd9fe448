"""Exports for the municipality and for the hub's own records.

Two scopes. ``minimised`` (the default, for the municipality) holds residents' records shaped by
the sync's share rules and leaves out households that did not consent (``export_scope``);
``full`` holds every record type with every field, for coordinators, and says so in the
document (``"scope": "full"``), in the file name and in the CSV archive's ``SCOPE.txt``.

- ``json``: one document, ``{"hub": ..., "exported_at": ..., "scope": ..., "share": ...,
  "records": {<type>: [...]}}``; in full, every record type (accounts without their password
  hashes; no session or token secrets).
- ``csv``: a ZIP archive with one ``<type>.csv`` per record type (UTF-8, header row); every cell
  that a spreadsheet could run as a formula is neutralised (see ``hub.domain.csv_safe``).
- ``cap``: a ZIP archive with one CAP 1.2 ``<alert>`` XML file per announcement; drill
  announcements have status ``Exercise``.

Exports only read; they run beside the writer on a read session.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from hub.domain.cap import to_cap_xml
from hub.domain.csv_safe import safe_cell
from hub.domain.vocab import EXPORT_FORMATS, ShareLevel
from hub.models import (
    Alert,
    Announcement,
    AuditEntry,
    CheckIn,
    DeadLetter,
    Drill,
    Household,
    HubState,
    MeshMessage,
    MeshOutbound,
    Need,
    Offer,
    Task,
    TaskOffer,
    User,
    Volunteer,
)
from hub.models.base import utcnow
from hub.services import outbox
from hub.services.audit import record
from hub.services.context import Door
from hub.services.export_scope import SCOPES, collect_minimised

__all__ = ["FORMATS", "RECORD_TYPES", "SCOPES", "export"]

FORMATS = EXPORT_FORMATS
# A table, or the reader of a module that keeps its table to itself (the outbox).
RECORD_TYPES: dict[str, type[SQLModel] | Callable[[Session], list[dict[str, Any]]]] = {
    "households": Household,
    "checkins": CheckIn,
    "needs": Need,
    "offers": Offer,
    "announcements": Announcement,
    "volunteers": Volunteer,
    "tasks": Task,
    "task_offers": TaskOffer,
    "alerts": Alert,
    "mesh_messages": MeshMessage,
    "mesh_outbound": MeshOutbound,
    "drills": Drill,
    "audit_log": AuditEntry,
    "outbox": outbox.exported,
    "dead_letters": DeadLetter,
    "hub_state": HubState,
    "users": User,
}
SECRET_FIELDS = {
    "users": {"password_hash", "failed_logins", "locked_until"},
    "households": {"code"},  # the household's key to verify itself: on its card only
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def collect(session: Session) -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = {}
    for name, model in RECORD_TYPES.items():
        hidden = SECRET_FIELDS.get(name, set())
        rows: list[dict[str, Any]]
        if isinstance(model, type):
            order = next(iter(model.__table__.primary_key.columns))  # type: ignore[attr-defined]
            found: Sequence[SQLModel] = session.exec(select(model).order_by(order)).all()
            rows = [row.model_dump() for row in found]
        else:
            rows = model(session)
        records[name] = [{k: _plain(v) for k, v in row.items() if k not in hidden} for row in rows]
    return records


def collect_scope(session: Session, scope: str, share: ShareLevel) -> dict[str, list[dict[str, Any]]]:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    return collect(session) if scope == "full" else collect_minimised(session, share)


def scope_note(scope: str, share: ShareLevel) -> str:
    if scope == "full":
        return "FULL export: every record with every field. Personal data: for coordinators only."
    return (
        f"Minimised export (share level {share}): residents' records as the sync shares them; "
        "households that did not consent are left out."
    )


def export_json(
    session: Session, hub_id: str, scope: str = "minimised", share: ShareLevel = "aggregate"
) -> bytes:
    document = {
        "hub": hub_id,
        "exported_at": utcnow().isoformat(),
        "scope": scope,
        "share": share,
        "note": scope_note(scope, share),
        "records": collect_scope(session, scope, share),
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def csv_text(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        fields = list(rows[0])
        writer = csv.writer(buffer)
        writer.writerow(fields)
        for row in rows:
            writer.writerow(
                [
                    safe_cell(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
                    for v in (row.get(f) for f in fields)
                ]
            )
    return buffer.getvalue()


def export_csv(session: Session, scope: str = "minimised", share: ShareLevel = "aggregate") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("SCOPE.txt", scope_note(scope, share) + "\n")
        for name, rows in collect_scope(session, scope, share).items():
            archive.writestr(f"{name}.csv", csv_text(rows))
    return buffer.getvalue()


def cap_alerts(session: Session, hub_id: str, hub_name: str) -> list[tuple[str, str]]:
    """(file name, CAP XML) for every announcement, oldest first."""
    result = []
    for a in session.exec(select(Announcement).order_by(col(Announcement.pk))).all():
        xml = to_cap_xml(a, sender=hub_id, sender_name=hub_name, language="nl")
        result.append((f"announcement-{a.id}.xml", xml.decode("utf-8")))
    return result


def export_cap(session: Session, hub_id: str, hub_name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in cap_alerts(session, hub_id, hub_name):
            archive.writestr(name, xml)
    return buffer.getvalue()


def export(
    session: Session,
    fmt: str,
    hub_id: str,
    hub_name: str,
    *,
    scope: str = "minimised",
    share: ShareLevel = "aggregate",
) -> tuple[bytes, str, str]:
    """(content, media type, suggested file name); a full export's name says ``full``."""
    stamp = utcnow().strftime("%Y%m%d-%H%M") + ("-full" if scope == "full" else "")
    if fmt == "json":
        return export_json(session, hub_id, scope, share), "application/json", f"{hub_id}-{stamp}.json"
    if fmt == "csv":
        return export_csv(session, scope, share), "application/zip", f"{hub_id}-{stamp}-csv.zip"
    if fmt == "cap":
        return export_cap(session, hub_id, hub_name), "application/zip", f"{hub_id}-{stamp}-cap.zip"
    raise ValueError(f"unknown format {fmt!r}")


def take_export(
    door: Door,
    fmt: str,
    *,
    actor: str,
    hub_id: str,
    hub_name: str,
    scope: str = "minimised",
    share: ShareLevel = "aggregate",
) -> tuple[bytes, str, str]:
    """A download of residents' data (a use case): who took it, and when, is in the audit log
    (committed) before the export is read."""
    door.store.write(lambda session: record(session, actor, "export.download", None, format=fmt, scope=scope))
    return door.store.read(lambda session: export(session, fmt, hub_id, hub_name, scope=scope, share=share))

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from hub.models import AuditEntry
from hub.services.context import Door


def record(session: Session, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
    """Write who did what to the audit log, in the transaction of the change itself."""
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))


async def note(door: Door, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
    """Write one entry to the audit log (a use case), answered after its commit."""
    await door.store.write_async(lambda session: record(session, actor, action, target, **detail))

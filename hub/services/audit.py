from __future__ import annotations

from typing import Any

from sqlmodel import Session

from hub.models import AuditEntry


def record(session: Session, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
    """Write who did what to the audit log, in the transaction of the change itself."""
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))

"""The transactional outbox: events written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from hub.db import after_commit
from hub.domain.sharing import shape_event
from hub.models import OutboxEvent
from hub.services.context import HubContext


def next_seq(session: Session) -> int:
    """Gap-free: the writer is the only one inserting, inside its transaction."""
    current = session.exec(select(func.max(OutboxEvent.seq))).one()
    return int(current or 0) + 1


def append_event(
    session: Session, ctx: HubContext, event_type: str, data: dict[str, Any], *, shape: str | None = None
) -> OutboxEvent:
    """Add an event; ``shape`` names the record kind whose data is minimised first."""
    payload = shape_event(shape, data, ctx.share) if shape else data
    event = OutboxEvent(seq=next_seq(session), type=event_type, data=payload)
    session.add(event)
    session.flush()
    for wake in ctx.sync_wakers:
        after_commit(session, wake)
    return event


def depth(session: Session) -> dict[str, int]:
    """Unsent and unconfirmed events (the backlog coordinators see)."""
    unsent = session.exec(select(func.count()).where(col(OutboxEvent.sent_at).is_(None))).one()
    unconfirmed = session.exec(select(func.count()).where(col(OutboxEvent.confirmed_at).is_(None))).one()
    return {"unsent": int(unsent), "unconfirmed": int(unconfirmed)}

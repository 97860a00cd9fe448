"""The transactional outbox: events written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from hub.db import PENDING_OUTBOX, SEQ_CACHE, after_commit
from hub.domain.sharing import shape_event
from hub.models import OutboxEvent, new_id, utcnow
from hub.services.context import HubContext


def next_seq(session: Session) -> int:
    """Gap-free: the writer is the only one inserting, inside its transaction.

    The value is cached for the rest of the transaction (the writer drops the cache when a
    job's savepoint rolls back)."""
    cached = session.info.get(SEQ_CACHE)
    if cached is None:
        current = session.exec(select(func.max(OutboxEvent.seq))).one()
        cached = int(current or 0) + 1
    session.info[SEQ_CACHE] = cached + 1
    return int(cached)


def append_event(
    session: Session, ctx: HubContext, event_type: str, data: dict[str, Any], *, shape: str | None = None
) -> int:
    """Add an event and return its seq; ``shape`` names the record kind to minimise first.

    Rows are collected and written by the writer in one statement before its commit (see
    ``hub.db.PENDING_OUTBOX``): the outbox is the hot path of every submission."""
    payload = shape_event(shape, data, ctx.share) if shape else data
    seq = next_seq(session)
    session.info.setdefault(PENDING_OUTBOX, []).append(
        {"seq": seq, "id": new_id(), "type": event_type, "at": utcnow(), "data": payload}
    )
    for wake in ctx.sync_wakers:
        after_commit(session, wake)
    return seq


def depth(session: Session) -> dict[str, int]:
    """Unsent and unconfirmed events (the backlog coordinators see)."""
    unsent = session.exec(select(func.count()).where(col(OutboxEvent.sent_at).is_(None))).one()
    unconfirmed = session.exec(select(func.count()).where(col(OutboxEvent.confirmed_at).is_(None))).one()
    return {"unsent": int(unsent), "unconfirmed": int(unconfirmed)}

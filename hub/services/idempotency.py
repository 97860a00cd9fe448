"""Retried submissions: the same key applies once and returns the first record."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel, select

from hub.errors import Conflict
from hub.models import IdempotencyKey

R = TypeVar("R", bound=SQLModel)


def replay(session: Session, key: str | None, kind: str, model: type[R]) -> R | None:
    """The record a key already produced, or ``None`` when the key is new (or absent).

    A key whose record was deleted since (on request, or a drill wiped) is spent: ``Conflict``,
    so the retry stores nothing and the caller sends the submission again with a new key.
    """
    if not key:
        return None
    seen = session.get(IdempotencyKey, key)
    if seen is None:
        return None
    if seen.kind != kind:
        raise Conflict(f"this key was used for a {seen.kind}, not a {kind}")
    record = session.exec(select(model).where(model.id == seen.record_id)).first()  # type: ignore[attr-defined]
    if record is None:
        raise Conflict(f"the {kind} made with this key was deleted; send it again with a new key")
    return record


def remember(session: Session, key: str | None, kind: str, record_id: str) -> None:
    if key:
        session.add(IdempotencyKey(key=key, kind=kind, record_id=record_id))

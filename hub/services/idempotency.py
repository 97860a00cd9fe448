"""Retried submissions: the same key applies once and returns the first record."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel, select

from hub.errors import Conflict
from hub.models import IdempotencyKey

R = TypeVar("R", bound=SQLModel)


def replay(session: Session, key: str | None, kind: str, model: type[R]) -> R | None:
    """The record a key already produced, or ``None`` when the key is new (or absent)."""
    if not key:
        return None
    seen = session.get(IdempotencyKey, key)
    if seen is None:
        return None
    if seen.kind != kind:
        raise Conflict(f"this key was used for a {seen.kind}, not a {kind}")
    return session.exec(select(model).where(model.id == seen.record_id)).first()  # type: ignore[attr-defined]


def remember(session: Session, key: str | None, kind: str, record_id: str) -> None:
    if key:
        session.add(IdempotencyKey(key=key, kind=kind, record_id=record_id))

"""Retried submissions: the same key applies once and returns the first record."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel, select

from hub.errors import Conflict, Gone
from hub.models import IdempotencyKey

R = TypeVar("R", bound=SQLModel)


def replay(session: Session, key: str | None, kind: str, model: type[R]) -> R | None:
    """The record a key already produced, or ``None`` when the key is new (or absent).

    A key whose record was deleted raises ``Gone``: a retry must not bring it back."""
    if not key:
        return None
    seen = session.get(IdempotencyKey, key)
    if seen is None:
        return None
    if seen.kind != kind:
        raise Conflict(f"this key was used for a {seen.kind}, not a {kind}")
    record = session.exec(select(model).where(model.id == seen.record_id)).first()  # type: ignore[attr-defined]
    if record is None:
        raise Gone(f"the {kind} sent with this key was deleted; it is not stored again")
    return record


def remember(session: Session, key: str | None, kind: str, record_id: str) -> None:
    if key:
        session.add(IdempotencyKey(key=key, kind=kind, record_id=record_id))

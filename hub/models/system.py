"""The hub's own state: mode, idempotency keys, drills."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field

from hub.models.base import Table, id_field, json_field, pk_field, utcnow


class HubState(Table, table=True):
    """Small key/value facts: mode, clock verification, sync marks."""

    __tablename__ = "hub_state"
    key: str = Field(primary_key=True, max_length=40)
    value: dict[str, Any] = json_field(dict)


class IdempotencyKey(Table, table=True):
    """A submission already applied: a retry with the same key returns the same record."""

    __tablename__ = "idempotency_keys"
    key: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=20)
    record_id: str = Field(max_length=26)
    created_at: datetime = Field(default_factory=utcnow)


class Drill(Table, table=True):
    __tablename__ = "drills"
    pk: int | None = pk_field()
    id: str = id_field()
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    started_by: str = Field(max_length=80)
    report: dict[str, Any] = json_field(dict)

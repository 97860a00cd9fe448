"""The transactional outbox and what came in from upstream."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field

from hub.models.base import Table, id_field, json_field, pk_field, utcnow


class OutboxEvent(Table, table=True):
    """One event for upstream. ``seq`` is per hub and gap-free; ``id`` is what consumers dedupe on.

    ``sent_at`` is set on the broker's PUBACK, ``confirmed_at`` on the upstream consumer's receipt;
    a row is kept until confirmed.
    """

    __tablename__ = "outbox"
    # the unsent count and where a connection starts (migration 0015_outbox_unsent). SQLite
    # only: naming another dialect's option would import that dialect at every start.
    __table_args__ = (Index("ix_outbox_unsent", "seq", sqlite_where=text("sent_at IS NULL")),)
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    id: str = id_field()
    type: str = Field(max_length=40)
    at: datetime = Field(default_factory=utcnow)
    data: dict[str, Any] = json_field(dict)
    sent_at: datetime | None = None
    confirmed_at: datetime | None = Field(default=None, index=True)


class InboundApplied(Table, table=True):
    """Ids of upstream messages already applied, so that a redelivery changes nothing."""

    __tablename__ = "inbound_applied"
    id: str = Field(primary_key=True, max_length=200)
    topic: str = Field(max_length=200)
    applied_at: datetime = Field(default_factory=utcnow)


class DeadLetter(Table, table=True):
    """An inbound message that could not be applied, kept for a coordinator to read."""

    __tablename__ = "dead_letters"
    pk: int | None = pk_field()
    id: str = id_field()
    source: str = Field(max_length=16)
    topic: str = Field(default="", max_length=200)
    reason: str = Field(max_length=300)
    payload: str = Field(default="", max_length=4000)
    created_at: datetime = Field(default_factory=utcnow)


class InboxMessage(Table, table=True):
    """A directed message from an upstream coordinator, for this hub's coordinators."""

    __tablename__ = "inbox_messages"
    pk: int | None = pk_field()
    id: str = id_field()
    external_id: str = Field(unique=True, max_length=200)
    sender: str = Field(default="upstream", max_length=80)
    subject: str = Field(default="", max_length=120)
    body: str = Field(max_length=2000)
    sent_at: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None

"""Volunteers, their tasks, and the traffic with their handsets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from hub.models.base import Table, id_field, json_field, pk_field, utcnow


class Volunteer(Table, table=True):
    __tablename__ = "volunteers"
    # the admin list by name, a page at a time (0011_admin_search)
    __table_args__ = (Index("ix_volunteers_name", "name"),)
    pk: int | None = pk_field()
    id: str = id_field()
    name: str = Field(max_length=80)
    node_id: str | None = Field(default=None, unique=True, max_length=9)
    skills: list[str] = json_field(list)
    # Where the volunteer lives (optional): the readiness of their section counts them.
    address: str | None = Field(default=None, max_length=120)
    address_key: str | None = Field(default=None, index=True, max_length=120)
    available: bool = True
    last_heard_at: datetime | None = None
    battery: int | None = None
    snr: float | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Task(Table, table=True):
    """A door knock, delivery, transport or check; ``number`` is what volunteers type."""

    __tablename__ = "tasks"
    # a household's tasks since crisis started (door-knock list, escalation); migration 0007_growth
    __table_args__ = (
        Index("ix_tasks_household_created_at", "household_id", "created_at"),
        # the admin list: unfinished tasks, flagged first, by status (0011_admin_search)
        Index("ix_tasks_status_flagged", "status", "flagged"),
    )
    pk: int | None = pk_field()
    id: str = id_field()
    number: int = Field(index=True)  # unique among unfinished tasks (see services.tasks)
    kind: str = Field(max_length=12)
    address: str = Field(max_length=120)
    address_key: str = Field(default="", max_length=120)  # searched (0011_admin_search)
    note: str | None = Field(default=None, max_length=280)
    # The note goes on the air only when a coordinator ticked "send the note to the volunteer":
    # a task text says where and what, not a diagnosis (the channel is heard by every handset).
    note_on_air: bool = False
    status: str = Field(default="open", index=True, max_length=10)
    volunteer_id: str | None = Field(default=None, foreign_key="volunteers.id", index=True)
    need_id: str | None = Field(default=None, foreign_key="needs.id")
    household_id: str | None = Field(default=None, foreign_key="households.id")
    # Routed to a partner organisation (it may take it and mark it done on its page).
    partner_id: str | None = Field(default=None, index=True, max_length=26)  # partners.id
    attempts: int = 0
    flagged: bool = False
    nobody_accepted: bool = False  # offered until the limit, nobody took it: a coordinator decides
    fail_reason: str | None = Field(default=None, max_length=200)
    automatic: bool = False
    drill: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    accepted_at: datetime | None = None
    done_at: datetime | None = None
    failed_at: datetime | None = None


class MeshMessage(Table, table=True):
    """A text heard from a handset; ``(from_node, packet_id)`` applies it once."""

    __tablename__ = "mesh_messages"
    __table_args__ = (
        UniqueConstraint("from_node", "packet_id"),
        Index("ix_mesh_messages_unhandled", "handled", "kind"),  # the dashboard's count (0007_growth)
    )
    pk: int | None = pk_field()
    id: str = id_field()
    from_node: int
    node_id: str = Field(max_length=9)
    packet_id: int
    channel: int = 0
    direct: bool = True
    pki: bool = False
    text: str = Field(max_length=500)
    kind: str = Field(default="command", max_length=12)
    handled: bool = False
    drill: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class MeshOutbound(Table, table=True):
    """The persistent send queue to the radio, ordered by priority then ``pk``."""

    __tablename__ = "mesh_outbound"
    pk: int | None = pk_field()
    id: str = id_field()
    dest: str = Field(max_length=12)
    text: str = Field(max_length=2000)
    priority: int = Field(index=True)
    status: str = Field(default="queued", index=True, max_length=10)
    want_ack: bool = True
    attempts: int = 0
    packet_id: int | None = None
    not_before: datetime | None = None
    task_id: str | None = Field(default=None, foreign_key="tasks.id")
    airtime: float = 0.0
    error: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    # The question this row answers (``hub.domain.commands.repeat_key``): a repeat of it
    # within ``HUB_MESH_REPEAT_SECONDS`` is not answered again.
    question: str | None = Field(default=None, max_length=64)
    # A reaction (tapback) to the handset's packet with this id: ``text`` is the emoji
    # (``hub.domain.replies``); None for a text.
    reply_id: int | None = None
    # A part of this announcement (``announcements.id``): its delivery receipt upstream.
    announcement_id: str | None = Field(default=None, max_length=26)

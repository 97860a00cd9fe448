"""What must reach a person: SOS alerts until acknowledged, and the offers of a task."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from hub.models.base import Table, id_field, pk_field, utcnow


class Alert(Table, table=True):
    """An SOS from a handset; open until a coordinator acknowledges it.

    Names are copied, not linked: the alert stays readable when a volunteer is deleted.
    """

    __tablename__ = "alerts"
    pk: int | None = pk_field()
    id: str = id_field()
    kind: str = Field(default="sos", max_length=12)
    message_id: str | None = Field(default=None, max_length=26)
    node_id: str = Field(max_length=9)
    volunteer_id: str | None = Field(default=None, max_length=26)
    volunteer_name: str | None = Field(default=None, max_length=80)
    text: str = Field(default="", max_length=500)
    unknown_node: bool = False
    verified: bool = False
    drill: bool = False
    raised_at: datetime = Field(default_factory=utcnow)
    acknowledged_at: datetime | None = Field(default=None, index=True)
    acknowledged_by: str | None = Field(default=None, max_length=80)


class TaskOffer(Table, table=True):
    """One offer of a task to one volunteer, and how it ended.

    ``outcome``: ``None`` while it waits; ``accepted``, ``declined`` (NIET), ``no_answer``,
    ``undeliverable`` (the radio could not reach the handset) or ``reassigned`` (by hand).
    """

    __tablename__ = "task_offers"
    pk: int | None = pk_field()
    id: str = id_field()
    task_id: str = Field(index=True, max_length=26)
    volunteer_id: str = Field(max_length=26)
    volunteer_name: str = Field(max_length=80)
    offered_at: datetime = Field(default_factory=utcnow)
    outcome: str | None = Field(default=None, max_length=14)
    ended_at: datetime | None = None

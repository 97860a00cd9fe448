"""Supply requests: what the hub's coordinators ask the region for ("water for 40 households")."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hub.models.base import id_field, pk_field, utcnow


class SupplyRequest(SQLModel, table=True):
    """Goes upstream as ``supply.requested`` (and ``supply.closed``); while the MQTT link is
    down, at once over the region channel as an urgent frame with the household count."""

    __tablename__ = "supply_requests"
    pk: int | None = pk_field()
    id: str = id_field()
    category: str = Field(max_length=24)  # hub.domain.region_link.SUPPLY_CATEGORIES
    households: int
    note: str = Field(default="", max_length=120)
    status: str = Field(default="open", index=True, max_length=8)  # open | closed
    drill: bool = False
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None

"""Partner organisations of the neighbourhood and the households' consent to share with each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from hub.models.base import Table, id_field, pk_field, utcnow


class Partner(Table, table=True):
    """A housing corporation, home-care team, GP practice or pharmacy that works in the neighbourhood."""

    __tablename__ = "partners"
    pk: int | None = pk_field()
    id: str = id_field()
    name: str = Field(unique=True, max_length=80)
    kind: str = Field(default="other", max_length=12)
    created_at: datetime = Field(default_factory=utcnow)


class PartnerConsent(Table, table=True):
    """A household agreed that this partner sees it (address, what help; its contact only with
    ``contact``). Withdrawing it deletes the row: the partner's next request no longer shows it."""

    __tablename__ = "partner_consents"
    __table_args__ = (UniqueConstraint("household_id", "partner_id"),)
    pk: int | None = pk_field()
    household_id: str = Field(foreign_key="households.id", index=True)
    partner_id: str = Field(foreign_key="partners.id", index=True)
    contact: bool = False
    given_by: str = Field(max_length=80)
    given_at: datetime = Field(default_factory=utcnow)

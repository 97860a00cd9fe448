"""The neighbourhood's address register: every door, as the municipality's BAG export lists it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.models.base import id_field, pk_field, utcnow


class Address(SQLModel, table=True):
    """One address of the register (``hub.domain.address_register``); replaced by each import."""

    __tablename__ = "addresses"
    # The BAG's identity of a door: a re-import updates the row with the same door.
    __table_args__ = (UniqueConstraint("postcode", "number", "letter", "addition", name="uq_addresses_door"),)
    pk: int | None = pk_field()
    id: str = id_field()
    street: str = Field(max_length=80)
    number: int
    letter: str = Field(default="", max_length=1)
    addition: str = Field(default="", max_length=4)
    postcode: str = Field(max_length=6)
    place: str = Field(max_length=80)
    # hub.domain.addresses.address_key / street_of: what typed addresses meet the register on
    address_key: str = Field(index=True, max_length=120)
    street_key: str = Field(index=True, max_length=120)
    lat: float
    lon: float
    imported_at: datetime = Field(default_factory=utcnow)

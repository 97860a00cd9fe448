"""The neighbourhood's address register: every door, as the municipality's BAG export lists it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from hub.models.base import Table, id_field, pk_field, utcnow


class Address(Table, table=True):
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


class Section(Table, table=True):
    """A part of the neighbourhood with a contact volunteer: a street, or a range of its numbers.

    The door-knock plan of a crisis is the section plan made in peace time.
    """

    __tablename__ = "sections"
    pk: int | None = pk_field()
    id: str = id_field()
    name: str = Field(max_length=80, unique=True)
    street: str = Field(max_length=80)  # as the coordinator wrote it
    street_key: str = Field(index=True, max_length=120)
    number_from: int | None = None  # None: from the first number
    number_to: int | None = None  # None: to the last number
    contact_volunteer_id: str | None = Field(default=None, foreign_key="volunteers.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)

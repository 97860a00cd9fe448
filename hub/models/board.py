"""The neighbourhood's board in peace time: preparedness self-checks, activities and drills,
and residents' offers to become a volunteer."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from hub.models.base import Table, id_field, json_field, pk_field, utcnow


class SelfCheck(Table, table=True):
    """A resident's 72-hour kit self-check: anonymous; the address is optional and only places
    the answer in a street (``hub.domain.preparedness``). Never shown to another resident."""

    __tablename__ = "self_checks"
    pk: int | None = pk_field()
    id: str = id_field()
    address: str | None = Field(default=None, max_length=120)
    address_key: str | None = Field(default=None, index=True, max_length=120)
    items: list[str] = json_field(list)  # the kit items the household has ready
    people: int | None = None  # for the water on the printed list (3 litres a person a day)
    check_on: bool = False  # knows whom they would check on
    checked_by: bool = False  # knows who would check on them
    created_at: datetime = Field(default_factory=utcnow)


class Activity(Table, table=True):
    """A coming activity or drill on the portal's home page (coordinators post them)."""

    __tablename__ = "activities"
    pk: int | None = pk_field()
    id: str = id_field()
    kind: str = Field(default="activity", max_length=10)  # activity | drill
    title: str = Field(max_length=120)
    starts_at: datetime = Field(index=True)  # UTC
    place: str = Field(max_length=120)
    text: str = Field(default="", max_length=1000)
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class VolunteerOffer(Table, table=True):
    """A resident offers to be a volunteer; a coordinator approves it (a volunteer is made, with
    the handset's node id) or declines it (the offer is deleted). Personal data: hub only."""

    __tablename__ = "volunteer_offers"
    pk: int | None = pk_field()
    id: str = id_field()
    name: str = Field(max_length=80)
    address: str = Field(max_length=120)
    address_key: str = Field(max_length=120)
    contact: str = Field(max_length=80)
    skills: str = Field(default="", max_length=300)
    has_handset: bool = False
    status: str = Field(default="waiting", index=True, max_length=10)  # waiting | approved
    volunteer_id: str | None = Field(default=None, foreign_key="volunteers.id", index=True)
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

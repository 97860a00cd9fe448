"""What residents tell the hub: households, check-ins, needs, offers; and what it tells them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from hub.models.base import Table, id_field, json_field, pk_field, utcnow


class Household(Table, table=True):
    """A household that needs special attention in a crisis (health data: minimise)."""

    __tablename__ = "households"
    # the register in walking order, a page at a time (0011_admin_search)
    __table_args__ = (Index("ix_households_walk", "walk_key", "pk"),)
    pk: int | None = pk_field()
    id: str = id_field()
    address: str = Field(max_length=120)
    address_key: str = Field(index=True, max_length=120)
    street_key: str = Field(default="", index=True, max_length=120)
    # ``hub.domain.addresses.walking_key``: the admin list's order (street, odd then even side)
    walk_key: str = Field(default="", max_length=120)
    special_attention: list[str] = json_field(list)
    people: int | None = None
    contact: str | None = Field(default=None, max_length=80)
    note: str | None = Field(default=None, max_length=280)
    registered_by: str = Field(default="self", max_length=16)
    consent_given_by: str = Field(max_length=80)
    consent_share_upstream: bool = False
    consent_at: datetime = Field(default_factory=utcnow)
    buddy_volunteer_id: str | None = Field(default=None, foreign_key="volunteers.id", index=True)
    # Printed on the household's card; a portal or API check-in that carries it verifies the
    # household (hub.domain.household_codes). Never shown on the portal, never sent upstream.
    code: str | None = Field(default=None, max_length=12)
    drill: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class CheckIn(Table, table=True):
    __tablename__ = "checkins"
    # Each read that grows with the crisis has an index that bounds it (migration 0007_growth).
    __table_args__ = (
        # check-ins since a moment: retention, the drill report (the figures read address_states)
        Index("ix_checkins_created_at", "created_at", "address_key", "status"),
        Index("ix_checkins_drill_created_at", "drill", "created_at", "address_key"),
        # a household's first verified / latest unverified check-in (the door-knock list)
        Index("ix_checkins_household_reached", "household_id", "verified", "created_at"),
        Index("ix_checkins_address_reached", "address_key", "household_id", "verified", "created_at"),
        # the help worklist and its count
        Index("ix_checkins_worklist", "status", "handled_at"),
        # the admin list of one status, newest first (0011_admin_search)
        Index("ix_checkins_status", "status"),
    )
    pk: int | None = pk_field()
    id: str = id_field()
    address: str = Field(max_length=120)
    address_key: str = Field(max_length=120)  # indexed first in ix_checkins_address_reached
    status: str = Field(max_length=8)
    people: int | None = None
    note: str | None = Field(default=None, max_length=280)
    source: str = Field(default="portal", max_length=16)
    volunteer_id: str | None = Field(default=None, max_length=26)  # volunteers.id
    household_id: str | None = Field(
        default=None, foreign_key="households.id"
    )  # ix_checkins_household_reached
    # Counts as reaching a special-attention household: the household's code, a volunteer's
    # handset or a coordinator. ``verified_by``: "code", "volunteer" or the coordinator's name.
    verified: bool = False
    verified_by: str | None = Field(default=None, max_length=80)
    drill: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    # A ``help`` check-in is on the coordinators' worklist until handled (or made a task).
    handled_at: datetime | None = None
    handled_by: str | None = Field(default=None, max_length=80)
    task_id: str | None = Field(default=None, max_length=26)


class AddressState(Table, table=True):
    """Each address's latest check-in, drill and real apart: what the figures count.

    Kept by triggers on ``checkins`` (migration 0010_address_states) in the same transaction as
    the row they follow, whatever writes it (a form, a handset, a sync, a bulk load, a delete):
    the figures read at most one row per address instead of every check-in since the crisis began.
    """

    __tablename__ = "address_states"
    # the households' figures since a moment: covering, no row is read
    __table_args__ = (Index("ix_address_states_since", "drill", "created_at", "status"),)
    address_key: str = Field(primary_key=True, max_length=120)
    drill: bool = Field(primary_key=True)
    checkin_pk: int
    status: str = Field(max_length=8)
    created_at: datetime


class Need(Table, table=True):
    __tablename__ = "needs"
    # open needs by category on the portal's board (0007_growth)
    __table_args__ = (
        Index("ix_needs_board", "status", "drill", "category"),
        # the admin list: open needs by urgency, newest first in each (0011_admin_search)
        Index("ix_needs_status_urgency", "status", "urgency"),
    )
    pk: int | None = pk_field()
    id: str = id_field()
    address: str = Field(max_length=120)
    address_key: str = Field(index=True, max_length=120)
    category: str = Field(max_length=24)
    urgency: str = Field(max_length=8)
    description: str = Field(max_length=500)
    status: str = Field(default="open", index=True, max_length=12)
    source: str = Field(default="portal", max_length=16)
    origin_hub: str | None = Field(default=None, max_length=40)
    drill: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None  # when it was closed: resolved, cancelled or duplicate
    duplicate_of: str | None = Field(default=None, max_length=26)


class Offer(Table, table=True):
    __tablename__ = "offers"
    pk: int | None = pk_field()
    id: str = id_field()
    category: str = Field(max_length=24)
    description: str = Field(max_length=500)
    address: str | None = Field(default=None, max_length=120)
    address_key: str | None = Field(default=None, max_length=120)  # searched (0011_admin_search)
    contact: str | None = Field(default=None, max_length=80)
    status: str = Field(default="available", index=True, max_length=12)
    # The volunteer this offer enrolled (without a handset: tasks on paper).
    volunteer_id: str | None = Field(default=None, max_length=26)  # volunteers.id
    origin_hub: str | None = Field(default=None, max_length=40)
    drill: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Announcement(Table, table=True):
    __tablename__ = "announcements"
    pk: int | None = pk_field()
    id: str = id_field()
    title: str = Field(max_length=120)
    body: str = Field(max_length=2000)
    priority: str = Field(default="info", max_length=8)
    send_mesh: bool = False
    send_upstream: bool = True
    translations: dict[str, dict[str, str]] = json_field(dict)
    source: str = Field(default="local", max_length=16)
    external_id: str | None = Field(default=None, unique=True, max_length=200)
    expires_at: datetime | None = None
    created_by: str | None = Field(default=None, max_length=80)
    drill: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    # Of an announcement from upstream: when the portal first showed it, and when its last part
    # went on the mesh channel (each sent upstream once as a delivery receipt).
    shown_at: datetime | None = None
    meshed_at: datetime | None = None
    # Of one from the region: the message id its LoRa copy goes by (``region_radio.announcement_id``
    # of the MQTT copy's key), so whichever copy comes second is known as the same (0017).
    region_lora_id: int | None = Field(default=None, index=True)


class Signal(Table, table=True):
    """A neighbour's concern about a place or a person, on the coordinators' worklist.

    It is about someone else, who did not consent: it leaves the hub only as counts per street
    (``signal.street_counts``), never with its address or words.
    """

    __tablename__ = "signals"
    __table_args__ = (
        Index("ix_signals_worklist", "status", "drill"),
        Index("ix_signals_same_place", "address_key", "category", "created_at"),
    )
    pk: int | None = pk_field()
    id: str = id_field()
    category: str = Field(max_length=16)
    life: bool = False  # danger to life: the 112 guidance was shown; first on the list
    address: str | None = Field(default=None, max_length=120)
    address_key: str | None = Field(default=None, max_length=120)
    street_key: str = Field(default="", max_length=120)
    description: str = Field(max_length=500)
    contact: str | None = Field(default=None, max_length=80)
    source: str = Field(default="portal", max_length=16)
    reported_by: str | None = Field(default=None, max_length=80)  # a volunteer's name (handset)
    status: str = Field(default="new", max_length=12)
    # each step: {"step": "look"|"act"|"close"|"reopen"|"merge"|"merged_in", "by", "at", ...}
    steps: list[dict[str, object]] = json_field(list)
    action: str | None = Field(default=None, max_length=12)  # the latest ``act``: task, need, ...
    action_ref: str | None = Field(default=None, max_length=26)  # the task or need it became
    # The partner organisation the signal was routed to ("a call to a partner"): a partner's
    # account shows it its routed signals.
    routed_to: str | None = Field(default=None, max_length=80)
    merged_into: str | None = Field(default=None, max_length=26)
    drill: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime | None = None

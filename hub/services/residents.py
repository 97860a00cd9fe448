"""Check-ins, needs, offers and households: the resident's side of the hub."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from hub.db import Prepared
from hub.domain import household_codes
from hub.domain.addresses import address_key, street_of, walking_key
from hub.errors import ValidationError, WrongHouseholdCode
from hub.models import CheckIn, Household, Need, Offer, Partner, PartnerConsent, new_id, utcnow
from hub.schemas import CheckInCreate, HouseholdCreate, NeedCreate, OfferCreate
from hub.services import idempotency, mesh_queue
from hub.services.context import HubContext
from hub.services.outbox import append_event
from hub.services.state import is_drill

# Statements compiled once and run on the writer's connection (``Prepared``): the check-in is
# the hot path, and SQLAlchemy's work per execution costs more than SQLite's.
_CHECKINS: Table = CheckIn.__table__  # type: ignore[attr-defined]
_HOUSEHOLDS: Table = Household.__table__  # type: ignore[attr-defined]
_HOUSEHOLD_BY_ADDRESS = Prepared(
    sa_select(_HOUSEHOLDS.c.id, _HOUSEHOLDS.c.code)
    .where(_HOUSEHOLDS.c.address_key == bindparam("key"))
    .limit(1),
    ("key",),
)
_CHECKIN_COLUMNS = (
    "id",
    "address",
    "address_key",
    "status",
    "people",
    "note",
    "source",
    "volunteer_id",
    "household_id",
    "verified",
    "verified_by",
    "drill",
    "created_at",
)
_INSERT_CHECKIN = Prepared(insert(_CHECKINS), _CHECKIN_COLUMNS)


@dataclass(frozen=True)
class SavedCheckIn:
    """A stored check-in, as the caller needs it for its answer."""

    id: str
    address: str
    status: str
    people: int | None
    note: str | None
    source: str
    household_id: str | None
    verified: bool
    verified_by: str | None
    drill: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: CheckIn) -> SavedCheckIn:
        return cls(
            id=row.id,
            address=row.address,
            status=row.status,
            people=row.people,
            note=row.note,
            source=row.source,
            household_id=row.household_id,
            verified=row.verified,
            verified_by=row.verified_by,
            drill=row.drill,
            created_at=row.created_at,
        )


def create_checkin(
    session: Session,
    ctx: HubContext,
    data: CheckInCreate,
    *,
    source: str = "portal",
    volunteer_id: str | None = None,
    key: str | None = None,
) -> SavedCheckIn:
    """Store a check-in from the portal, the API, a handset (``mesh``) or a ``coordinator``.

    Whether it verifies a special-attention household follows
    :func:`hub.domain.household_codes.verifies`: a portal or API check-in needs the household's
    code (a wrong one raises :class:`WrongHouseholdCode` and stores nothing), a handset's needs a
    registered volunteer (``volunteer_id``).

    Check-ins are the hot path of a crisis (a whole street checks in within the hour), so
    this writes with SQL expressions instead of ORM objects: a third of the CPU per row.
    """
    if seen := idempotency.replay(session, key, "checkin", CheckIn):
        return SavedCheckIn.from_row(seen)
    addr_key = address_key(data.address)
    household = _HOUSEHOLD_BY_ADDRESS.execute(session, {"key": addr_key}).fetchone()
    household_id, stored_code = (household[0], household[1]) if household else (None, None)
    code_matched = False
    if data.code:
        if not household_codes.matches(stored_code, data.code):
            raise WrongHouseholdCode()
        code_matched = True
    verified = household_codes.verifies(
        source, from_volunteer=volunteer_id is not None, code_matched=code_matched
    )
    verified_by = None
    if verified:
        verified_by = "code" if code_matched else ("volunteer" if source == "mesh" else source)
    saved = SavedCheckIn(
        id=new_id(),
        address=data.address,
        status=data.status,
        people=data.people,
        note=data.note or None,
        source=source,
        household_id=household_id,
        verified=verified,
        verified_by=verified_by,
        drill=is_drill(session),
        created_at=utcnow(),
    )
    _INSERT_CHECKIN.execute(session, {"address_key": addr_key, "volunteer_id": volunteer_id, **vars(saved)})
    idempotency.remember(session, key, "checkin", saved.id)
    append_event(session, ctx, "checkin.created", checkin_data(saved), shape="checkin")
    return saved


def checkin_data(checkin: SavedCheckIn) -> dict[str, Any]:
    return {
        "id": checkin.id,
        "address": checkin.address,
        "status": checkin.status,
        "people": checkin.people,
        "note": checkin.note,
        "source": checkin.source,
        "household_id": checkin.household_id,
        "verified": checkin.verified,
        "drill": checkin.drill,
    }


def create_need(
    session: Session,
    ctx: HubContext,
    data: NeedCreate,
    *,
    source: str = "portal",
    key: str | None = None,
) -> Need:
    if seen := idempotency.replay(session, key, "need", Need):
        return seen
    need = Need(
        address=data.address,
        address_key=address_key(data.address),
        category=data.category,
        urgency=data.urgency,
        description=data.description,
        source=source,
        drill=is_drill(session),
    )
    session.add(need)
    idempotency.remember(session, key, "need", need.id)
    append_event(session, ctx, "need.created", need_data(need), shape="need")
    if need.urgency == "life":  # relayed at once to every handset (docs/reference/mesh.md)
        mesh_queue.relay_life_need(session, ctx, need)
    return need


def need_data(need: Need) -> dict[str, Any]:
    return {
        "id": need.id,
        "address": need.address,
        "category": need.category,
        "urgency": need.urgency,
        "description": need.description,
        "status": need.status,
        "source": need.source,
        "drill": need.drill,
    }


def create_offer(session: Session, ctx: HubContext, data: OfferCreate, *, key: str | None = None) -> Offer:
    if seen := idempotency.replay(session, key, "offer", Offer):
        return seen
    offer = Offer(
        category=data.category,
        description=data.description,
        address=data.address,
        address_key=address_key(data.address) if data.address else None,
        contact=data.contact,
        drill=is_drill(session),
    )
    session.add(offer)
    idempotency.remember(session, key, "offer", offer.id)
    append_event(session, ctx, "offer.created", offer_data(offer), shape="offer")
    return offer


def offer_data(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "category": offer.category,
        "description": offer.description,
        "address": offer.address,
        "contact": offer.contact,
        "drill": offer.drill,
    }


def register_household(
    session: Session,
    ctx: HubContext,
    data: HouseholdCreate,
    *,
    key: str | None = None,
    actor: str = "resident",
) -> Household:
    if seen := idempotency.replay(session, key, "household", Household):
        return seen
    household = Household(
        address=data.address,
        address_key=address_key(data.address),
        street_key=street_of(data.address),
        walk_key=walking_key(data.address),
        special_attention=list(data.special_attention),
        people=data.people,
        contact=data.contact,
        note=data.note,
        registered_by=data.registered_by,
        consent_given_by=data.consent.given_by,
        consent_share_upstream=data.consent.share_upstream,
        buddy_volunteer_id=data.buddy_volunteer_id,
        code=household_codes.new_code(),
        drill=is_drill(session),
    )
    session.add(household)
    _share_with_partners(session, household, data)
    idempotency.remember(session, key, "household", household.id)
    append_event(session, ctx, "household.registered", household_data(household), shape="household")
    return household


def _share_with_partners(session: Session, household: Household, data: HouseholdCreate) -> None:
    """The household's consent per partner organisation (an unknown partner stores nothing)."""
    wanted = set(data.consent.share_partners)
    if not wanted:
        return
    known = set(session.exec(select(Partner.id).where(col(Partner.id).in_(wanted))).all())
    if wanted - known:
        raise ValidationError("no such partner", "consent.share_partners")
    session.flush()
    for partner_id in sorted(wanted):
        session.add(
            PartnerConsent(
                household_id=household.id,
                partner_id=partner_id,
                contact=partner_id in data.consent.share_contact,
                given_by=data.consent.given_by,
            )
        )


def household_data(household: Household) -> dict[str, Any]:
    return {
        "id": household.id,
        "address": household.address,
        "special_attention": household.special_attention,
        "people": household.people,
        "contact": household.contact,
        "note": household.note,
        "registered_by": household.registered_by,
        "consent": {
            "given_by": household.consent_given_by,
            "share_upstream": household.consent_share_upstream,
        },
        "buddy_volunteer_id": household.buddy_volunteer_id,
        "drill": household.drill,
    }


def open_needs(session: Session, limit: int = 100) -> list[Need]:
    """Open needs, life-threatening first, then urgent, then by arrival."""
    needs = session.exec(
        select(Need).where(Need.status == "open").order_by(col(Need.pk).desc()).limit(limit)
    ).all()
    rank = {"life": 0, "urgent": 1, "normal": 2}
    return sorted(needs, key=lambda need: (rank.get(need.urgency, 3), -(need.pk or 0)))

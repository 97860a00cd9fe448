"""What coordinators do to residents' records: register and correct households, delete on
request, and publish announcements to the portal, the mesh channel and upstream."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, delete, select, update

from hub.domain.addresses import address_key, clean_address, street_of, walking_key
from hub.domain.vocab import SPECIAL_ATTENTION
from hub.errors import ValidationError
from hub.models import Announcement, CheckIn, Household, PartnerConsent, Task, Volunteer
from hub.schemas import AnnouncementCreate, HouseholdCreate
from hub.services import announcements, outbox, residents
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import reads, writes
from hub.services.outbox import append_event
from hub.services.record_views import AnnouncementView, CheckInView, HouseholdView, returning
from hub.services.records import get_by_id


def get_household(session: Session, household_id: str) -> Household:
    return get_by_id(session, Household, household_id)


def _check_buddy(session: Session, buddy_volunteer_id: str | None) -> None:
    if (
        buddy_volunteer_id is not None
        and not session.exec(select(Volunteer).where(Volunteer.id == buddy_volunteer_id)).first()
    ):
        raise ValidationError("no such volunteer", "buddy_volunteer_id")


def register_household(session: Session, ctx: HubContext, data: HouseholdCreate, *, actor: str) -> Household:
    """A household registered by a coordinator (on behalf of a neighbour who is not online)."""
    _check_buddy(session, data.buddy_volunteer_id)
    household = residents.register_household(session, ctx, data, actor=actor)
    record(session, actor, "household.register", household.id, address=household.address)
    return household


def correct_household(
    session: Session, ctx: HubContext, /, household_id: str, *, actor: str, **fields: Any
) -> Household:
    """Correct the given fields (address, special_attention, people, contact, note, buddy_volunteer_id)."""
    household = get_household(session, household_id)
    changed: list[str] = []
    if fields.get("address"):
        address = clean_address(str(fields["address"]))
        if len(address) < 3:
            raise ValidationError("an address of at least 3 characters", "address")
        if address != household.address:
            household.address = address[:120]
            household.address_key = address_key(address)
            household.street_key = street_of(address)
            household.walk_key = walking_key(address)
            changed.append("address")
    if "special_attention" in fields and fields["special_attention"] is not None:
        flags = sorted(set(fields["special_attention"]))
        if not flags or any(flag not in SPECIAL_ATTENTION for flag in flags):
            raise ValidationError("choose at least one known kind of special attention", "special_attention")
        if flags != household.special_attention:
            household.special_attention = flags
            changed.append("special_attention")
    for name in ("people", "contact", "note"):
        if name in fields and fields[name] != getattr(household, name):
            setattr(household, name, fields[name] or None)
            changed.append(name)
    if "buddy_volunteer_id" in fields and fields["buddy_volunteer_id"] != household.buddy_volunteer_id:
        _check_buddy(session, fields["buddy_volunteer_id"])
        household.buddy_volunteer_id = fields["buddy_volunteer_id"] or None
        changed.append("buddy_volunteer_id")
    if changed:
        session.add(household)
        record(session, actor, "household.correct", household.id, fields=changed)
        append_event(
            session, ctx, "household.updated", residents.household_data(household), shape="household"
        )
    return household


def delete_household(session: Session, ctx: HubContext, household_id: str, *, actor: str) -> int:
    """Delete a household for real, with its check-ins (on request); returns how many check-ins went."""
    household = get_household(session, household_id)
    checkin_ids = session.exec(
        select(CheckIn.id).where(
            (col(CheckIn.household_id) == household.id) | (col(CheckIn.address_key) == household.address_key)
        )
    ).all()
    session.exec(update(Task).where(col(Task.household_id) == household.id).values(household_id=None))
    session.exec(delete(PartnerConsent).where(col(PartnerConsent.household_id) == household.id))
    session.exec(delete(CheckIn).where(col(CheckIn.id).in_(checkin_ids)))
    outbox.scrub(session, [household.id, *checkin_ids])  # the hub's own copies of its events
    session.delete(household)
    record(session, actor, "household.delete", household.id, checkins=len(checkin_ids))
    append_event(session, ctx, "household.deleted", {"id": household.id})
    for checkin_id in checkin_ids:
        append_event(session, ctx, "checkin.deleted", {"id": checkin_id})
    return len(checkin_ids)


def publish_announcement(
    session: Session, ctx: HubContext, data: AnnouncementCreate, *, actor: str
) -> Announcement:
    """Portal always; the mesh channel when asked (numbered parts when long); upstream unless switched off.

    ``announcements.create_announcement`` does all three, for upstream announcements too.
    """
    return announcements.create_announcement(session, ctx, data, actor=actor)


def verify_checkin(session: Session, ctx: HubContext, checkin_id: str, *, actor: str) -> CheckIn:
    """A coordinator confirms a resident's unverified check-in (they phoned, or saw them): from now
    on it counts as reaching the household (audited; the event names no coordinator)."""
    checkin = get_by_id(session, CheckIn, checkin_id)
    if not checkin.verified:
        checkin.verified = True
        checkin.verified_by = actor[:80]
        session.add(checkin)
        record(session, actor, "checkin.verify", checkin.id, address=checkin.address)
        append_event(
            session,
            ctx,
            "checkin.verified",
            {"id": checkin.id, "household_id": checkin.household_id, "verified_by": "coordinator"},
            shape="checkin",
        )
    return checkin


# The use cases callers outside the services name (see ``hub.services.door``).
add_household = writes(returning(HouseholdView, register_household))
change_household = writes(returning(HouseholdView, correct_household))
remove_household = writes(delete_household)
announce = writes(returning(AnnouncementView, publish_announcement))
withdraw = writes(returning(AnnouncementView, announcements.withdraw_announcement))
confirm_checkin = writes(returning(CheckInView, verify_checkin))
find_household = reads(returning(HouseholdView, get_household))

"""Volunteers: enrolment with their handset, availability, what the radio heard of them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select, update

from hub.domain.addresses import address_key, clean_address
from hub.domain.task_states import ON_HAND, statuses
from hub.errors import Conflict, ValidationError
from hub.models import CheckIn, Household, Offer, Task, Volunteer, VolunteerOffer
from hub.models.base import as_utc, utcnow
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import writes
from hub.services.outbox import append_event
from hub.services.record_views import VolunteerView, returning
from hub.services.records import get_by_id

NODE_ID = re.compile(r"^![0-9a-f]{8}$")
UNHEARD_AFTER = timedelta(hours=2)


def normalise_node_id(node_id: str | None) -> str | None:
    if node_id is None or not node_id.strip():
        return None
    value = node_id.strip().lower()
    if not value.startswith("!"):
        value = "!" + value
    if not NODE_ID.match(value):
        raise ValidationError("a node id looks like !a1b2c3d4", "node_id")
    return value


def get_volunteer(session: Session, volunteer_id: str) -> Volunteer:
    return get_by_id(session, Volunteer, volunteer_id)


def _check_node_free(session: Session, node_id: str | None, volunteer_id: str | None = None) -> None:
    if node_id is None:
        return
    other = session.exec(select(Volunteer).where(Volunteer.node_id == node_id)).first()
    if other is not None and other.id != volunteer_id:
        raise Conflict(f"node {node_id} already belongs to {other.name}")


def register(
    session: Session,
    ctx: HubContext,
    name: str,
    node_id: str | None = None,
    skills: Sequence[str] = (),
    *,
    actor: str,
) -> Volunteer:
    node = normalise_node_id(node_id)
    _check_node_free(session, node)
    volunteer = Volunteer(name=name.strip(), node_id=node, skills=sorted(set(skills)))
    session.add(volunteer)
    session.flush()
    record(session, actor, "volunteer.register", volunteer.id, name=volunteer.name, node_id=node)
    append_event(
        session,
        ctx,
        "volunteer.registered",
        {"id": volunteer.id, "skills": volunteer.skills, "has_handset": node is not None},
    )
    return volunteer


def enrol_from_offer(session: Session, ctx: HubContext, offer_id: str, name: str, *, actor: str) -> Volunteer:
    """A resident who offered help becomes a volunteer without a handset: their tasks go on the
    paper sheet and a coordinator marks them done; the radio never sends them anything.

    The offer's category is their skill, its address their home; the offer remembers them
    (``Conflict`` when it enrolled someone already)."""
    offer = get_by_id(session, Offer, offer_id)
    if offer.volunteer_id is not None:
        raise Conflict("this offer enrolled a volunteer already")
    if offer.origin_hub is not None:
        raise Conflict("an offer from another hub cannot enrol a volunteer here")
    clean = " ".join(name.split())
    if not clean or len(clean) > 80:
        raise ValidationError("a name of 1 to 80 characters", "name")
    volunteer = register(session, ctx, clean, None, [offer.category], actor=actor)
    if offer.address:
        volunteer.address = clean_address(offer.address)
        volunteer.address_key = address_key(volunteer.address)
        session.add(volunteer)
    offer.volunteer_id = volunteer.id
    session.add(offer)
    record(session, actor, "offer.enrol", offer.id, volunteer_id=volunteer.id)
    return volunteer


def correct(
    session: Session,
    ctx: HubContext,
    volunteer_id: str,
    *,
    actor: str,
    name: str | None = None,
    node_id: str | None = None,
    skills: Sequence[str] | None = None,
    available: bool | None = None,
) -> Volunteer:
    """Correct a volunteer's details; only the fields given change."""
    volunteer = get_volunteer(session, volunteer_id)
    changed: dict[str, object] = {}
    if name is not None and name.strip() and name.strip() != volunteer.name:
        volunteer.name = changed["name"] = name.strip()
    if node_id is not None:
        node = normalise_node_id(node_id)
        if node != volunteer.node_id:
            _check_node_free(session, node, volunteer.id)
            volunteer.node_id = node
            changed["node_id"] = node
    if skills is not None and sorted(set(skills)) != volunteer.skills:
        volunteer.skills = sorted(set(skills))
        changed["skills"] = volunteer.skills
    if available is not None and available != volunteer.available:
        volunteer.available = changed["available"] = available
    if changed:
        session.add(volunteer)
        record(session, actor, "volunteer.update", volunteer.id, **changed)
        append_event(session, ctx, "volunteer.updated", {"id": volunteer.id, **_shareable(changed)})
    return volunteer


def set_home(session: Session, volunteer_id: str, address: str | None, *, actor: str) -> None:
    """Where the volunteer lives (``None``: not given); their section's readiness counts them.
    Never shared upstream: an address is personal data."""
    volunteer = get_volunteer(session, volunteer_id)
    volunteer.address = clean_address(address) if address and address.strip() else None
    volunteer.address_key = address_key(volunteer.address) if volunteer.address else None
    session.add(volunteer)
    record(session, actor, "volunteer.home", volunteer.id)


def _shareable(changed: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in changed.items() if k in ("available", "skills")}


def set_availability(
    session: Session, ctx: HubContext, volunteer_id: str, available: bool, *, actor: str
) -> Volunteer:
    return correct(session, ctx, volunteer_id, actor=actor, available=available)


def heard(
    session: Session,
    node_id: str,
    battery: int | None = None,
    snr: float | None = None,
    at: datetime | None = None,
) -> Volunteer | None:
    """The radio heard ``node_id``: remember when, and its battery and signal (no audit: no person)."""
    volunteer = session.exec(select(Volunteer).where(Volunteer.node_id == node_id.lower())).first()
    if volunteer is None:
        return None
    volunteer.last_heard_at = at or utcnow()
    if battery is not None:
        volunteer.battery = max(0, min(int(battery), 101))
    if snr is not None:
        volunteer.snr = float(snr)
    session.add(volunteer)
    return volunteer


def delete_volunteer(session: Session, ctx: HubContext, volunteer_id: str, *, actor: str) -> None:
    """Delete a volunteer for real (on request); their tasks and buddies are unlinked, not lost."""
    volunteer = get_volunteer(session, volunteer_id)
    session.exec(update(Task).where(col(Task.volunteer_id) == volunteer.id).values(volunteer_id=None))
    session.exec(
        update(Household)
        .where(col(Household.buddy_volunteer_id) == volunteer.id)
        .values(buddy_volunteer_id=None)
    )
    session.exec(update(CheckIn).where(col(CheckIn.volunteer_id) == volunteer.id).values(volunteer_id=None))
    session.exec(update(Offer).where(col(Offer.volunteer_id) == volunteer.id).values(volunteer_id=None))
    # the resident's offer that made them a volunteer (name, address, contact) goes with them
    session.exec(delete(VolunteerOffer).where(col(VolunteerOffer.volunteer_id) == volunteer.id))
    session.delete(volunteer)
    record(session, actor, "volunteer.delete", volunteer.id)
    append_event(session, ctx, "volunteer.deleted", {"id": volunteer.id})


def state_of(volunteer: Volunteer, active_tasks: int, now: datetime | None = None) -> str:
    """``available``, ``busy``, ``unavailable`` or ``unheard`` (a handset not heard lately)."""
    moment = now or utcnow()
    if not volunteer.available:
        return "unavailable"
    if volunteer.node_id and (
        volunteer.last_heard_at is None or moment - as_utc(volunteer.last_heard_at) > UNHEARD_AFTER
    ):
        return "unheard"
    return "busy" if active_tasks else "available"


def active_task_counts(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for volunteer_id in session.exec(
        select(Task.volunteer_id).where(
            col(Task.status).in_(statuses(ON_HAND)), col(Task.volunteer_id).is_not(None)
        )
    ).all():
        if volunteer_id:
            counts[volunteer_id] = counts.get(volunteer_id, 0) + 1
    return counts


def next_available(session: Session, exclude: set[str]) -> Volunteer | None:
    """The available volunteer with a handset and the fewest active tasks (heard recently first)."""
    counts = active_task_counts(session)
    candidates = [
        v
        for v in session.exec(
            select(Volunteer).where(col(Volunteer.available).is_(True), col(Volunteer.node_id).is_not(None))
        ).all()
        if v.id not in exclude
    ]
    if not candidates:
        return None
    now = utcnow()
    return min(
        candidates,
        key=lambda v: (counts.get(v.id, 0), state_of(v, 0, now) == "unheard", v.pk or 0),
    )


# The use cases callers outside the services name (see ``hub.services.door``).
register_volunteer = writes(returning(VolunteerView, register))
correct_volunteer = writes(returning(VolunteerView, correct))
remove_volunteer = writes(delete_volunteer)
enrol_offer = writes(returning(VolunteerView, enrol_from_offer))

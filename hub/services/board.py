"""The neighbourhood's board in peace time (rules in ``hub.domain.preparedness``).

- **Self-checks**: a resident's 72-hour kit, stored anonymously (the address only when given);
  shown back only to whoever holds the form's token (the thanks page, printable), counted per
  section on ``/admin/readiness``.
- **Activities and drills**: coordinators post, change and remove them; the portal shows those
  not yet past.
- **Volunteer offers**: a resident offers to be a volunteer; a coordinator approves it (the
  volunteer is made, with the handset's node id: the radio knows them from then on) or declines
  it (the offer is deleted). Names, addresses and contacts stay on the hub: no outbox event
  carries them (the volunteer's own ``volunteer.registered`` carries its id and skills only).

Every coordinator's change is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from hub.domain import preparedness
from hub.domain.addresses import address_key
from hub.errors import Conflict, NotFound, ValidationError
from hub.models import Activity, Address, IdempotencyKey, SelfCheck, VolunteerOffer
from hub.models.base import as_utc, utcnow
from hub.schemas import Created, SelfCheckCreate, VolunteerOfferCreate
from hub.services import idempotency, readiness, volunteers
from hub.services.audit import record
from hub.services.context import HubContext
from hub.services.door import reads, writes, writes_without_context
from hub.services.store import Store

# --- self-checks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SelfCheckReceipt:
    """A self-check as its sender sees it again (thanks page, printed list)."""

    id: str
    created_at: datetime
    address: str | None
    items: tuple[str, ...]
    people: int | None
    check_on: bool
    checked_by: bool

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(item for item in preparedness.KIT_ITEMS if item not in self.items)

    @property
    def water_litres(self) -> int:
        return preparedness.water_litres(self.people)


def record_self_check(session: Session, data: SelfCheckCreate, key: str | None = None) -> Created:
    """Store a self-check in the caller's session (a key already used returns the first one)."""
    if seen := idempotency.replay(session, key, "selfcheck", SelfCheck):
        return Created(id=seen.id, created_at=seen.created_at, kind="selfcheck")
    row = SelfCheck(
        address=data.address,
        address_key=address_key(data.address) if data.address else None,
        items=list(data.items),
        people=data.people,
        check_on=data.check_on,
        checked_by=data.checked_by,
    )
    session.add(row)
    idempotency.remember(session, key, "selfcheck", row.id)
    return Created(id=row.id, created_at=row.created_at, kind="selfcheck")


async def save_self_check(store: Store, data: SelfCheckCreate, *, key: str | None) -> Created:
    """Store a self-check (a key already used returns the first one)."""
    return await store.write_async(lambda session: record_self_check(session, data, key))


def _receipt_row(session: Session, kind: str, record_id: str, key: str) -> bool:
    seen = session.get(IdempotencyKey, key)
    return seen is not None and seen.kind == kind and seen.record_id == record_id


def self_check_receipt(store: Store, record_id: str, key: str) -> SelfCheckReceipt | None:
    """The self-check ``record_id``, when it is the one stored under ``key``."""

    def query(session: Session) -> SelfCheckReceipt | None:
        if not _receipt_row(session, "selfcheck", record_id, key):
            return None
        row = session.exec(select(SelfCheck).where(col(SelfCheck.id) == record_id)).first()
        if row is None:
            return None
        return SelfCheckReceipt(
            id=row.id,
            created_at=row.created_at,
            address=row.address,
            items=tuple(i for i in preparedness.KIT_ITEMS if i in row.items),
            people=row.people,
            check_on=row.check_on,
            checked_by=row.checked_by,
        )

    return store.read(query)


def figures_in(session: Session) -> list[preparedness.SelfCheckFigures]:
    sections = readiness.sections_in(session)
    register = session.exec(select(Address.address_key)).all()
    answers = [
        preparedness.Answer(
            key=row.address_key,
            ready=frozenset([*row.items, *(q for q in preparedness.NEIGHBOUR_QUESTIONS if getattr(row, q))]),
        )
        for row in session.exec(select(SelfCheck).order_by(col(SelfCheck.pk))).all()
    ]
    return preparedness.self_check_figures(sections, register, answers)


self_check_figures = reads(figures_in)

# --- activities ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityView:
    id: str
    kind: str
    title: str
    starts_at: datetime  # aware, UTC
    place: str
    text: str
    past: bool


def _view(row: Activity, now: datetime) -> ActivityView:
    starts = as_utc(row.starts_at)
    return ActivityView(
        row.id, row.kind, row.title, starts, row.place, row.text, preparedness.is_past(starts, now)
    )


def coming_in(session: Session, now: datetime | None = None, limit: int = 10) -> list[ActivityView]:
    """What the portal shows: activities whose day has not passed, soonest first."""
    moment = now or utcnow()
    start = preparedness.shown_from(moment)
    rows = session.exec(
        select(Activity)
        .where(col(Activity.starts_at) >= start)
        .order_by(col(Activity.starts_at), col(Activity.pk))
        .limit(limit)
    ).all()
    return [_view(row, moment) for row in rows]


def all_in(session: Session, now: datetime | None = None) -> list[ActivityView]:
    """Every activity, the coming ones first (soonest first), then the past (latest first)."""
    moment = now or utcnow()
    rows = [_view(row, moment) for row in session.exec(select(Activity).order_by(col(Activity.starts_at)))]
    return [r for r in rows if not r.past] + [r for r in reversed(rows) if r.past]


coming_activities = reads(coming_in)
activities = reads(all_in)


def post(session: Session, data: preparedness.ActivityInput, *, actor: str) -> str:
    row = Activity(
        kind=data.kind,
        title=data.title,
        starts_at=data.starts_at,
        place=data.place,
        text=data.text,
        created_by=actor,
    )
    session.add(row)
    record(session, actor, "activity.post", row.id, title=row.title, kind=row.kind)
    return row.id


def change(session: Session, activity_id: str, data: preparedness.ActivityInput, *, actor: str) -> None:
    row = session.exec(select(Activity).where(col(Activity.id) == activity_id)).first()
    if row is None:
        raise NotFound(f"no activity {activity_id}")
    row.kind, row.title, row.starts_at = data.kind, data.title, data.starts_at
    row.place, row.text, row.updated_at = data.place, data.text, utcnow()
    session.add(row)
    record(session, actor, "activity.change", row.id, title=row.title, kind=row.kind)


def remove(session: Session, activity_id: str, *, actor: str) -> None:
    row = session.exec(select(Activity).where(col(Activity.id) == activity_id)).first()
    if row is None:
        raise NotFound(f"no activity {activity_id}")
    session.delete(row)
    record(session, actor, "activity.remove", row.id, title=row.title)


post_activity = writes_without_context(post)
change_activity = writes_without_context(change)
remove_activity = writes_without_context(remove)

# --- volunteer offers ------------------------------------------------------------------------


@dataclass(frozen=True)
class VolunteerOfferView:
    """A resident's offer to volunteer (for the coordinators, and its sender's thanks page)."""

    id: str
    created_at: datetime
    name: str
    address: str
    contact: str
    skills: str
    has_handset: bool
    status: str


def _offer_view(row: VolunteerOffer) -> VolunteerOfferView:
    return VolunteerOfferView(
        row.id, row.created_at, row.name, row.address, row.contact, row.skills, row.has_handset, row.status
    )


def record_volunteer_offer(session: Session, data: VolunteerOfferCreate, key: str | None = None) -> Created:
    """Store a resident's offer to volunteer in the caller's session."""
    if seen := idempotency.replay(session, key, "volunteer", VolunteerOffer):
        return Created(id=seen.id, created_at=seen.created_at, kind="volunteer")
    row = VolunteerOffer(
        name=data.name,
        address=data.address,
        address_key=address_key(data.address),
        contact=data.contact,
        skills=data.skills,
        has_handset=data.has_handset,
    )
    session.add(row)
    idempotency.remember(session, key, "volunteer", row.id)
    return Created(id=row.id, created_at=row.created_at, kind="volunteer")


async def offer_to_volunteer(store: Store, data: VolunteerOfferCreate, *, key: str | None) -> Created:
    """A resident's offer to be a volunteer, waiting for a coordinator."""
    return await store.write_async(lambda session: record_volunteer_offer(session, data, key))


def volunteer_offer_receipt(store: Store, record_id: str, key: str) -> VolunteerOfferView | None:
    def query(session: Session) -> VolunteerOfferView | None:
        if not _receipt_row(session, "volunteer", record_id, key):
            return None
        row = session.exec(select(VolunteerOffer).where(col(VolunteerOffer.id) == record_id)).first()
        return _offer_view(row) if row else None

    return store.read(query)


def waiting_in(session: Session) -> list[VolunteerOfferView]:
    rows = session.exec(
        select(VolunteerOffer).where(col(VolunteerOffer.status) == "waiting").order_by(col(VolunteerOffer.pk))
    ).all()
    return [_offer_view(row) for row in rows]


waiting_offers = reads(waiting_in)


def _waiting(session: Session, offer_id: str) -> VolunteerOffer:
    row = session.exec(select(VolunteerOffer).where(col(VolunteerOffer.id) == offer_id)).first()
    if row is None:
        raise NotFound(f"no volunteer offer {offer_id}")
    if row.status != "waiting":
        raise Conflict("this offer was decided already")
    return row


def approve(session: Session, ctx: HubContext, offer_id: str, node_id: str | None, *, actor: str) -> str:
    """Make the volunteer of a waiting offer, with its handset's node id (required when the
    resident said they have a handset); the new volunteer's id."""
    row = _waiting(session, offer_id)
    node = volunteers.normalise_node_id(node_id)
    if row.has_handset and node is None:
        raise ValidationError("fill in the handset's node id", "node_id")
    skills = [s.strip() for s in row.skills.replace(";", ",").split(",") if s.strip()][:20]
    volunteer = volunteers.register(session, ctx, row.name, node, [s[:40] for s in skills], actor=actor)
    volunteers.set_home(session, volunteer.id, row.address, actor=actor)
    row.status, row.volunteer_id = "approved", volunteer.id
    row.decided_by, row.decided_at = actor, utcnow()
    session.add(row)
    record(session, actor, "volunteer_offer.approve", row.id, volunteer=volunteer.id, node_id=node)
    return volunteer.id


def decline(session: Session, offer_id: str, *, actor: str) -> None:
    """Decline a waiting offer: it is deleted (its name and contact have no use any more)."""
    row = _waiting(session, offer_id)
    session.delete(row)
    record(session, actor, "volunteer_offer.decline", row.id)


approve_offer = writes(approve)
decline_offer = writes_without_context(decline)

"""Sections, coverage per street and readiness per section (rules in ``hub.domain.readiness``).

Coverage reads the mode the hub is in: in a drill the drill's check-ins, otherwise the real ones
(``hub.services.figures.current_statuses``); the two never mix. Readiness is a peace-time
picture of real records only, plus the last drill's results.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from hub.domain import readiness
from hub.domain.address_register import address_label
from hub.domain.addresses import address_key
from hub.domain.clock import as_utc
from hub.errors import Conflict, NotFound
from hub.models import Address, AddressState, Drill, Household, Need, Offer, Section, Volunteer
from hub.services.audit import record
from hub.services.drills import first_reached
from hub.services.figures import current_statuses
from hub.services.store import Store


def add_section(
    session: Session,
    name: str,
    street: str,
    number_from: int | None = None,
    number_to: int | None = None,
    contact_volunteer_id: str | None = None,
    *,
    actor: str,
) -> str:
    """A new section (its id); refused when it shares house numbers with another."""
    section = readiness.new_section(name, street, number_from, number_to)
    existing = _sections(session)
    if any(other.name == section.name for other in existing):
        raise Conflict(f"there is a section {section.name!r} already")
    if clash := readiness.overlap(section, existing):
        raise Conflict(f"section {clash.name!r} has some of these house numbers already")
    if (
        contact_volunteer_id is not None
        and session.exec(select(Volunteer.id).where(col(Volunteer.id) == contact_volunteer_id)).first()
        is None
    ):
        raise NotFound(f"no volunteer {contact_volunteer_id}")
    row = Section(
        name=section.name,
        street=street.strip(),
        street_key=section.street_key,
        number_from=number_from,
        number_to=number_to,
        contact_volunteer_id=contact_volunteer_id,
    )
    session.add(row)
    record(session, actor, "section.add", row.id, name=row.name, street=row.street)
    return row.id


def define_section(
    store: Store,
    name: str,
    street: str,
    number_from: int | None = None,
    number_to: int | None = None,
    contact_volunteer_id: str | None = None,
    *,
    actor: str,
) -> str:
    return store.write(
        lambda session: add_section(
            session, name, street, number_from, number_to, contact_volunteer_id, actor=actor
        )
    )


def contacts(store: Store) -> list[tuple[str, str]]:
    """``(id, name)`` of every volunteer, by name: who may be a section's contact."""
    return store.read(
        lambda session: [
            (vid, name)
            for vid, name in session.exec(
                select(Volunteer.id, Volunteer.name).order_by(col(Volunteer.name))
            ).all()
        ]
    )


def _sections(session: Session) -> list[readiness.Section]:
    rows = session.exec(
        select(Section, Volunteer.name)
        .join(Volunteer, col(Volunteer.id) == col(Section.contact_volunteer_id), isouter=True)
        .order_by(col(Section.street_key), col(Section.number_from))
    ).all()
    return [
        readiness.Section(
            row.name,
            row.street_key,
            row.number_from,
            row.number_to,
            contact=contact,
            contact_id=row.contact_volunteer_id if contact else None,
        )
        for row, contact in rows
    ]


def section_plan(session: Session) -> list[readiness.Section]:
    """The sections made in peace time, with their contact volunteers: the crisis's door-knock plan."""
    return _sections(session)


def street_coverage(store: Store) -> readiness.Coverage:
    """Every address of the register, per street: OK, help or not heard from (as the mode is)."""

    def query(session: Session) -> readiness.Coverage:
        register = dict(session.exec(select(Address.address_key, Address.street)).all())
        return readiness.coverage(register, current_statuses(session))

    return store.read(query)


def silent_addresses(store: Store, street: str) -> list[str]:
    """Every address of ``street`` in the register not heard from (as the mode is), in walking
    order: the door-knock list widened from special-attention households to the whole street."""
    key = address_key(street)

    def query(session: Session) -> list[str]:
        rows = session.exec(select(Address).where(col(Address.street_key) == key)).all()
        labels = {r.address_key: address_label(r.street, r.number, r.letter, r.addition) for r in rows}
        return readiness.silent_addresses(labels, current_statuses(session))

    return store.read(query)


def section_readiness(store: Store, now: datetime | None = None) -> list[readiness.SectionReadiness]:
    """The readiness page's figures, per section (real records; the last drill's results)."""
    return store.read(lambda session: readiness_in(session, now))


def registered_keys(session: Session) -> set[str]:
    """Addresses that registered anything (real records): a household, check-in, need or offer."""
    registered: set[str] = set()
    for model in (Household, Need):
        registered |= set(session.exec(select(model.address_key).where(col(model.drill).is_(False))).all())
    # The check-ins through ``address_states`` (one row per address, kept by triggers): the map
    # and the dashboard read this in normal times, however many check-ins a crisis left.
    registered |= set(
        session.exec(select(AddressState.address_key).where(col(AddressState.drill).is_(False))).all()
    )
    offers = session.exec(
        select(Offer.address).where(col(Offer.drill).is_(False), col(Offer.address).is_not(None))
    )
    registered |= {address_key(address) for address in offers.all() if address}
    return registered


def readiness_in(session: Session, now: datetime | None = None) -> list[readiness.SectionReadiness]:
    sections = _sections(session)
    register = list(session.exec(select(Address.address_key)).all())
    registered = registered_keys(session)
    drill = session.exec(select(Drill).order_by(col(Drill.started_at).desc())).first()
    reached = first_reached(session, drill, now) if drill else {}
    start = as_utc(drill.started_at) if drill else None
    households = [
        readiness.Household(
            key=row.address_key,
            has_buddy=row.buddy_volunteer_id is not None,
            drill_minutes=round((reached[row.id] - start).total_seconds() / 60, 1)
            if start is not None and row.id in reached
            else None,
        )
        for row in session.exec(select(Household).where(col(Household.drill).is_(False))).all()
    ]
    volunteers = [
        readiness.Neighbour(
            key=row.address_key, has_handset=row.node_id is not None, has_skills=bool(row.skills)
        )
        for row in session.exec(select(Volunteer).where(col(Volunteer.address_key).is_not(None))).all()
        if row.address_key
    ]
    return readiness.readiness(
        sections, register, registered, households, volunteers, drill_held=drill is not None
    )


# The sections, as the rules see them (the self-check figures group by them too).
sections_in = _sections

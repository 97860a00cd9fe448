"""What the admin's address pages show: the map's dots, one address's page, the upload's result.

Plain values only (``hub.domain.address_map.MapDot``, :class:`AddressPage`): the admin never
holds a table row. In a crisis or a drill a dot shows the mode's own records (drill or real,
never mixed; ``hub.domain.figures``); in normal times it shows how ready the address is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select as select_columns
from sqlmodel import Session, col, func, select

from hub.domain.address_map import DotStatus, MapDot
from hub.domain.address_matching import AddressCheck, candidate_streets, check
from hub.domain.address_register import address_label
from hub.domain.addresses import address_key
from hub.domain.figures import OK
from hub.domain.task_states import UNFINISHED, statuses
from hub.domain.vocab import Mode
from hub.models import Address, AddressState, CheckIn, Household, Need, Offer, Task, Volunteer
from hub.services.address_matching import check_typed
from hub.services.figures import current_statuses, reached_households
from hub.services.readiness import registered_keys
from hub.services.state import get_mode, is_drill, mode_since
from hub.services.store import Store
from hub.services.volunteers import set_home


def _crisis_statuses(session: Session) -> dict[str, DotStatus]:
    drill = is_drill(session)
    since = mode_since(session)
    found: dict[str, DotStatus] = {}
    for key, status in current_statuses(session).items():
        found[key] = DotStatus.OK if status == OK else DotStatus.HELP
    tasks = session.exec(
        select(Task.address).where(col(Task.status).in_(statuses(UNFINISHED)), col(Task.drill) == drill)
    )
    for address in tasks.all():
        if found.get(address_key(address)) != DotStatus.HELP:
            found[address_key(address)] = DotStatus.TASK
    reached = reached_households(session, since, drill=drill)
    households = select(Household.id, Household.address_key)
    if not drill:
        households = households.where(col(Household.drill).is_(False))
    for household_id, key in session.exec(households).all():
        if household_id not in reached and found.get(key) != DotStatus.HELP:
            found[key] = DotStatus.SPECIAL_UNREACHED
    return found


def _normal_statuses(session: Session) -> dict[str, DotStatus]:
    found = dict.fromkeys(registered_keys(session), DotStatus.REGISTERED)
    rows = session.exec(
        select(Household.address_key, Household.buddy_volunteer_id).where(col(Household.drill).is_(False))
    )
    for key, buddy in rows.all():
        if found.get(key) != DotStatus.SPECIAL_NO_BUDDY:
            found[key] = DotStatus.SPECIAL_BUDDY if buddy else DotStatus.SPECIAL_NO_BUDDY
    return found


@dataclass(frozen=True)
class MapData:
    mode: Mode
    dots: tuple[MapDot, ...]


def map_data(store: Store) -> MapData:
    """Every register address as a dot with its status (links: ``addresses/<pk>`` from ``/admin/``)."""

    def query(session: Session) -> MapData:
        mode = get_mode(session)
        found = _normal_statuses(session) if mode == "normal" else _crisis_statuses(session)
        fallback = DotStatus.UNKNOWN if mode == "normal" else DotStatus.SILENT
        # Plain columns, not table rows: 2,000 ORM objects cost more than the rest of the map.
        rows = session.execute(
            select_columns(
                col(Address.pk),
                col(Address.street),
                col(Address.number),
                col(Address.letter),
                col(Address.addition),
                col(Address.address_key),
                col(Address.lat),
                col(Address.lon),
            ).order_by(col(Address.street), col(Address.number))
        ).all()
        dots = tuple(
            MapDot(
                label=address_label(street, number, letter, addition),
                street=street,
                number=number,
                lat=lat,
                lon=lon,
                status=found.get(key, fallback),
                link=f"addresses/{pk}",
            )
            for pk, street, number, letter, addition, key, lat, lon in rows
        )
        return MapData(mode=mode, dots=dots)

    return store.read(query)


@dataclass(frozen=True)
class Seen:
    """One record at an address, as the address page lists it."""

    at: datetime
    what: str  # "household", "checkin", "need", "task", "offer", "volunteer"
    status: str
    detail: str  # what a person wrote (a note, a description) or a task's number
    drill: bool
    codes: tuple[str, ...] = ()  # vocabulary codes (flags, category and urgency, a task's kind)


@dataclass(frozen=True)
class AddressPage:
    label: str
    postcode: str
    place: str
    lat: float
    lon: float
    records: tuple[Seen, ...]


def address_page(store: Store, pk: int) -> AddressPage | None:
    """One register address and everything the hub knows there (for coordinators), newest first:
    households, check-ins, needs, tasks, offers and the volunteers who live there."""

    def query(session: Session) -> AddressPage | None:
        row = session.exec(select(Address).where(col(Address.pk) == pk)).first()
        if row is None:
            return None
        key = row.address_key
        seen: list[Seen] = []
        for h in session.exec(select(Household).where(col(Household.address_key) == key)).all():
            buddy = "buddy" if h.buddy_volunteer_id else "no_buddy"
            seen.append(Seen(h.created_at, "household", buddy, "", h.drill, tuple(h.special_attention)))
        for c in session.exec(select(CheckIn).where(col(CheckIn.address_key) == key)).all():
            seen.append(Seen(c.created_at, "checkin", c.status, c.note or "", c.drill))
        for n in session.exec(select(Need).where(col(Need.address_key) == key)).all():
            seen.append(Seen(n.created_at, "need", n.status, n.description, n.drill, (n.category, n.urgency)))
        for t in session.exec(select(Task).where(col(Task.address_key) == key)).all():
            seen.append(Seen(t.created_at, "task", t.status, f"T{t.number}", t.drill, (t.kind,)))
        for o in session.exec(select(Offer).where(col(Offer.address_key) == key)).all():
            detail = f"{o.description} ({o.contact})" if o.contact else o.description
            seen.append(Seen(o.created_at, "offer", o.status, detail, o.drill, (o.category,)))
        for v in session.exec(select(Volunteer).where(col(Volunteer.address_key) == key)).all():
            handset = "handset" if v.node_id else "paper"
            seen.append(Seen(v.created_at, "volunteer", handset, v.name, False))
        seen.sort(key=lambda s: s.at, reverse=True)
        return AddressPage(
            label=address_label(row.street, row.number, row.letter, row.addition),
            postcode=row.postcode,
            place=row.place,
            lat=row.lat,
            lon=row.lon,
            records=tuple(seen),
        )

    return store.read(query)


@dataclass(frozen=True)
class Outside:
    """A record whose address matched nothing in the register (kept, and marked so)."""

    kind: str  # "household", "volunteer" or "checkin"
    ident: str  # the household's or volunteer's id; for check-ins the address key
    address: str  # as it was typed (a check-in address: the latest one typed)
    name: str  # the volunteer's name; "" otherwise
    count: int  # check-ins at this address (1 for a household or a volunteer)
    drill: bool
    did_you_mean: tuple[str, ...] = ()


# A list for a person to work through, not a report: the most recent ones first, this many.
OUTSIDE_LIMIT = 200


def outside_in(session: Session) -> tuple[Outside, ...]:
    """Households, volunteers and check-ins whose address is not in the register (none when
    nothing is imported: then there is nothing to be outside of)."""
    if session.exec(select(Address.pk).limit(1)).first() is None:
        return ()
    in_register = select(Address.address_key)
    streets = list(session.exec(select(Address.street_key).distinct()).all())
    found: list[Outside] = []
    for h in session.exec(
        select(Household)
        .where(col(Household.address_key).not_in(in_register))
        .order_by(col(Household.pk).desc())
        .limit(OUTSIDE_LIMIT)
    ).all():
        found.append(Outside("household", h.id, h.address, "", 1, h.drill))
    for v in session.exec(
        select(Volunteer)
        .where(col(Volunteer.address_key).is_not(None), col(Volunteer.address_key).not_in(in_register))
        .order_by(col(Volunteer.name))
        .limit(OUTSIDE_LIMIT)
    ).all():
        found.append(Outside("volunteer", v.id, v.address or "", v.name, 1, False))
    # Check-ins per address through ``address_states`` (one row per address and drill flag).
    states = session.exec(
        select(AddressState.address_key, AddressState.drill, AddressState.checkin_pk)
        .where(col(AddressState.address_key).not_in(in_register))
        .order_by(col(AddressState.checkin_pk).desc())
        .limit(OUTSIDE_LIMIT)
    ).all()
    for key, drill, checkin_pk in states:
        typed = session.exec(select(CheckIn.address).where(col(CheckIn.pk) == checkin_pk)).first() or key
        count = session.exec(
            select(func.count())
            .select_from(CheckIn)
            .where(col(CheckIn.address_key) == key, col(CheckIn.drill) == drill)
        ).one()
        found.append(Outside("checkin", key, typed, "", int(count), drill))
    return tuple(
        Outside(o.kind, o.ident, o.address, o.name, o.count, o.drill, _near(session, o.address, streets))
        for o in found
    )


def _near(session: Session, typed: str, streets: list[str]) -> tuple[str, ...]:
    """The register's addresses ``typed`` may have meant ("did you mean")."""
    near = candidate_streets(typed, streets)
    if not near:
        return ()
    rows = session.exec(select(Address).where(col(Address.street_key).in_(near))).all()
    labels = {r.address_key: address_label(r.street, r.number, r.letter, r.addition) for r in rows}
    return check(typed, labels, register_size=len(labels)).did_you_mean


def outside_register(store: Store) -> tuple[Outside, ...]:
    return store.read(outside_in)


def set_volunteer_home(store: Store, volunteer_id: str, address: str, *, actor: str) -> AddressCheck:
    """Where a volunteer lives, matched to the register like every typed address: kept when it is
    not in it, and the answer says so (``None`` address: cleared)."""

    def change(session: Session) -> AddressCheck:
        set_home(session, volunteer_id, address, actor=actor)
        return check_typed(session, address) if address.strip() else check("", {}, register_size=0)

    return store.write(change)


def volunteers_outside(store: Store) -> frozenset[str]:
    """Ids of the volunteers whose home address is not in the register (none without one)."""

    def query(session: Session) -> frozenset[str]:
        if session.exec(select(Address.pk).limit(1)).first() is None:
            return frozenset()
        rows = session.exec(
            select(Volunteer.id).where(
                col(Volunteer.address_key).is_not(None),
                col(Volunteer.address_key).not_in(select(Address.address_key)),
            )
        )
        return frozenset(rows.all())

    return store.read(query)

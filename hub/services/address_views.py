"""What the admin's address pages show: the map's dots, one address's page, the upload's result.

Plain values only (``hub.domain.address_map.MapDot``, :class:`AddressPage`): the admin never
holds a table row. In a crisis or a drill a dot shows the mode's own records (drill or real,
never mixed; ``hub.domain.figures``); in normal times it shows how ready the address is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from hub.domain.address_map import DotStatus, MapDot
from hub.domain.address_register import address_label
from hub.domain.addresses import address_key
from hub.domain.figures import OK
from hub.domain.task_states import UNFINISHED, statuses
from hub.domain.vocab import Mode
from hub.models import Address, CheckIn, Household, Need, Offer, Task, Volunteer
from hub.services.figures import current_statuses, reached_households
from hub.services.readiness import registered_keys
from hub.services.state import get_mode, is_drill, mode_since
from hub.services.store import Store


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
        rows = session.exec(select(Address).order_by(col(Address.street), col(Address.number))).all()
        dots = tuple(
            MapDot(
                label=address_label(r.street, r.number, r.letter, r.addition),
                street=r.street,
                number=r.number,
                lat=r.lat,
                lon=r.lon,
                status=found.get(r.address_key, fallback),
                link=f"addresses/{r.pk}",
            )
            for r in rows
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

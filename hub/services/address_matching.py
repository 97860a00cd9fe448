"""Typed addresses against the register (the rules in ``hub.domain.address_matching``).

Nothing is stored by matching: a record keeps the address as typed and its ``address_key``, and
whether that key is in the register is read when it is shown, so a new import marks old records
too. The portal's suggestions and its "did you mean" come from here.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from hub.domain.address_matching import AddressCheck, candidate_streets, check, lists_addresses
from hub.domain.address_register import address_label
from hub.domain.addresses import address_key
from hub.models import Address
from hub.services.store import Store


def _size(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Address)).one())


def _labels(rows: list[Address]) -> dict[str, str]:
    return {row.address_key: address_label(row.street, row.number, row.letter, row.addition) for row in rows}


def check_typed(session: Session, typed: str) -> AddressCheck:
    """``typed`` against the register, in a session the caller holds."""
    size = _size(session)
    if size == 0:
        return check(typed, {}, register_size=0)
    key = address_key(typed)
    found = list(session.exec(select(Address).where(col(Address.address_key) == key)).all())
    if not found:
        streets = list(session.exec(select(Address.street_key).distinct()).all())
        near = candidate_streets(typed, streets)
        found = list(session.exec(select(Address).where(col(Address.street_key).in_(near))).all())
    return check(typed, _labels(found), register_size=size)


def check_address(store: Store, typed: str) -> AddressCheck:
    """``typed`` against the register (for a confirmation page)."""
    return store.read(lambda session: check_typed(session, typed))


def suggestions(store: Store) -> tuple[str, ...]:
    """The portal address fields' suggestions, in the register's order (street, number)."""

    def query(session: Session) -> tuple[str, ...]:
        size = _size(session)
        if not lists_addresses(size):
            return tuple(session.exec(select(Address.street).distinct().order_by(col(Address.street))).all())
        order = (col(Address.street), col(Address.number), col(Address.letter), col(Address.addition))
        rows = session.exec(select(Address).order_by(*order)).all()
        return tuple(address_label(r.street, r.number, r.letter, r.addition) for r in rows)

    return store.read(query)

"""The address register: importing a municipality's export, and reading it.

:func:`import_file` reads a whole export (``hub.domain.address_register.parse_register``) before
it writes anything: a file with a problem is refused with every problem named
(:class:`~hub.errors.FileRefused`) and the register stays as it was. A good file replaces the
register in one transaction: a door already known (postcode, number, letter, addition) is
updated, a new one added, and a door the file no longer lists is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, delete, func, select

from hub.domain.address_register import ParsedRegister, Problem, RegisterAddress, parse_register
from hub.domain.addresses import street_of
from hub.errors import FileRefused
from hub.models import Address
from hub.models.base import utcnow
from hub.services.audit import record
from hub.services.store import Store


@dataclass(frozen=True)
class ImportResult:
    """What an import changed in the register."""

    added: int
    updated: int
    unchanged: int
    removed: int

    @property
    def total(self) -> int:
        """Addresses in the register now."""
        return self.added + self.updated + self.unchanged


def parse_or_refuse(data: bytes) -> ParsedRegister:
    """The export's addresses; :class:`FileRefused` with every problem when it has any."""
    parsed = parse_register(data)
    if parsed.problems:
        raise FileRefused(
            "the address file", tuple(str(problem) for problem in parsed.problems), parsed.problems
        )
    return parsed


def import_file(store: Store, data: bytes, actor: str) -> ImportResult:
    """Replace the register with the export in ``data`` (all of it or nothing)."""
    parsed = parse_or_refuse(data)
    return store.write(lambda session: replace_register(session, parsed.addresses, actor))


# What an export can change about a known door.
_UPDATED = ("street", "place", "address_key", "street_key", "lat", "lon")


def replace_register(session: Session, addresses: tuple[RegisterAddress, ...], actor: str) -> ImportResult:
    """Make the register these addresses (in the writer's transaction)."""
    known = {
        (row.postcode, row.number, row.letter, row.addition): row for row in session.exec(select(Address))
    }
    now = utcnow()
    added = updated = unchanged = 0
    for address in addresses:
        new = Address(
            street=address.street,
            number=address.number,
            letter=address.letter,
            addition=address.addition,
            postcode=address.postcode,
            place=address.place,
            address_key=address.key,
            street_key=street_of(address.key),
            lat=address.lat,
            lon=address.lon,
            imported_at=now,
        )
        row = known.pop(address.door, None)
        if row is None:
            session.add(new)
            added += 1
        elif any(getattr(row, name) != getattr(new, name) for name in _UPDATED):
            for name in _UPDATED:
                setattr(row, name, getattr(new, name))
            row.imported_at = now
            session.add(row)
            updated += 1
        else:
            unchanged += 1
    if known:
        session.exec(delete(Address).where(col(Address.pk).in_([row.pk for row in known.values()])))
    result = ImportResult(added=added, updated=updated, unchanged=unchanged, removed=len(known))
    record(session, actor, "addresses.import", None, **vars(result))
    return result


def register_size(store: Store) -> int:
    """How many addresses the register holds (0: none imported yet)."""
    return store.read(lambda session: int(session.exec(select(func.count()).select_from(Address)).one()))


def problem_lines(exc: FileRefused, gettext: Callable[[str], str]) -> tuple[str, ...]:
    """A refused file's problems, one a line, in the language of ``gettext``."""
    return (
        tuple(detail.words(gettext) if isinstance(detail, Problem) else str(detail) for detail in exc.details)
        or exc.problems
    )

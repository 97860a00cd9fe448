"""A typed address against the address register: in it, not in it, or no register yet.

Residents, volunteers (``CHECKIN``) and coordinators type addresses; the register
(``hub.domain.address_register``) lists the neighbourhood's doors. Both meet on
:func:`~hub.domain.addresses.address_key`. An address outside the register is kept as typed and
marked "not in the register", never refused: a new house, a boat, a typo that a coordinator can
still read. For a typo, "did you mean" offers the register's nearest spellings.

The portal's address fields suggest the register's addresses (an HTML ``<datalist>``, no
JavaScript); a register too large for a light page suggests its streets instead
(:func:`lists_addresses`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from hub.domain.addresses import address_key, split_address

# A portal page stays under 30 KB with this many suggestions (about 30 bytes each).
MAX_LISTED_ADDRESSES = 300
DID_YOU_MEAN = 3
_CUTOFF = 0.8


class RegisterMatch(StrEnum):
    IN_REGISTER = "in_register"
    NOT_IN_REGISTER = "not_in_register"
    NO_REGISTER = "no_register"  # nothing imported: nothing to compare with, nothing to mark


@dataclass(frozen=True)
class AddressCheck:
    """How a typed address stands against the register."""

    typed: str
    key: str
    match: RegisterMatch
    label: str | None = None  # the register's spelling, when in it
    did_you_mean: tuple[str, ...] = ()

    @property
    def not_in_register(self) -> bool:
        return self.match is RegisterMatch.NOT_IN_REGISTER


def check(typed: str, register: Mapping[str, str], *, register_size: int) -> AddressCheck:
    """``typed`` against ``register`` (``address_key`` → the register's label).

    ``register`` may be a part of the register (the candidates the caller looked up); it must
    hold the typed key when the register has it. ``register_size`` is the whole register's.
    """
    key = address_key(typed)
    if register_size == 0:
        return AddressCheck(typed, key, RegisterMatch.NO_REGISTER)
    if key in register:
        return AddressCheck(typed, key, RegisterMatch.IN_REGISTER, label=register[key])
    near = difflib.get_close_matches(key, list(register), n=DID_YOU_MEAN, cutoff=_CUTOFF)
    return AddressCheck(
        typed, key, RegisterMatch.NOT_IN_REGISTER, did_you_mean=tuple(register[k] for k in near)
    )


def candidate_streets(typed: str, streets: Sequence[str]) -> list[str]:
    """The register's street keys a typed address may have meant (its own, or a near spelling)."""
    street = split_address(typed)[0]
    if street in streets:
        return [street]
    return difflib.get_close_matches(street, list(streets), n=DID_YOU_MEAN, cutoff=0.7)


def lists_addresses(register_size: int) -> bool:
    """An address field suggests every address of a register this size (else its streets)."""
    return register_size <= MAX_LISTED_ADDRESSES

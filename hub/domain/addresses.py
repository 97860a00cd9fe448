"""Addresses as residents type them, made comparable.

"Kerkstraat 5", "kerkstraat  5 " and "Kerkstraat 5," are one household; so are "Kerkstraat 5a",
"kerkstraat 5 A" and "Kerkstraat 5-A" (a house letter or addition is written against the number),
and "Kerkstraat 5a, 1234 AB Dorp" (a postcode and place after the number are left out: the hub
serves one neighbourhood). The street part ("kerkstraat") groups a door-knock list, the number
sorts it in walking order. The address register (``hub.domain.address_register``) keys its
addresses with the same :func:`address_key`, so a typed address and the register meet on it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
# After a house number: ", Dorp", ", 1234 AB Dorp" (the place or postcode that follows a comma).
_AFTER_COMMA = re.compile(r"^(?P<head>[^,]*\d[^,]*),.*$", re.DOTALL)
# After a house number: "1234 AB" and whatever follows it (a postcode, then the place).
_POSTCODE_TAIL = re.compile(r"^(?P<head>.*\d\S*)\s+\d{4}\s?[a-z]{2}\b.*$")
# A house number and its letter or addition, written with spaces or a dash: "5 a", "5-a", "5 a-1".
_SUFFIX = re.compile(r"\b(?P<number>\d{1,5})(?P<suffix>(?:\s*-?\s*[a-z0-9]{1,4}){0,2})$")
_NUMBER = re.compile(r"^(?P<street>.*?)[\s,]*(?P<number>\d+)\s*(?P<suffix>[a-z0-9-]*)$")


def clean_address(address: str) -> str:
    """Trim and fold white space; keep the resident's spelling."""
    return _SPACES.sub(" ", address).strip(" ,.")


@lru_cache(maxsize=8192)  # a neighbourhood's addresses; a check-in asks twice (row, outbox event)
def address_key(address: str) -> str:
    """A key equal for the same address however it was typed (see the module's docstring)."""
    text = clean_address(address)
    if cut := _AFTER_COMMA.match(text):
        text = cut["head"]
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SPACES.sub(" ", re.sub(r"[^\w\s-]", " ", text)).strip(" -")
    if cut := _POSTCODE_TAIL.match(text):
        text = cut["head"]
    if house := _SUFFIX.search(text):
        suffix = re.sub(r"[\s-]", "", house["suffix"])
        dash = "-" if suffix[:1].isdigit() else ""  # "5-1" is not number 51
        text = f"{text[: house.start()]}{house['number']}{dash}{suffix}"
    return text


def house_key(street: str, number: int, letter: str = "", addition: str = "") -> str:
    """The :func:`address_key` of a register's address, from its parts."""
    return address_key(f"{street} {number}{letter}-{addition}" if addition else f"{street} {number}{letter}")


def split_address(address: str) -> tuple[str, int | None, str]:
    """(street key, house number, suffix); the number is ``None`` when there is none."""
    key = address_key(address)
    match = _NUMBER.match(key)
    if not match:
        return key, None, ""
    return match["street"].strip(), int(match["number"]), match["suffix"]


def street_of(address: str) -> str:
    return split_address(address)[0]


def walking_order(address: str) -> tuple[str, int, int, str]:
    """Sort key: by street, then odd and even sides, then house number."""
    street, number, suffix = split_address(address)
    if number is None:
        return street, 2, 0, suffix
    return street, number % 2 == 0, number, suffix


def walking_key(address: str) -> str:
    """:func:`walking_order` as one string that sorts the same (a stored, indexed sort key).

    The street key, then ``0`` for the odd side, ``1`` for the even side and ``2`` for no number,
    the number in six digits and the suffix, each after a space: a space sorts before every letter
    and digit of a street key, so a street comes before a longer street it begins.
    """
    street, side, number, suffix = walking_order(address)
    return f"{street} {side:d} {number:06d} {suffix}".rstrip()[:120]

"""Addresses as residents type them, made comparable.

"Kerkstraat 5", "kerkstraat  5 " and "Kerkstraat 5," are one household; the street part
("kerkstraat") groups a door-knock list, the number sorts it in walking order.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^(?P<street>.*?)[\s,]*(?P<number>\d+)\s*(?P<suffix>[a-z0-9-]*)$")


def clean_address(address: str) -> str:
    """Trim and fold white space; keep the resident's spelling."""
    return _SPACES.sub(" ", address).strip(" ,.")


def address_key(address: str) -> str:
    """A key equal for the same address however it was typed."""
    text = unicodedata.normalize("NFKD", clean_address(address).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s-]", " ", text)
    return _SPACES.sub(" ", text).strip()


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

"""Which offers of help fit which needs: a small category table a coordinator can read.

car        → transport, water, food      (fetch and bring)
generator  → power, medical_device
first_aid  → medicine, medical_device
care       → medicine, food
language   → information
tools      → power, other
space      → power, water                (a place to charge, to fetch water)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

OFFER_FITS_NEEDS: dict[str, frozenset[str]] = {
    "car": frozenset({"transport", "water", "food"}),
    "generator": frozenset({"power", "medical_device"}),
    "first_aid": frozenset({"medicine", "medical_device"}),
    "care": frozenset({"medicine", "food"}),
    "language": frozenset({"information"}),
    "tools": frozenset({"power", "other"}),
    "space": frozenset({"power", "water"}),
    "other": frozenset({"other"}),
}


def fits(offer_category: str, need_category: str) -> bool:
    return need_category in OFFER_FITS_NEEDS.get(offer_category, frozenset())


@dataclass(frozen=True)
class Match:
    need_id: str
    offer_ids: tuple[str, ...]


def match_offers(needs: Sequence[tuple[str, str]], offers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """For each ``(need_id, category)``, the ids of ``(offer_id, category)`` offers that fit, in order."""
    return {
        need_id: [offer_id for offer_id, offer_cat in offers if fits(offer_cat, need_cat)]
        for need_id, need_cat in needs
    }

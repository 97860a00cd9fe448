"""Which status changes a coordinator may make to a need or an offer (pure rules, no I/O).

Needs: ``open`` → ``resolved`` | ``cancelled`` | ``duplicate`` (of another need); a closed need
can be opened again, but not moved from one closed status to another (open it first, so
that the history reads as what happened).

Offers: ``available`` → ``used`` | ``withdrawn``, and back to ``available``; ``used`` and
``withdrawn`` do not turn into each other. Offers stored before offers had these statuses
say ``open``, which means ``available``.
"""

from __future__ import annotations

NEED_MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"resolved", "cancelled", "duplicate"}),
    "resolved": frozenset({"open"}),
    "cancelled": frozenset({"open"}),
    "duplicate": frozenset({"open"}),
}
OFFER_MOVES: dict[str, frozenset[str]] = {
    "available": frozenset({"used", "withdrawn"}),
    "used": frozenset({"available"}),
    "withdrawn": frozenset({"available"}),
}
LEGACY_OFFER_STATUS = {"open": "available"}


def offer_status(stored: str) -> str:
    """The offer status a stored value means (``open`` from older records is ``available``)."""
    return LEGACY_OFFER_STATUS.get(stored, stored)


def refused_move(moves: dict[str, frozenset[str]], current: str, to: str) -> str | None:
    """Why ``current`` → ``to`` is not allowed, or ``None`` when it is (or changes nothing)."""
    if current == to:
        return None
    allowed = moves.get(current, frozenset())
    if to in allowed:
        return None
    if not allowed:
        return f"it is {current}, which cannot be changed by hand"
    return f"it is {current}; it can only become {' or '.join(sorted(allowed))}"

"""A signal's triage as one state machine: its statuses, the coordinators' steps, the table.

A signal is a neighbour's concern about a place or a person ("I have not seen number 12 for two
days", "gas smell in the Molenweg"). Coordinators work it off their list:

    new ──look──▶ looked_at ──act──▶ acted_on ──close──▶ closed
     │               │                 │ ▲                 │
     │               └───────close─────┼─┘(act again)      └──reopen──▶ looked_at
     └──act / close straight away──────┘
    new, looked_at, acted_on ──merge──▶ merged (a duplicate of another signal)

- ``look``: a coordinator has read it (who and when), nothing done yet.
- ``act``: something was done, and what: a task, a need, a door knock or a call to a partner
  (:class:`SignalAction`). Acting again on an ``acted_on`` signal records one more action.
- ``close``: nothing more to do. ``reopen`` brings a closed signal back to ``looked_at``.
- ``merge``: the same concern as another signal; it is closed as that one's duplicate.

``merged`` is final. Values are stored and shown through labels; never rename one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from hub.errors import IllegalTransition


class SignalStatus(StrEnum):
    NEW = "new"
    LOOKED_AT = "looked_at"
    ACTED_ON = "acted_on"
    CLOSED = "closed"
    MERGED = "merged"


class SignalEvent(StrEnum):
    LOOK = "look"
    ACT = "act"
    CLOSE = "close"
    REOPEN = "reopen"
    MERGE = "merge"


class SignalAction(StrEnum):
    """What a coordinator did about a signal (the ``act`` step)."""

    TASK = "task"
    NEED = "need"
    DOOR_KNOCK = "door_knock"
    PARTNER = "partner"


S, E = SignalStatus, SignalEvent

TRANSITIONS: dict[tuple[SignalStatus, SignalEvent], SignalStatus] = {
    (S.NEW, E.LOOK): S.LOOKED_AT,
    (S.NEW, E.ACT): S.ACTED_ON,
    (S.LOOKED_AT, E.ACT): S.ACTED_ON,
    (S.ACTED_ON, E.ACT): S.ACTED_ON,
    (S.NEW, E.CLOSE): S.CLOSED,
    (S.LOOKED_AT, E.CLOSE): S.CLOSED,
    (S.ACTED_ON, E.CLOSE): S.CLOSED,
    (S.CLOSED, E.REOPEN): S.LOOKED_AT,
    (S.NEW, E.MERGE): S.MERGED,
    (S.LOOKED_AT, E.MERGE): S.MERGED,
    (S.ACTED_ON, E.MERGE): S.MERGED,
}

ACTIONS: dict[SignalEvent, str] = {
    E.LOOK: "marking it looked at",
    E.ACT: "recording what was done",
    E.CLOSE: "closing it",
    E.REOPEN: "opening it again",
    E.MERGE: "merging it into another signal",
}

# On the coordinators' worklist (not closed, not merged), in the order of the work.
OPEN = (S.NEW, S.LOOKED_AT, S.ACTED_ON)
FINISHED = (S.CLOSED, S.MERGED)

# Two signals about the same address and category this close together are probably one concern.
DUPLICATE_WINDOW = timedelta(hours=6)


def transition(current: str, event: SignalEvent) -> SignalStatus:
    """The status after ``event``; :class:`IllegalTransition` (409) with the reason when not allowed."""
    status = SignalStatus(current)
    nxt = TRANSITIONS.get((status, event))
    if nxt is None:
        raise IllegalTransition(status, event, refusal(event), what="the signal")
    return nxt


def allowed(current: str, event: SignalEvent) -> bool:
    return (SignalStatus(current), event) in TRANSITIONS


def refusal(event: SignalEvent) -> str:
    sources = [s.value for s in SignalStatus if (s, event) in TRANSITIONS]
    when = ", ".join(sources[:-1]) + f" or {sources[-1]}" if len(sources) > 1 else sources[0]
    return f"{ACTIONS[event]} is only possible when it is {when}"


def statuses(group: tuple[SignalStatus, ...]) -> list[str]:
    return [s.value for s in group]


def is_duplicate_candidate(
    a_key: str | None, a_category: str, a_at: datetime, b_key: str | None, b_category: str, b_at: datetime
) -> bool:
    """Same address (both given) and category, within :data:`DUPLICATE_WINDOW` of each other."""
    if not a_key or a_key != b_key or a_category != b_category:
        return False
    return abs(a_at - b_at) <= DUPLICATE_WINDOW


def priority(*, life: bool, attention: bool, status: str) -> tuple[int, int, int]:
    """Sort key of the worklist (lower first): danger to life, then a special-attention
    household, then the work not yet begun."""
    rank = {s: i for i, s in enumerate(SignalStatus)}
    return (0 if life else 1, 0 if attention else 1, rank.get(SignalStatus(status), 9))

"""A task's lifecycle as one state machine: its statuses, the events that move it, the table.

    open ──delivered──▶ sent ──accept──▶ accepted ──finish──▶ done
      │ ▲                 │                 └────────fail──▶ failed
      │ └─────assign──────┴──────────────────────────────────────┘
      └──accept / finish / fail straight away (a volunteer who forgot JA)

- ``assign``: a coordinator or the re-offer job gives the task (again) to a volunteer; its
  dispatch waits for the handset's radio ACK, so the task is ``open`` again. Not once the
  volunteer took it (``accepted``) or it is ``done``.
- ``delivered``: the handset acknowledged the dispatch.
- ``undeliverable`` and ``nobody_accepted`` flag the task without moving it: the dispatch
  failed after every retry (``open``), or no volunteer took it in time (``open`` or ``sent``).
- ``accept`` (``JA``), ``finish`` (``KLAAR``), ``fail`` (``NIET``): the volunteer's steps.
  Repeating the step the task already took is allowed and changes nothing (a repeated radio
  message); the service recognises it as ``transition(s, e) == s`` for a step.

``done`` is final. ``failed`` is closed for the volunteer: only a new ``assign`` opens it.
Values are the stored and API values (docs/reference/http.md); never rename one.
"""

from __future__ import annotations

from enum import StrEnum

from hub.errors import IllegalTransition


class TaskStatus(StrEnum):
    OPEN = "open"
    SENT = "sent"
    ACCEPTED = "accepted"
    DONE = "done"
    FAILED = "failed"


class TaskEvent(StrEnum):
    ASSIGN = "assign"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    NOBODY_ACCEPTED = "nobody_accepted"
    ACCEPT = "accept"
    FINISH = "finish"
    FAIL = "fail"


S, E = TaskStatus, TaskEvent

# (current, event) -> next. A pair that is not here is an illegal transition.
TRANSITIONS: dict[tuple[TaskStatus, TaskEvent], TaskStatus] = {
    (S.OPEN, E.ASSIGN): S.OPEN,
    (S.SENT, E.ASSIGN): S.OPEN,
    (S.FAILED, E.ASSIGN): S.OPEN,
    (S.OPEN, E.DELIVERED): S.SENT,
    (S.OPEN, E.UNDELIVERABLE): S.OPEN,
    (S.OPEN, E.NOBODY_ACCEPTED): S.OPEN,
    (S.SENT, E.NOBODY_ACCEPTED): S.SENT,
    (S.OPEN, E.ACCEPT): S.ACCEPTED,
    (S.SENT, E.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, E.ACCEPT): S.ACCEPTED,
    (S.OPEN, E.FINISH): S.DONE,
    (S.SENT, E.FINISH): S.DONE,
    (S.ACCEPTED, E.FINISH): S.DONE,
    (S.DONE, E.FINISH): S.DONE,
    (S.OPEN, E.FAIL): S.FAILED,
    (S.SENT, E.FAIL): S.FAILED,
    (S.ACCEPTED, E.FAIL): S.FAILED,
    (S.FAILED, E.FAIL): S.FAILED,
}

# What each event does, in the words of a refusal.
ACTIONS: dict[TaskEvent, str] = {
    E.ASSIGN: "giving it to a volunteer",
    E.DELIVERED: "marking its dispatch delivered",
    E.UNDELIVERABLE: "flagging its dispatch undeliverable",
    E.NOBODY_ACCEPTED: "handing it back as accepted by nobody",
    E.ACCEPT: "accepting it",
    E.FINISH: "reporting it done",
    E.FAIL: "reporting it failed",
}

# The volunteer's steps: their repetition changes nothing.
STEPS = frozenset({E.ACCEPT, E.FINISH, E.FAIL})

# Sets of statuses the rest of the hub asks about (queries, lists, figures).
WAITING_FOR_DELIVERY = frozenset({S.OPEN})
WAITING_FOR_ACCEPT = frozenset({S.OPEN, S.SENT})  # dispatched, no JA yet
WAITING_FOR_FINISH = frozenset({S.ACCEPTED})
ON_HAND = frozenset({S.OPEN, S.SENT, S.ACCEPTED})  # a volunteer holds it (TAKEN, "busy")
UNFINISHED = frozenset({*ON_HAND, S.FAILED})  # on the coordinators' list; keeps its number
CLOSED = frozenset({S.DONE, S.FAILED})  # the volunteer can no longer move it
FINAL = frozenset({S.DONE})  # nothing moves it any more


def transition(current: str, event: TaskEvent) -> TaskStatus:
    """The status after ``event`` in ``current``; :class:`IllegalTransition` (409) when not allowed."""
    status = TaskStatus(current)
    nxt = TRANSITIONS.get((status, event))
    if nxt is None:
        raise IllegalTransition(status, event, refusal(event))
    return nxt


def refusal(event: TaskEvent) -> str:
    """Why ``event`` was refused: when it is possible (a repeat left out, it changes nothing)."""
    sources = [s.value for s in allowed_from(event) if not is_repeat(s, event)]
    when = ", ".join(sources[:-1]) + f" or {sources[-1]}" if len(sources) > 1 else sources[0]
    return f"{ACTIONS[event]} is only possible when it is {when}"


def allowed(current: str, event: TaskEvent) -> bool:
    """Whether ``event`` may happen in ``current``."""
    return (TaskStatus(current), event) in TRANSITIONS


def allowed_from(event: TaskEvent) -> tuple[TaskStatus, ...]:
    """The statuses in which ``event`` may happen, in lifecycle order."""
    return tuple(s for s in TaskStatus if (s, event) in TRANSITIONS)


def is_repeat(current: str, event: TaskEvent) -> bool:
    """A volunteer's step the task already took (``JA`` twice): allowed, and changes nothing."""
    return event in STEPS and allowed(current, event) and transition(current, event) == current


def statuses(group: frozenset[TaskStatus]) -> list[str]:
    """A status set as plain values for a query's ``IN``, in lifecycle order."""
    return [s.value for s in TaskStatus if s in group]

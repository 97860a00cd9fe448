"""The task lifecycle's table: every legal and every illegal transition, and random walks."""

from __future__ import annotations

import contextlib
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.task_states import (
    ACTIONS,
    CLOSED,
    FINAL,
    ON_HAND,
    UNFINISHED,
    TaskEvent,
    TaskStatus,
    allowed_from,
    is_repeat,
    transition,
)
from hub.errors import Conflict, IllegalTransition

S, E = TaskStatus, TaskEvent

# Written out by hand from what the hub does (docs/coordinators.md, tasks.py, task_flow.py), not read
# from the table under test: (current, event) -> next.
LEGAL = {
    (S.OPEN, E.ASSIGN): S.OPEN,  # given to someone else before the handset acknowledged
    (S.SENT, E.ASSIGN): S.OPEN,  # re-offered: the new dispatch waits for its ACK
    (S.FAILED, E.ASSIGN): S.OPEN,  # a coordinator re-plans a failed task
    (S.OPEN, E.DELIVERED): S.SENT,
    (S.OPEN, E.UNDELIVERABLE): S.OPEN,
    (S.OPEN, E.NOBODY_ACCEPTED): S.OPEN,
    (S.SENT, E.NOBODY_ACCEPTED): S.SENT,
    (S.OPEN, E.ACCEPT): S.ACCEPTED,
    (S.SENT, E.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, E.ACCEPT): S.ACCEPTED,  # a repeated JA
    (S.OPEN, E.FINISH): S.DONE,  # JA forgotten
    (S.SENT, E.FINISH): S.DONE,
    (S.ACCEPTED, E.FINISH): S.DONE,
    (S.DONE, E.FINISH): S.DONE,  # a repeated KLAAR
    (S.OPEN, E.FAIL): S.FAILED,
    (S.SENT, E.FAIL): S.FAILED,
    (S.ACCEPTED, E.FAIL): S.FAILED,
    (S.FAILED, E.FAIL): S.FAILED,  # a repeated NIET
}
ILLEGAL = [pair for pair in itertools.product(TaskStatus, TaskEvent) if pair not in LEGAL]


def test_values_are_the_stored_and_api_values() -> None:
    assert [s.value for s in TaskStatus] == ["open", "sent", "accepted", "done", "failed"]


@pytest.mark.parametrize(("current", "event"), list(LEGAL), ids=lambda v: str(v))
def test_legal_transition(current: TaskStatus, event: TaskEvent) -> None:
    assert transition(current, event) is LEGAL[(current, event)]
    assert transition(current.value, event) is LEGAL[(current, event)]  # as stored: a plain str


@pytest.mark.parametrize(("current", "event"), ILLEGAL, ids=lambda v: str(v))
def test_illegal_transition_is_a_conflict_with_the_reason(current: TaskStatus, event: TaskEvent) -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(current, event)
    assert isinstance(caught.value, Conflict)  # the API answers 409
    assert (caught.value.current, caught.value.event) == (current, event)
    message = str(caught.value)
    assert f"is {current.value}:" in message
    assert f"{ACTIONS[event]} is only possible when it is " in message
    for status in allowed_from(event):
        assert status.value in message or is_repeat(status, event)


def test_the_reason_names_the_task() -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition("failed", E.FINISH)
    named = caught.value.for_task(7)
    assert str(named) == (
        "task 7 is failed: reporting it done is only possible when it is open, sent or accepted"
    )


def test_an_unknown_stored_status_is_refused() -> None:
    with pytest.raises(ValueError):
        transition("cancelled", E.ASSIGN)


def test_repeats_are_the_volunteer_steps_already_taken() -> None:
    repeats = {(s, e) for s, e in itertools.product(TaskStatus, TaskEvent) if is_repeat(s, e)}
    assert repeats == {(S.ACCEPTED, E.ACCEPT), (S.DONE, E.FINISH), (S.FAILED, E.FAIL)}


def test_status_sets() -> None:
    assert {S.OPEN, S.SENT, S.ACCEPTED} == ON_HAND
    assert {S.OPEN, S.SENT, S.ACCEPTED, S.FAILED} == UNFINISHED
    assert {S.DONE, S.FAILED} == CLOSED
    assert {S.DONE} == FINAL
    assert set(TaskStatus) == UNFINISHED | FINAL


VOLUNTEER_EVENTS = (E.DELIVERED, E.UNDELIVERABLE, E.NOBODY_ACCEPTED, E.ACCEPT, E.FINISH, E.FAIL)


@given(st.lists(st.sampled_from(TaskEvent), max_size=40))
def test_random_event_sequences_stay_in_defined_states(events: list[TaskEvent]) -> None:
    """Whatever arrives in whatever order: always a defined status; a refused event changes
    nothing; ``done`` is final; a closed task is only reopened by a new ``assign``."""
    status = S.OPEN
    for event in events:
        try:
            nxt = transition(status, event)
        except IllegalTransition:
            nxt = status  # the service refuses it and changes nothing
        assert nxt in TaskStatus
        if status in FINAL:
            assert nxt is status
        if status in CLOSED and event is not E.ASSIGN:
            assert nxt is status
        status = nxt


@given(st.sampled_from(sorted(CLOSED)), st.lists(st.sampled_from(VOLUNTEER_EVENTS), max_size=20))
def test_a_closed_task_stays_closed_whatever_the_handsets_send(
    start: TaskStatus, events: list[TaskEvent]
) -> None:
    status = start
    for event in events:
        with contextlib.suppress(IllegalTransition):
            status = transition(status, event)
        assert status is start

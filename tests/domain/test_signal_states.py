"""A signal's triage as one table: every step from every status is allowed or refused clearly."""

from __future__ import annotations

import pytest

from hub.domain.signal_states import (
    TRANSITIONS,
    SignalEvent,
    SignalStatus,
    allowed,
    priority,
    transition,
)
from hub.errors import IllegalTransition

S, E = SignalStatus, SignalEvent


def test_the_lifecycle() -> None:
    assert transition("new", E.LOOK) is S.LOOKED_AT
    assert transition("looked_at", E.ACT) is S.ACTED_ON
    assert transition("acted_on", E.ACT) is S.ACTED_ON  # a second action (a task, then a partner)
    assert transition("acted_on", E.CLOSE) is S.CLOSED
    assert transition("closed", E.REOPEN) is S.LOOKED_AT
    assert transition("new", E.MERGE) is S.MERGED


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("event", list(E))
def test_every_pair_is_allowed_or_refused_with_its_reason(status: SignalStatus, event: SignalEvent) -> None:
    if (status, event) in TRANSITIONS:
        assert allowed(status, event)
        assert transition(status, event) is TRANSITIONS[(status, event)]
        return
    assert not allowed(status, event)
    with pytest.raises(IllegalTransition) as refused:
        transition(status, event)
    assert str(refused.value).startswith(f"the signal is {status.value}: ")
    assert "is only possible when it is" in str(refused.value)


def test_merged_is_final_and_an_unknown_status_is_no_status() -> None:
    assert not any(allowed("merged", event) for event in E)
    with pytest.raises(ValueError, match="lost"):
        transition("lost", E.LOOK)


def test_danger_to_life_then_special_attention_then_new_work_first() -> None:
    keys = {
        "life": priority(life=True, attention=False, status="acted_on"),
        "attention": priority(life=False, attention=True, status="acted_on"),
        "new": priority(life=False, attention=False, status="new"),
        "acted": priority(life=False, attention=False, status="acted_on"),
    }
    assert sorted(keys, key=keys.__getitem__) == ["life", "attention", "new", "acted"]

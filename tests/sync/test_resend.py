"""The resend policy: probes only when confirmations stall with the path up, with backoff."""

from __future__ import annotations

from hub.sync.resend import ResendPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_no_probe_before_the_wait_and_backoff_doubles_to_the_cap() -> None:
    clock = Clock()
    policy = ResendPolicy(30, 100, clock)
    clock.now += 29
    assert not policy.probe_due()
    waits = []
    for _ in range(5):
        clock.now += policy.wait
        assert policy.probe_due()
        waits.append(policy.wait)
        policy.probed()
    assert waits == [30, 60, 100, 100, 100]
    policy.progress()  # a receipt moved: back to the first wait
    assert policy.wait == 30 and not policy.probe_due()


def test_nothing_is_probed_while_the_bridge_is_down() -> None:
    clock = Clock()
    policy = ResendPolicy(30, 1800, clock)
    policy.bridge(False)
    clock.now += 3600 * 48  # two days of outage
    assert not policy.probe_due()
    policy.bridge(True)  # the link returns: the queue drains first, the timer starts again
    assert not policy.probe_due()
    clock.now += 30
    assert policy.probe_due()


def test_activity_restarts_the_stall_timer() -> None:
    clock = Clock()
    policy = ResendPolicy(30, 1800, clock)
    clock.now += 25
    policy.activity()
    clock.now += 25
    assert not policy.probe_due()


def test_a_replay_already_under_way_is_not_sent_twice() -> None:
    clock = Clock()
    policy = ResendPolicy(30, 1800, clock)
    assert policy.replay_wanted(100)
    clock.now += 5
    assert not policy.replay_wanted(100)  # the consumer asks again while it drains
    assert not policy.replay_wanted(180)  # covered by the replay from 100
    assert policy.replay_wanted(50)  # an earlier start is new work
    clock.now += 31
    assert policy.replay_wanted(50)  # long enough: perhaps the replay was lost
    assert policy.replays_held == 2

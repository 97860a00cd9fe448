"""Following a federation peer's seq: contiguous marks, status in order, replays with backoff."""

from __future__ import annotations

from hub.sync.federation import PeerFollower


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_a_gap_is_asked_for_after_a_wait_that_doubles_until_filled() -> None:
    clock = Clock()
    follower = PeerFollower(["hub-a"], 1.0, 4.0, clock)
    follower.load({"hub-a": 10})
    assert follower.catch_up_all() == [("hub-a", 11)]  # after a (re)connect: from the mark on
    for seq in (11, 12, 15):
        assert not follower.should_wait("hub-a", seq, "need.created")
        follower.handled("hub-a", seq)
    assert follower.status()["hub-a"] == {"contiguous": 12, "highest_seen": 15}
    assert follower.due() == []  # the gap just showed
    asked = []
    for _ in range(24):
        clock.now += 0.5
        asked += [(clock.now, ask) for ask in follower.due()]
    assert asked == [(at, ("hub-a", 13)) for at in (501.0, 503.0, 507.0, 511.0)]  # 1, 2, 4, 4 (cap)
    follower.handled("hub-a", 13)
    follower.handled("hub-a", 14)
    assert follower.status()["hub-a"]["contiguous"] == 15
    clock.now += 10
    assert follower.due() == []


def test_a_status_change_or_deletion_waits_for_every_earlier_event() -> None:
    follower = PeerFollower(["hub-a"], 1.0, 4.0, Clock())
    follower.handled("hub-a", 1)
    assert follower.should_wait("hub-a", 3, "need.status")  # seq 2 (its need, perhaps) is missing
    assert follower.should_wait("hub-a", 3, "need.deleted")  # never before its creation
    assert not follower.should_wait("hub-a", 3, "need.created")
    assert not follower.should_wait("hub-a", 2, "need.status")
    assert follower.contiguous_after("hub-a", 2) == 2
    follower.handled("hub-a", 3)
    assert follower.contiguous_after("hub-a", 2) == 3

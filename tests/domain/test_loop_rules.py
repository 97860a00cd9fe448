"""Pure rules of the safety loops: when a task comes back, how far off the clock is, time in mode."""

from __future__ import annotations

from hub.domain.clock import ModeClock, agrees, carried, elapsed_in_mode, offset_words
from hub.domain.offers import OfferAttempt, back_to_coordinator, not_again


def test_a_silent_volunteer_is_not_offered_the_task_again() -> None:
    offers = [
        OfferAttempt("anna", "no_answer"),
        OfferAttempt("bram", "undeliverable"),
        OfferAttempt("cas", "declined"),
    ]
    assert not_again(offers) == {"anna", "bram"}  # NIET is an answer: Cas may get it another time


def test_the_task_comes_back_after_the_limit_or_with_nobody_left() -> None:
    one = [OfferAttempt("anna", "no_answer")]
    assert back_to_coordinator(one, 3, "bram") is False
    assert back_to_coordinator(one, 3, None) is True  # no other volunteer is free
    assert back_to_coordinator(one, 3, "anna") is True  # never the silent one again
    three = [*one, OfferAttempt("bram", "no_answer"), OfferAttempt("cas", "no_answer")]
    assert back_to_coordinator(three, 3, "dirk") is True
    assert back_to_coordinator(three, 4, "dirk") is False


def test_a_reference_confirms_the_clock_only_when_it_agrees() -> None:
    assert agrees(1_000_000.0, 1_000_100.0)
    assert not agrees(1_000_000.0, 1_000_000.0 - 3 * 3600)
    assert offset_words(3 * 3600 + 12 * 60) == "+3 h 12 min"
    assert offset_words(-300) == "-5 min"
    assert offset_words(2 * 86400 + 60) == "+2 d 1 min"
    assert offset_words(0) == "+0 min"


def test_time_in_mode_follows_the_monotonic_clock_and_survives_a_reboot() -> None:
    start = ModeClock("boot-a", mono=1000.0)
    assert elapsed_in_mode(start, "boot-a", 1000.0 + 3600) == 3600
    saved = carried(start, "boot-a", 1000.0 + 2 * 3600)  # the figure the hub saved before the power cut
    assert saved.elapsed == 2 * 3600
    # After the reboot the monotonic clock starts near zero: the count goes on from the saved figure.
    assert elapsed_in_mode(saved, "boot-b", 120.0) == 2 * 3600 + 120
    assert ModeClock.from_state(saved.to_state()) == saved
    assert ModeClock.from_state({"boot_id": "x"}) is None

"""Household codes: short, easy to type, no look-alikes; who verifies a household; wrong guesses limited."""

from __future__ import annotations

from hub.domain import household_codes as hc


def test_codes_are_short_random_and_free_of_look_alikes() -> None:
    codes = {hc.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == hc.LENGTH
        assert set(code) <= set(hc.ALPHABET)
    assert not set("0O1IL5S8B2ZQ") & set(hc.ALPHABET)
    assert hc.shown("K7M4PX") == "K7M-4PX"


def test_typing_is_forgiving_but_exact() -> None:
    assert hc.matches("K7M4PX", "k7m-4px")
    assert hc.matches("K7M4PX", " K7M 4PX ")
    assert not hc.matches("K7M4PX", "K7M4PY")
    assert not hc.matches("K7M4PX", "K7M4P")
    assert not hc.matches(None, "K7M4PX")  # no household (or no code): never a match
    assert not hc.matches("K7M4PX", "")
    assert hc.normalise("ｋ7m–4px") == "7M4PX"  # no full-width letters sneak in


def test_who_verifies_a_household() -> None:
    assert not hc.verifies("portal", from_volunteer=False, code_matched=False)
    assert not hc.verifies("api", from_volunteer=False, code_matched=False)
    assert hc.verifies("portal", from_volunteer=False, code_matched=True)
    assert hc.verifies("api", from_volunteer=False, code_matched=True)
    assert hc.verifies("mesh", from_volunteer=True, code_matched=False)
    assert not hc.verifies("mesh", from_volunteer=False, code_matched=False)  # an unknown node
    assert hc.verifies("coordinator", from_volunteer=False, code_matched=False)


def test_wrong_guesses_are_limited_per_key_within_a_window() -> None:
    limiter = hc.GuessLimiter(max_wrong=3, window_seconds=60)
    client, other = ["client:a", "address:x"], ["client:b", "address:x"]
    for second in range(3):
        assert not limiter.blocked(client, second)
        limiter.wrong(client, second)
    assert limiter.blocked(client, 3)
    assert limiter.blocked(other, 3)  # another client, same address: the address is used up
    assert not limiter.blocked(["client:b", "address:y"], 3)
    assert limiter.retry_after(client, 3) == 58
    assert not limiter.blocked(client, 60.5)  # the first guess left the window

"""Fair shares of the airtime budget, the radio's real modulation, and which repeats are questions."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.airtime import (
    AirtimeBudget,
    ModemPreset,
    Priority,
    ReplyShares,
    Verdict,
    modem_from_lora,
    preset_by_name,
    text_packet_airtime,
    time_on_air,
)
from hub.domain.commands import parse_command, repeat_key

A, B = "!0000000a", "!0000000b"


def budget() -> AirtimeBudget:
    return AirtimeBudget(budget_seconds=100.0, shares=ReplyShares(replies=0.5, handset=0.1))


def test_one_handset_gets_its_share_of_replies_and_no_more() -> None:
    air = budget()
    air.charge(9.5, now=0.0, priority=Priority.REPLY, dest=A)
    assert air.verdict(Priority.REPLY, 0.5, now=1.0, dest=A) is Verdict.SEND
    assert air.verdict(Priority.REPLY, 0.6, now=1.0, dest=A) is Verdict.HANDSET
    assert air.verdict(Priority.REPLY, 5.0, now=1.0, dest=B) is Verdict.SEND
    assert air.can_send(Priority.TASK, 90.0, now=1.0)
    # the share frees up as the hour rolls on
    assert air.verdict(Priority.REPLY, 5.0, now=3600.0, dest=A) is Verdict.SEND


def test_replies_together_leave_the_rest_of_the_budget_to_tasks() -> None:
    air = budget()
    for n in range(5):
        air.charge(10.0, now=float(n), priority=Priority.REPLY, dest=f"!0000010{n}")
    assert air.verdict(Priority.REPLY, 0.1, now=10.0, dest="!00000200") is Verdict.REPLIES
    assert air.verdict(Priority.TASK, 50.0, now=10.0) is Verdict.SEND
    assert air.verdict(Priority.ANNOUNCEMENT, 1.0, now=10.0) is Verdict.SEND
    assert air.verdict(Priority.TASK, 50.1, now=10.0) is Verdict.BUDGET
    assert air.verdict(Priority.SOS, 500.0, now=10.0) is Verdict.SEND


def test_a_flood_of_replies_to_one_handset_cannot_starve_a_task() -> None:
    """The reported attack: ~380 STATUS replies in 12 s used 179.9 of 180 s."""
    air = AirtimeBudget()  # 180 s, default shares
    reply = text_packet_airtime("MEDIUM_FAST", "Status: 8 OK, 1 HULP, 3 noden (1 spoed), 2 taken open.")
    sent = 0
    for n in range(380):
        now = n * 12 / 380
        if air.can_send(Priority.REPLY, reply, now, dest=A):
            air.charge(reply, now, Priority.REPLY, A)
            sent += 1
    assert sent == int(18.0 / reply)  # the handset's tenth of the budget, no more
    assert air.used(12.0) <= 18.0
    task = text_packet_airtime("MEDIUM_FAST", "T12 KLOP Kerkstraat 5: mevr. J (84, alleen). JA 12 / KLAAR 12")
    assert air.can_send(Priority.TASK, task, 12.0)
    assert air.verdict(Priority.REPLY, reply, 12.0, dest=B) is Verdict.SEND


def test_handsets_over_their_share() -> None:
    air = budget()
    air.charge(9.9, now=0.0, priority=Priority.REPLY, dest=A)
    air.charge(5.0, now=0.0, priority=Priority.REPLY, dest=B)
    air.charge(50.0, now=0.0, priority=Priority.TASK, dest=B)
    assert air.handsets_over(1.0, margin=0.2) == {A}
    assert air.handsets_over(1.0, margin=0.05) == frozenset()


@given(
    st.lists(
        st.tuples(st.sampled_from([A, B, "!0000000c"]), st.sampled_from(list(Priority)), st.floats(0.1, 3.0)),
        max_size=300,
    )
)
def test_shares_hold_whatever_is_asked(asks: list[tuple[str, Priority, float]]) -> None:
    air = budget()
    for n, (dest, priority, airtime) in enumerate(asks):
        if air.can_send(priority, airtime, float(n), dest):
            air.charge(airtime, float(n), priority, dest)
    now = float(len(asks))
    assert air.replies_used(now) <= 50.0 + 1e-9
    for dest in (A, B, "!0000000c"):
        assert air.replies_used(now, dest) <= 10.0 + 1e-9


def test_shares_must_nest() -> None:
    with pytest.raises(ValueError, match="shares"):
        ReplyShares(replies=0.1, handset=0.2)
    with pytest.raises(ValueError, match="shares"):
        ReplyShares(replies=0.5, handset=0.0)


def test_modem_from_the_radio_lora_config() -> None:
    def lora(
        use_preset: bool, name: str = "LONG_FAST", bw: int = 0, sf: int = 0, cr: int = 0
    ) -> ModemPreset | None:
        return modem_from_lora(
            use_preset=use_preset, preset_name=name, bandwidth_khz=bw, spread_factor=sf, coding_rate=cr
        )

    assert lora(True, "LONG_FAST") == preset_by_name("LONG_FAST")
    assert lora(True, "medium_fast") == preset_by_name("MEDIUM_FAST")
    assert lora(True, "SHORT_TURBO") is None  # not an EU_868 preset: airtime unknown
    custom = lora(False, bw=250, sf=11, cr=5)
    assert custom is not None
    assert time_on_air(custom, 200) == pytest.approx(time_on_air("LONG_FAST", 200))
    narrow = lora(False, bw=62, sf=9, cr=8)
    assert narrow is not None and narrow.bandwidth_hz == 62_500
    assert lora(False) is None  # no custom settings either
    assert lora(False, bw=250, sf=13, cr=5) is None


@pytest.mark.parametrize(
    ("first", "again", "same"),
    [
        ("STATUS", "status!", True),
        ("?", "HULP", True),
        ("TAKEN", "tasks", True),
        ("blaat", "boe", True),  # one unknown word: the same "unknown command" answer
        ("NODIG lava Kerkstraat 1", "NEED lava Dorpsstraat 2", True),
        ("STATUS", "TAKEN", False),
    ],
)
def test_questions_and_their_repeats(first: str, again: str, same: bool) -> None:
    key = repeat_key(parse_command(first))
    assert key is not None
    assert (repeat_key(parse_command(again)) == key) is same


@pytest.mark.parametrize(
    "text",
    ["JA", "JA 12", "KLAAR", "NIET 3 niemand thuis", "OK", "CHECKIN Kerkstraat 5 OK", "SOS", "twee woorden"],
)
def test_commands_that_change_something_are_no_questions(text: str) -> None:
    assert repeat_key(parse_command(text)) is None

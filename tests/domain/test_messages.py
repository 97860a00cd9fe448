"""Hub -> handset texts: Dutch, short, always within one packet."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain import messages as m
from hub.domain.text import utf8_len


def test_task_dispatch_reads_as_designed() -> None:
    text = m.task_dispatch(12, "door_knock", "Kerkstraat 5", "mevr. J (84, alleen).")
    assert text == "T12 KLOP Kerkstraat 5: mevr. J (84, alleen). JA 12 / KLAAR 12 / NIET 12"


def test_task_kinds() -> None:
    assert m.task_dispatch(1, "delivery", "Plein 1").startswith("T1 BRENG Plein 1. JA 1")
    assert " RIJD " in m.task_dispatch(2, "transport", "Plein 1")
    assert " CHECK " in m.task_dispatch(3, "check", "Plein 1")


def test_long_note_is_shortened_not_the_address_or_hints() -> None:
    note = "zeer lange notitie met veel ë en é " * 20
    text = m.task_dispatch(123, "delivery", "Burgemeester van Nispen tot Sevenaerstraat 112a", note)
    assert utf8_len(text) <= 200
    assert "Burgemeester van Nispen tot Sevenaerstraat 112a: " in text
    assert text.endswith(". JA 123 / KLAAR 123 / NIET 123")
    assert "…" in text


@given(
    st.integers(0, 99999),
    st.sampled_from(["door_knock", "delivery", "transport", "check", "odd"]),
    st.text(max_size=300),
    st.text(max_size=400),
)
def test_task_dispatch_always_fits(number: int, kind: str, address: str, note: str) -> None:
    text = m.task_dispatch(number, kind, address, note)
    assert utf8_len(text) <= 200
    assert text.endswith(f"JA {number} / KLAAR {number} / NIET {number}")


def test_replies() -> None:
    assert "12" in m.accepted(12)
    assert "afgerond" in m.done(12)
    assert "opnieuw ingepland" in m.failed(12)
    assert m.unknown_command() == "Onbekend commando. Stuur ? voor hulp."
    assert m.which_task("JA", [14, 15]) == "Welke taak? JA 14 of JA 15"
    assert m.which_task("KLAAR", [1, 2, 3]) == "Welke taak? KLAAR 1, KLAAR 2 of KLAAR 3"
    assert "JA" in m.no_task("JA")
    assert "HULP" in m.checkin_confirmed("Kerkstraat 5", "help")
    assert "no coordinator has seen it yet" in m.checkin_confirmed("Kerkstraat 5", "help")
    assert "OK" in m.checkin_confirmed("Kerkstraat 5", "ok")
    assert m.need_confirmed("food", "Kerkstraat 5") == "Melding eten Kerkstraat 5 ontvangen."
    assert "112" in m.sos_received()
    assert "no coordinator has seen it yet" in m.sos_received()
    assert utf8_len(m.sos_received()) <= 200
    assert "Marije" in m.sos_seen("Marije") and utf8_len(m.sos_seen("x" * 300)) <= 200
    assert m.status_summary(30, 2, 5, 1, 7) == "Status: 30 OK, 2 HULP, 5 noden (1 spoed), 7 taken open."
    assert m.invalid_command("CHECKIN", "status ontbreekt").startswith("CHECKIN: status ontbreekt.")


def test_help_lists_every_command_within_one_packet() -> None:
    text = m.help_text()
    assert utf8_len(text) <= 200
    for word in (
        "OK",
        "JA",
        "KLAAR",
        "NIET",
        "CHECKIN",
        "NODIG",
        "SOS",
        "TAKEN",
        "STATUS",
    ):
        assert word in text


def test_which_task_with_many_options_fits() -> None:
    text = m.which_task("KLAAR", list(range(1000, 1100)))
    assert utf8_len(text) <= 200
    assert text.startswith("Welke taak? KLAAR 1000")


def test_task_list() -> None:
    assert m.task_list([]) == "Geen open taken."
    tasks = [m.TaskLine(n, "door_knock", f"Kerkstraat {n}") for n in range(1, 30)]
    text = m.task_list(tasks)
    assert utf8_len(text) <= 200
    assert text.startswith("Taken: T1 KLOP Kerkstraat 1; T2 KLOP")
    assert text.endswith("meer")
    assert m.task_list(tasks[:1]) == "Taken: T1 KLOP Kerkstraat 1"


def test_announcement_is_split_when_long() -> None:
    assert m.announcement("Water", "Tappunt open bij school") == ["Water: Tappunt open bij school"]
    parts = m.announcement("Let op", "woord " * 80)
    assert len(parts) > 1
    assert all(utf8_len(p) <= 200 for p in parts)


@pytest.mark.parametrize(
    "reply",
    [
        m.checkin_confirmed("Kerkstraat 5", "help"),
        m.checkin_confirmed("Lange Laan " + "é" * 150, "help"),
        m.need_confirmed("medical_device", "Kerkstraat 5", urgent=True),
        m.need_confirmed("water", "x" * 300, urgent=True),
    ],
)
def test_a_call_for_help_is_answered_only_with_what_happened(reply: str) -> None:
    """Nobody has been alerted when the hub replies: it says so, in Dutch and English, in one packet."""
    assert "gewaarschuwd" not in reply and "alerted" not in reply
    assert "nog geen coördinator heeft het gezien" in reply
    assert reply.endswith("Received by the hub; no coordinator has seen it yet.")
    assert utf8_len(reply) <= 200

"""A drill never looks real: every drill packet starts with OEFENING, within the packet limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.domain import messages as m
from hub.domain.text import DEFAULT_LIMIT, utf8_len


def test_drill_task_dispatch_starts_with_the_marker_and_keeps_its_hints() -> None:
    text = m.task_dispatch(12, "door_knock", "Kerkstraat 5", "mevr. J (84, alleen).", drill=True)
    assert text == "OEFENING T12 KLOP Kerkstraat 5: mevr. J (84, alleen). JA 12 / KLAAR 12 / NIET 12"
    assert m.task_dispatch(12, "door_knock", "Kerkstraat 5").startswith("T12 KLOP")  # real: unmarked
    assert m.task_withdrawn(3, drill=True).startswith("OEFENING T3 ")


@given(
    number=st.integers(min_value=1, max_value=99999),
    address=st.text(min_size=1, max_size=300),
    note=st.text(max_size=400),
)
def test_drill_dispatch_always_fits_one_packet(number: int, address: str, note: str) -> None:
    text = m.task_dispatch(number, "delivery", address, note, drill=True)
    assert text.startswith("OEFENING ")
    assert utf8_len(text) <= DEFAULT_LIMIT
    assert text.endswith(f"JA {number} / KLAAR {number} / NIET {number}")


def test_drill_spoed_alert_is_one_marked_packet() -> None:
    text = m.life_alert("medicine", "Kerkstraat 5", "insuline op " * 40, drill=True)
    assert text.startswith("OEFENING SPOED ")
    assert utf8_len(text) <= DEFAULT_LIMIT
    assert m.life_alert("medicine", "Kerkstraat 5").startswith("SPOED ")


def test_every_part_of_a_long_drill_announcement_carries_the_marker() -> None:
    parts = m.announcement("Kook water", "ë woord " * 120, "urgent", drill=True)
    assert len(parts) > 2
    assert all(part.startswith("OEFENING ") and m.is_drill_text(part) for part in parts)
    assert all(utf8_len(part) <= DEFAULT_LIMIT for part in parts)
    assert parts[0].startswith("OEFENING 1/")
    assert parts[-1].startswith(f"OEFENING {len(parts)}/{len(parts)} ")
    short = m.announcement("Kook water", "Drie minuten", "urgent", drill=True)
    assert short == ["OEFENING !! Kook water: Drie minuten"]
    assert not any(m.is_drill_text(p) for p in m.announcement("Kook water", "ë woord " * 120))


@given(st.text(max_size=1500))
def test_drill_packets_always_fit_and_are_marked(text: str) -> None:
    parts = m.packets(text, drill=True)
    assert all(p.startswith("OEFENING ") and utf8_len(p) <= DEFAULT_LIMIT for p in parts)


def test_drill_status_reply_is_marked() -> None:
    assert (
        m.status_summary(1, 0, 0, 0, 1, drill=True)
        == "OEFENING Status: 1 OK, 0 HULP, 0 noden (0 spoed), 1 taken open."
    )
    assert m.status_summary(1, 0, 0, 0, 1).startswith("Status: ")


def test_drill_status_summary_is_marked() -> None:
    assert m.status_broadcast("10:00", 1, 0, 0, 2, drill=True).startswith("OEFENING STATUS 10:00")

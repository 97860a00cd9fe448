"""Pure rules of the admin side, without I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest

from hub.domain.cap import CAP_NS, to_cap_xml
from hub.domain.csv_safe import safe_cell
from hub.domain.escalation import AttentionHousehold, by_street, door_knock_list, due_for_door_knock
from hub.domain.matching import fits, match_offers
from hub.domain.messages import announcement, task_dispatch
from hub.domain.text import DEFAULT_LIMIT, utf8_len

T0 = datetime(2025, 11, 18, 18, 40, tzinfo=UTC)


def test_dispatch_has_the_documented_shape() -> None:
    text = task_dispatch(12, "door_knock", "Kerkstraat 5", "mevr. J (84, alleen)")
    assert text == "T12 KLOP Kerkstraat 5: mevr. J (84, alleen). JA 12 / KLAAR 12 / NIET 12"
    assert task_dispatch(3, "delivery", "Molenweg 4", None) == "T3 BRENG Molenweg 4. JA 3 / KLAAR 3 / NIET 3"


@pytest.mark.parametrize("note", ["é" * 400, "👵🏻" * 120, "x" * 1000, "ab " * 300])
def test_dispatch_fits_one_packet_and_keeps_the_commands(note: str) -> None:
    text = task_dispatch(987, "door_knock", "Burgemeester van Walsum Laan 123-bis", note)
    assert utf8_len(text) <= DEFAULT_LIMIT
    assert text.startswith("T987 KLOP Burgemeester van Walsum Laan 123-bis: ")  # the address stays whole
    assert text.endswith("JA 987 / KLAAR 987 / NIET 987")
    assert "…" in text
    text.encode("utf-8").decode("utf-8")


def test_announcement_fits_packets_and_marks_urgency() -> None:
    parts = announcement("Kook water", "Het kraanwater is besmet. " * 40, "urgent")
    assert all(utf8_len(part) <= DEFAULT_LIMIT for part in parts)
    assert parts[0].startswith(f"1/{len(parts)} !! Kook water: Het kraanwater")
    assert announcement("Let op", "Brug dicht.", "warning") == ["! Let op: Brug dicht."]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+31 6 123", "'+31 6 123"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ('＝HYPERLINK("x")', '\'＝HYPERLINK("x")'),
        ("＋31 6 123", "'＋31 6 123"),
        ("－1＋2", "'－1＋2"),
        ("＠SUM(A1)", "'＠SUM(A1)"),
        ("﹦1+1", "'﹦1+1"),
        ("−1+2", "'−1+2"),
        (" =1+1", "' =1+1"),
        ("  +31", "'  +31"),
        ("\n-1+2", "'\n-1+2"),
        ("\u00a0@SUM(A1)", "'\u00a0@SUM(A1)"),
        ("\u3000＝1", "'\u3000＝1"),
        (" \t\r =1", "' \t\r =1"),
        ("  ", "  "),
        (" Kerkstraat 5", " Kerkstraat 5"),
        ("Kerkstraat 5 = -1", "Kerkstraat 5 = -1"),
        ("Kerkstraat 5", "Kerkstraat 5"),
        (None, ""),
        (3, "3"),
    ],
)
def test_csv_cells_never_start_a_formula(cell: object, expected: str) -> None:
    assert safe_cell(cell) == expected


def test_offers_match_needs_by_category() -> None:
    assert fits("car", "water")
    assert fits("generator", "medical_device")
    assert fits("first_aid", "medicine")
    assert not fits("language", "water")
    matched = match_offers(
        [("n1", "water"), ("n2", "power")], [("o1", "car"), ("o2", "generator"), ("o3", "space")]
    )
    assert matched == {"n1": ["o1", "o3"], "n2": ["o2", "o3"]}


def households() -> list[AttentionHousehold]:
    return [
        AttentionHousehold("a", "Kerkstraat 12", ("pregnant",)),
        AttentionHousehold("b", "Dorpsstraat 8", ("hearing_sight",), buddy_volunteer_id="v1"),
        AttentionHousehold("c", "Kerkstraat 5", ("alone_75plus",)),
        AttentionHousehold("d", "Kerkstraat 3", ("mobility",)),
        AttentionHousehold("e", "Dorpsstraat 21", ("medical_device",)),
    ]


def test_door_knock_list_in_walking_order_grouped_by_street() -> None:
    to_visit = door_knock_list(households(), reached_ids={"e"})
    assert [h.address for h in to_visit] == ["Dorpsstraat 8", "Kerkstraat 3", "Kerkstraat 5", "Kerkstraat 12"]
    assert [(street, [h.id for h in group]) for street, group in by_street(to_visit)] == [
        ("Dorpsstraat", ["b"]),
        ("Kerkstraat", ["d", "c", "a"]),
    ]


def test_escalation_waits_for_the_threshold_and_skips_reached_or_tasked() -> None:
    args = (households(), {"a"}, {"b"})
    assert due_for_door_knock(*args, elapsed=None, hours=6) == []
    assert due_for_door_knock(*args, elapsed=timedelta(hours=5, minutes=59), hours=6) == []
    due = due_for_door_knock(*args, elapsed=timedelta(hours=6), hours=6)
    assert [h.id for h in due] == ["e", "d", "c"]


@dataclass(frozen=True)
class CapSource:
    id: str
    title: str
    body: str
    priority: str
    created_at: datetime
    expires_at: datetime | None = None
    drill: bool = False
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


def test_cap_alert_is_cap_1_2_and_drills_are_exercises() -> None:
    source = CapSource(
        "01ABC", "Kook water <nu>", "Drie minuten & langer", "urgent", T0, T0 + timedelta(days=1), drill=True,
        translations={"en": {"title": "Boil water <now>", "body": "Three minutes & more"}},
    )  # fmt: skip
    root = ET.fromstring(to_cap_xml(source, sender="buurtbaken-1", sender_name="Buurtbaken"))
    ns = {"cap": CAP_NS}
    assert root.tag == f"{{{CAP_NS}}}alert"
    assert root.findtext("cap:status", namespaces=ns) == "Exercise"
    assert root.findtext("cap:sent", namespaces=ns) == "2025-11-18T18:40:00-00:00"  # CAP writes UTC so
    assert root.findtext("cap:info/cap:headline", namespaces=ns) == "Kook water <nu>"
    assert root.findtext("cap:info/cap:severity", namespaces=ns) == "Severe"
    assert [i.findtext("cap:language", namespaces=ns) for i in root.findall("cap:info", ns)] == ["nl", "en"]
    real = to_cap_xml(CapSource("02", "t", "b", "info", T0), sender="h")
    assert ET.fromstring(real).findtext("cap:status", namespaces=ns) == "Actual"

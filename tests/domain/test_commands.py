"""The mesh command grammar, as volunteers really type it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain import commands
from hub.domain.commands import (
    Accept,
    Available,
    CheckIn,
    Done,
    Fail,
    Help,
    Invalid,
    ListTasks,
    Need,
    NeedCategory,
    Sos,
    Status,
    Unknown,
    parse_command,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OK", Available()),
        ("  ok  ", Available()),
        ("Ok.", Available()),
        ("JA", Accept(None)),
        ("Já", Accept(None)),
        ("ja 14", Accept(14)),
        ("JA T14", Accept(14)),
        ("ja #14", Accept(14)),
        ("ack t7!", Accept(7)),
        ("JA graag", Accept(None)),
        ("KLAAR", Done(None)),
        ("KLAAR!", Done(None)),
        ("klaar 12.", Done(12)),
        ("KLAAR 12 mevrouw is ok", Done(12, "mevrouw is ok")),
        ("done lekker gegaan", Done(None, "lekker gegaan")),
        ("NIET 3 niemand thuis", Fail(3, "niemand thuis")),
        ("fail", Fail(None)),
        ("niet weg geblokkeerd", Fail(None, "weg geblokkeerd")),
        ("SOS", Sos()),
        ("sos gevallen bij kerk", Sos("gevallen bij kerk")),
        ("TAKEN", ListTasks()),
        ("tasks?", ListTasks()),
        ("STATUS", Status()),
        ("?", Help()),
        ("??", Help()),
        ("hulp", Help()),
        ("HELP!", Help()),
        ("hallo daar", Unknown("hallo daar")),
        ("", Unknown("")),
        ("   ", Unknown("")),
    ],
)
def test_simple_commands(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CHECKIN Kerkstraat 5 OK", CheckIn("Kerkstraat 5", "ok")),
        ("checkin Dorpsstraat 12a help", CheckIn("Dorpsstraat 12a", "help")),
        (
            "CHECKIN Kerkstraat 5 HULP valt steeds",
            CheckIn("Kerkstraat 5", "help", "valt steeds"),
        ),
        ("checkin  Van Goghlaan  3-1   ok.  ", CheckIn("Van Goghlaan 3-1", "ok")),
        (
            "Checkin Kerkstraat 5, OK alles goed",
            CheckIn("Kerkstraat 5", "ok", "alles goed"),
        ),
        ("CHECKIN Hof OK", CheckIn("Hof", "ok")),
    ],
)
def test_checkin(text: str, expected: CheckIn) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "text",
    ["CHECKIN", "CHECKIN Kerkstraat 5", "CHECKIN OK", "checkin kerkstraat 5 misschien"],
)
def test_checkin_without_address_or_status_is_invalid(text: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Invalid)
    assert result.command == "CHECKIN"
    assert result.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NODIG water Kerkstraat 5", Need(NeedCategory.WATER, "Kerkstraat 5")),
        (
            "nodig medicijnen Dorpsstraat 12a insuline op",
            Need(NeedCategory.MEDICINE, "Dorpsstraat 12a", "insuline op"),
        ),
        (
            "NEED food Main Street 3-1 for 4",
            Need(NeedCategory.FOOD, "Main Street 3-1", "for 4"),
        ),
        ("nodig ETEN Kerkstraat 5", Need(NeedCategory.FOOD, "Kerkstraat 5")),
        (
            "nodig stroom Lange Laan 9 zuurstof",
            Need(NeedCategory.POWER, "Lange Laan 9", "zuurstof"),
        ),
        ("nodig apparaat Plein 1", Need(NeedCategory.MEDICAL_DEVICE, "Plein 1")),
        ("nodig vervoer Plein 1", Need(NeedCategory.TRANSPORT, "Plein 1")),
        ("nodig info Plein 1", Need(NeedCategory.INFORMATION, "Plein 1")),
        ("nodig informatie Plein 1", Need(NeedCategory.INFORMATION, "Plein 1")),
        ("nodig anders Plein 1 hond", Need(NeedCategory.OTHER, "Plein 1", "hond")),
        ("need medical_device Plein 1", Need(NeedCategory.MEDICAL_DEVICE, "Plein 1")),
    ],
)
def test_need(text: str, expected: Need) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "reason_word"),
    [
        ("NODIG", "categorie"),
        ("NODIG pizza Kerkstraat 5", "categorie"),
        ("NODIG water", "adres"),
        ("NODIG water Kerkstraat", "huisnummer"),
    ],
)
def test_malformed_need_is_invalid(text: str, reason_word: str) -> None:
    result = parse_command(text)
    assert isinstance(result, Invalid)
    assert result.command == "NODIG"
    assert reason_word in result.reason


@given(st.text())
def test_parser_never_raises(text: str) -> None:
    parse_command(text)


@given(
    st.lists(
        st.sampled_from(
            [
                "JA",
                "KLAAR",
                "NIET",
                "CHECKIN",
                "NODIG",
                "SOS",
                "#",
                "T",
                "5",
                "12a",
                "OK",
                "HULP",
                "water",
                "?",
                "é",
                "!",
            ]
        ),
        max_size=8,
    )
)
def test_parser_never_raises_on_command_like_words(words: list[str]) -> None:
    parse_command(" ".join(words))


@given(
    st.integers(min_value=0, max_value=999_999),
    st.sampled_from(["", "#", "T", "t"]),
    st.sampled_from(["", ".", "!", "?"]),
)
def test_task_numbers_in_any_dress(number: int, prefix: str, suffix: str) -> None:
    assert parse_command(f"ja {prefix}{number}{suffix}") == Accept(number)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ZORG Molenweg 12 niet gezien", commands.Concern("Molenweg 12", "niet gezien")),
        ("zorg molenweg 12a: rook", commands.Concern("molenweg 12a", "rook")),
        ("CONCERN Flat B: lift out", commands.Concern("Flat B", "lift out")),
        ("Zorg! Kerkstraat 5 hulp bij trap", commands.Concern("Kerkstraat 5", "hulp bij trap")),
        ("ZORG", commands.Invalid("ZORG", "adres ontbreekt")),
        ("ZORG Molenweg 12", commands.Invalid("ZORG", "tekst ontbreekt")),
        (
            "CONCERN Molenweg rook",
            commands.Invalid("ZORG", "adres ontbreekt (straat huisnummer, of straat: tekst)"),
        ),
    ],
)
def test_a_concern(text: str, expected: commands.Command) -> None:
    assert commands.parse_command(text) == expected
    if isinstance(expected, commands.Concern):
        assert commands.repeat_key(expected) is None  # it changes something: always answered

"""Typed addresses against the register, without I/O: in it, not in it, did you mean."""

from __future__ import annotations

import pytest

from hub.domain import messages
from hub.domain.address_matching import (
    MAX_LISTED_ADDRESSES,
    RegisterMatch,
    candidate_streets,
    check,
    lists_addresses,
)
from hub.domain.addresses import house_key
from hub.domain.text import utf8_len

REGISTER = {
    house_key("Kerkstraat", 5): "Kerkstraat 5",
    house_key("Kerkstraat", 5, "A"): "Kerkstraat 5A",
    house_key("Kerkstraat", 20, "", "1"): "Kerkstraat 20-1",
    house_key("Molenweg", 14): "Molenweg 14",
}


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("kerkstraat 5a", "Kerkstraat 5A"),
        ("Kerkstraat 5 A", "Kerkstraat 5A"),
        ("KERKSTRAAT 5-a", "Kerkstraat 5A"),
        (" kerkstraat  5 ", "Kerkstraat 5"),
        ("Kerkstraat 20 1", "Kerkstraat 20-1"),
        ("Molenweg 14, 3903 AC Buurtdorp", "Molenweg 14"),
    ],
)
def test_a_register_address_is_found_however_typed(typed: str, label: str) -> None:
    found = check(typed, REGISTER, register_size=len(REGISTER))
    assert (found.match, found.label, found.not_in_register) == (RegisterMatch.IN_REGISTER, label, False)


def test_an_address_outside_is_marked_with_the_nearest_spellings() -> None:
    typo = check("Kerkstrat 5a", REGISTER, register_size=len(REGISTER))
    assert typo.not_in_register and typo.label is None
    assert typo.did_you_mean[0] == "Kerkstraat 5A"
    elsewhere = check("Stationsweg 1", REGISTER, register_size=len(REGISTER))
    assert elsewhere.not_in_register and elsewhere.did_you_mean == ()
    assert check("Kerkstraat 20-2", REGISTER, register_size=len(REGISTER)).not_in_register


def test_without_a_register_nothing_is_marked() -> None:
    found = check("Kerkstrat 5", {}, register_size=0)
    assert found.match is RegisterMatch.NO_REGISTER and not found.not_in_register


def test_candidate_streets_are_the_typed_street_or_its_near_spellings() -> None:
    streets = ["kerkstraat", "molenweg", "dorpsstraat"]
    assert candidate_streets("Kerkstraat 99", streets) == ["kerkstraat"]
    assert candidate_streets("Kerkstrat 5", streets) == ["kerkstraat"]
    assert candidate_streets("Zeeweg 1", streets) == []


def test_a_large_register_suggests_streets_not_every_address() -> None:
    assert lists_addresses(MAX_LISTED_ADDRESSES) and not lists_addresses(MAX_LISTED_ADDRESSES + 1)


def test_a_handset_hears_that_the_address_is_outside_within_one_packet() -> None:
    ok = messages.checkin_confirmed("Kerkstrat 5", "ok", "Kerkstraat 5", outside=True)
    assert ok == "Check-in Kerkstrat 5: OK genoteerd. Dank je! Niet in adreslijst: bedoel je Kerkstraat 5?"
    help_ = messages.checkin_confirmed("Kerkstrat 5", "help", outside=True)
    assert help_.endswith("no coordinator has seen it yet. Adres niet in adreslijst.")
    long = messages.checkin_confirmed("Lange Laan " + "é" * 150, "help", "Lange Laan 1", outside=True)
    assert utf8_len(long) <= 200 and "no coordinator has seen it yet" in long
    assert messages.checkin_confirmed("Kerkstraat 5", "ok") == "Check-in Kerkstraat 5: OK genoteerd. Dank je!"

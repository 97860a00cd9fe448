"""Coverage per street and readiness per section, counted without I/O."""

from __future__ import annotations

import pytest

from hub.domain.addresses import house_key
from hub.domain.readiness import (
    NO_CONTACT,
    NO_HANDSET,
    UNSECTIONED,
    WITHOUT_BUDDY,
    Household,
    Neighbour,
    Section,
    coverage,
    new_section,
    overlap,
    readiness,
    readiness_csv,
)
from hub.errors import ValidationError

LOW = Section("Kerkstraat laag", "kerkstraat", 1, 10, contact="Anna")
HIGH = Section("Kerkstraat hoog", "kerkstraat", 11, None)
MOLENWEG = Section("Molenweg", "molenweg", contact="Bram")


def test_a_section_holds_a_street_or_a_range_of_its_numbers() -> None:
    assert LOW.holds(house_key("Kerkstraat", 10, "A")) and not LOW.holds(house_key("Kerkstraat", 11))
    assert HIGH.holds(house_key("Kerkstraat", 999)) and not HIGH.holds(house_key("Molenweg", 12))
    assert MOLENWEG.holds(house_key("Molenweg", 1, "", "2"))


def test_sections_are_checked_when_defined() -> None:
    assert new_section(" Laag ", "KERKSTRAAT", 1, 10).street_key == "kerkstraat"
    with pytest.raises(ValidationError, match="ends before it starts"):
        new_section("x", "Kerkstraat", 10, 1)
    with pytest.raises(ValidationError, match="needs a street"):
        new_section("x", " ", None, None)
    assert overlap(new_section("new", "Kerkstraat", 9, 12), [LOW, HIGH, MOLENWEG]) == LOW
    assert overlap(new_section("new", "Kerkstraat", None, None), [MOLENWEG]) is None
    assert overlap(new_section("new", "Molenweg", 40, None), [LOW, HIGH, MOLENWEG]) == MOLENWEG


def test_coverage_counts_every_address_of_the_register_per_street() -> None:
    register = {house_key("Kerkstraat", n): "Kerkstraat" for n in range(1, 11)}
    register |= {house_key("Molenweg", n): "Molenweg" for n in range(1, 5)}
    latest = {
        house_key("Kerkstraat", 1): "ok",
        house_key("Kerkstraat", 2): "help",
        house_key("Kerkstraat", 3): "ok",
        house_key("Molenweg", 4): "ok",
        "stationsweg 1": "help",  # outside the register: counted apart
    }
    found = coverage(register, latest)
    kerkstraat, molenweg = found.streets
    assert (kerkstraat.street, kerkstraat.addresses, kerkstraat.ok, kerkstraat.help) == (
        "Kerkstraat",
        10,
        2,
        1,
    )
    assert kerkstraat.not_heard_from == 7 and molenweg.not_heard_from == 3
    assert (found.addresses, found.not_heard_from, found.outside_ok, found.outside_help) == (14, 10, 0, 1)


def test_readiness_per_section_and_what_stands_out() -> None:
    register = [house_key("Kerkstraat", n) for n in range(1, 21)] + [house_key("Molenweg", n) for n in (1, 2)]
    register.append(house_key("Dorpsstraat", 1))
    households = [
        Household(house_key("Kerkstraat", 2), has_buddy=True, drill_minutes=12.0),
        Household(house_key("Kerkstraat", 4), has_buddy=True, drill_minutes=30.5),
        Household(house_key("Kerkstraat", 15), has_buddy=False, drill_minutes=None),
        Household(house_key("Molenweg", 1), has_buddy=True, drill_minutes=5.0),
    ]
    volunteers = [
        Neighbour(house_key("Kerkstraat", 3), has_handset=True, has_skills=True),
        Neighbour(house_key("Kerkstraat", 5), has_handset=False, has_skills=True),
        Neighbour(house_key("Molenweg", 2), has_handset=True, has_skills=False),
    ]
    registered = [house_key("Kerkstraat", n) for n in (2, 4, 6)] + ["stationsweg 1"]
    rows = {
        r.section: r
        for r in readiness(
            [LOW, HIGH, MOLENWEG], register, registered, households, volunteers, drill_held=True
        )
    }
    low, high, molenweg, rest = (
        rows["Kerkstraat laag"],
        rows["Kerkstraat hoog"],
        rows["Molenweg"],
        rows[UNSECTIONED],
    )
    assert (low.addresses, low.registered_anything, low.special_attention, low.with_buddy) == (10, 3, 2, 2)
    assert (low.volunteers, low.with_handset, low.with_skills) == (2, 1, 2)
    assert (low.drill_share_reached, low.drill_minutes_to_all, low.stands_out) == (1.0, 30.5, ())
    assert (high.addresses, high.without_buddy, high.drill_share_reached, high.drill_minutes_to_all) == (
        10,
        1,
        0.0,
        None,
    )
    assert high.stands_out == (NO_CONTACT, WITHOUT_BUDDY, NO_HANDSET)
    assert (molenweg.drill_minutes_to_all, molenweg.stands_out) == (5.0, ())
    assert (rest.addresses, rest.stands_out) == (1, (NO_CONTACT, NO_HANDSET))


def test_without_a_drill_there_are_no_drill_figures() -> None:
    (row,) = readiness(
        [MOLENWEG],
        [house_key("Molenweg", 1)],
        [],
        [Household(house_key("Molenweg", 1), True)],
        [],
        drill_held=False,
    )
    assert (row.drill_share_reached, row.drill_minutes_to_all) == (None, None)


def test_the_readiness_table_exports_as_csv_safe_for_spreadsheets() -> None:
    sections = [Section("=Kerkstraat", "kerkstraat", contact="Anna"), MOLENWEG]
    rows = readiness(sections, [house_key("Kerkstraat", 1)], [], [], [], drill_held=False)
    lines = readiness_csv(rows).splitlines()
    assert lines[0].startswith("section,contact,addresses,registered_anything,")
    assert lines[1] == "'=Kerkstraat,Anna,1,0,0,0,0,0,0,0,,,no_handset"
    assert lines[2] == "Molenweg,Bram,0,0,0,0,0,0,0,0,,,no_handset"

"""Sections, coverage per street in a drill and readiness per section on a real hub with the
sample register: the figures against a known sample; a drill never mixes with real records."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from hub.domain.readiness import NO_CONTACT, NO_HANDSET, UNSECTIONED, WITHOUT_BUDDY
from hub.errors import Conflict, NotFound, ValidationError
from hub.runtime import Hub
from hub.schemas import CheckInCreate, Consent, HouseholdCreate, OfferCreate
from hub.services import address_register, drills, readiness, residents, volunteers

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"


def checkin(hub: Hub, address: str, status: str = "ok", source: str = "portal") -> None:
    hub.store.write(
        lambda s: residents.create_checkin(
            s, hub.ctx, CheckInCreate(address=address, status=status), source=source
        )
    )


def mode(hub: Hub, name: str) -> None:
    hub.store.write(lambda s: drills.set_mode(s, hub.ctx, name, actor="test"))


@pytest.fixture
def street(hub: Hub) -> dict[str, str]:
    """The sample register, two volunteers living on Kerkstraat, three sections, three households."""
    address_register.import_file(hub.store, SAMPLE.read_bytes(), actor="test")

    def people(session: Session) -> dict[str, str]:
        anna = volunteers.register(session, hub.ctx, "Anna", "!a1b2c3d4", ["first_aid"], actor="test")
        bram = volunteers.register(session, hub.ctx, "Bram", None, actor="test")
        volunteers.set_home(session, anna.id, "Kerkstraat 3", actor="test")
        volunteers.set_home(session, bram.id, "kerkstraat 41 ", actor="test")
        for address, buddy in (("Kerkstraat 5", anna.id), ("Kerkstraat 40", None), ("Molenweg 14", bram.id)):
            residents.register_household(
                session,
                hub.ctx,
                HouseholdCreate(
                    address=address,
                    special_attention=["alone_75plus"],
                    consent=Consent(given_by="bewoner"),
                    buddy_volunteer_id=buddy,
                ),
            )
        residents.create_offer(
            session, hub.ctx, OfferCreate(category="car", description="rijden", address="Molenweg 2")
        )
        return {"anna": anna.id, "bram": bram.id}

    ids = hub.store.write(people)
    readiness.define_section(hub.store, "Kerkstraat laag", "Kerkstraat", 1, 30, ids["anna"], actor="test")
    readiness.define_section(hub.store, "Kerkstraat hoog", "kerkstraat", 31, None, actor="test")
    readiness.define_section(
        hub.store, "Molenweg", "Molenweg", contact_volunteer_id=ids["bram"], actor="test"
    )
    return ids


def test_sections_may_not_share_numbers_and_need_a_known_contact(hub: Hub, street: dict[str, str]) -> None:
    with pytest.raises(Conflict, match="Kerkstraat laag"):
        readiness.define_section(hub.store, "Kerkstraat midden", "Kerkstraat", 25, 35, actor="test")
    with pytest.raises(Conflict, match="already"):
        readiness.define_section(hub.store, "Molenweg", "Beukenlaan", actor="test")
    with pytest.raises(NotFound):
        readiness.define_section(
            hub.store, "Beukenlaan", "Beukenlaan", contact_volunteer_id="nobody", actor="test"
        )
    with pytest.raises(ValidationError):
        readiness.define_section(hub.store, "Beukenlaan", "Beukenlaan", 9, 2, actor="test")


def test_coverage_in_a_drill_counts_every_address_and_only_the_drills_check_ins(
    hub: Hub, street: dict[str, str]
) -> None:
    mode(hub, "crisis")
    checkin(hub, "Kerkstraat 1")  # real: never in the drill's coverage
    mode(hub, "normal")
    mode(hub, "drill")
    checkin(hub, "Kerkstraat 5", source="coordinator")
    checkin(hub, "kerkstraat 7 ", "help")
    checkin(hub, "Kerkstraat 7", "ok")  # the latest word counts
    checkin(hub, "Kerkstraat 9", "help")
    checkin(hub, "Stationsweg 1", "help")  # outside the register: counted apart
    found = readiness.street_coverage(hub.store)
    streets = {s.street: s for s in found.streets}
    assert found.addresses == 288 and len(streets) == 6
    kerkstraat = streets["Kerkstraat"]
    assert (kerkstraat.addresses, kerkstraat.ok, kerkstraat.help, kerkstraat.not_heard_from) == (65, 2, 1, 62)
    assert streets["Molenweg"].not_heard_from == streets["Molenweg"].addresses == 41
    assert (found.outside_ok, found.outside_help, found.not_heard_from) == (0, 1, 285)

    silent = readiness.silent_addresses(hub.store, "KERKSTRAAT")
    assert len(silent) == 62 and silent[:4] == [
        "Kerkstraat 1",
        "Kerkstraat 3",
        "Kerkstraat 5A",
        "Kerkstraat 11",
    ]
    assert "Kerkstraat 7" not in silent and silent[-1] == "Kerkstraat 60"  # then the even side

    mode(hub, "normal")
    mode(hub, "crisis")
    checkin(hub, "Molenweg 14", "help")
    after = {s.street: s for s in readiness.street_coverage(hub.store).streets}
    assert (after["Kerkstraat"].ok, after["Kerkstraat"].help) == (0, 0)  # the drill's are not real
    assert after["Molenweg"].help == 1


def test_readiness_per_section_against_the_sample(hub: Hub, street: dict[str, str]) -> None:
    checkin(hub, "Kerkstraat 1")  # real, in normal times: this address registered something
    before = {row.section: row for row in readiness.section_readiness(hub.store)}
    assert before["Molenweg"].drill_share_reached is None  # no drill yet

    mode(hub, "drill")
    checkin(hub, "Kerkstraat 5", source="coordinator")  # reaches the household there
    checkin(hub, "Kerkstraat 40", "ok")  # not verified: not reached
    mode(hub, "normal")
    rows = {row.section: row for row in readiness.section_readiness(hub.store)}
    low, high, molenweg, rest = (
        rows["Kerkstraat laag"],
        rows["Kerkstraat hoog"],
        rows["Molenweg"],
        rows[UNSECTIONED],
    )
    # Kerkstraat 1-30: 34 doors (5A, 12A and 20-1..3 among them); 1 and 5 registered something
    assert (low.addresses, low.registered_anything, low.special_attention, low.with_buddy) == (34, 2, 1, 1)
    assert (low.contact, low.volunteers, low.with_handset, low.with_skills) == ("Anna", 1, 1, 1)
    assert (
        low.drill_share_reached == 1.0
        and low.drill_minutes_to_all is not None
        and low.drill_minutes_to_all < 5
    )
    assert low.stands_out == ()
    assert (
        high.addresses,
        high.special_attention,
        high.without_buddy,
        high.volunteers,
        high.with_handset,
    ) == (
        31,
        1,
        1,
        1,
        0,
    )
    assert (high.drill_share_reached, high.drill_minutes_to_all) == (0.0, None)
    assert high.stands_out == (NO_CONTACT, WITHOUT_BUDDY, NO_HANDSET)
    assert (molenweg.addresses, molenweg.registered_anything, molenweg.with_buddy) == (41, 2, 1)
    assert molenweg.stands_out == (NO_HANDSET,)
    assert rest.addresses == 288 - 34 - 31 - 41 and rest.stands_out == (NO_CONTACT, NO_HANDSET)

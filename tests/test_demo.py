"""``hub serve --demo`` seeds scenario 1 into a fresh database; without it the hub starts empty."""

from __future__ import annotations

from sqlmodel import func, select

from hub.config import Settings
from hub.models import Announcement, CheckIn, Household, Need, User, Volunteer
from hub.serve import build_hub


def counts(settings: Settings, demo: bool) -> dict[str, int]:
    hub = build_hub(settings, demo=demo)
    hub.links.clear()  # the data, not the links, are under test here
    hub.start()
    try:
        with hub.db.read() as session:
            return {
                model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in (Announcement, CheckIn, Household, Need, User, Volunteer)
            }
    finally:
        hub.stop()


def test_without_demo_the_hub_starts_empty(settings: Settings) -> None:
    assert set(counts(settings, demo=False).values()) == {0}


def test_demo_seeds_once_and_keeps_what_is_there(settings: Settings) -> None:
    first = counts(settings, demo=True)
    assert first["Household"] == 11
    assert first["Need"] == 3
    assert first["User"] == 1
    assert first["Volunteer"] >= 3
    assert counts(settings, demo=True) == first  # a second start adds nothing
